/**
 * The package's version, read from its package.json (found from this file's
 * location, in the sources and in the bundle alike).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The version of the installed nftkit package, e.g. `0.1.0`. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    const f = join(dir, 'package.json')
    if (existsSync(f)) {
      const p = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string }
      if (p.name === 'nftkit' && p.version) return p.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}
