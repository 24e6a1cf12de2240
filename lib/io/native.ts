/**
 * The only module that loads the compiled addon. Everything else receives the
 * binding as a parameter, so tests and bundlers can supply their own.
 * @module
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NativeBinding } from '../../types/native.js'

export type { NativeBinding } from '../../types/native.js'

let cached: NativeBinding | undefined

function packageRoot(): string {
  // Works from lib/ (sources run by tsx/vitest) and from dist/ (the bundle).
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir
    dir = dirname(dir)
  }
  return dirname(fileURLToPath(import.meta.url))
}

/**
 * Loads the native binding: from `path` if given, else `$NFTKIT_BINDING`, else
 * `build/Release/nftkit.node` under the package root. Cached after the first call.
 * @throws Error with instructions when the addon was not built.
 */
export function loadBinding(path?: string): NativeBinding {
  if (!path && cached) return cached
  const file = path ?? process.env.NFTKIT_BINDING ?? join(packageRoot(), 'build', 'Release', 'nftkit.node')
  if (!existsSync(file))
    throw new Error(
      `nftkit: native addon not found at ${file}. Build it with \`npm run build:native\` ` +
        '(needs libnftnl-dev, libmnl-dev and pkg-config).',
    )
  const binding = createRequire(import.meta.url)(file) as NativeBinding
  if (!path) cached = binding
  return binding
}
