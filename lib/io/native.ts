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

/** What to do when no addon loads: the packages of a from-source build and the rebuild command. */
function howToBuild(): string {
  return (
    'Build it from source (a few minutes):\n' +
    '  Debian/Ubuntu: apt-get install libnftnl-dev libmnl-dev pkg-config g++ make python3\n' +
    '  Alpine:        apk add libnftnl-dev libmnl-dev pkgconf g++ make python3 linux-headers\n' +
    '  then:          npm rebuild nftkit --build-from-source\n' +
    'or set NFTKIT_BINDING to the path of a built nftkit.node.'
  )
}

function platformTag(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  const libc = report?.header?.glibcVersionRuntime ? `glibc ${report.header.glibcVersionRuntime}` : 'musl or another libc'
  return `${process.platform}-${process.arch}, ${libc}, Node ${process.versions.node}`
}

/**
 * Finds the addon as node-gyp-build does: a local build (`build/Release`, made
 * by `npm rebuild nftkit --build-from-source` or in a checkout) wins, else the
 * prebuilt binary in `prebuilds/<platform>-<arch>/` whose tags (napi, glibc or
 * musl) fit this process.
 */
function locate(root: string): string {
  if (process.platform !== 'linux')
    throw new Error(`nftkit: needs Linux (nf_tables over netlink); this is ${process.platform}-${process.arch}.`)
  const resolve = (createRequire(import.meta.url)('node-gyp-build') as { resolve(dir: string): string }).resolve
  try {
    return resolve(root)
  } catch {
    throw new Error(
      `nftkit: no native addon fits this system (${platformTag()}): no prebuilt binary for it in ` +
        `${join(root, 'prebuilds')} and no local build in ${join(root, 'build', 'Release')}.\n${howToBuild()}`,
    )
  }
}

/**
 * Loads the native binding: from `path` if given, else `$NFTKIT_BINDING`, else
 * the package's own addon (a local build in `build/Release` if there is one,
 * else the prebuilt binary for this platform). Cached after the first call.
 * @throws Error naming the packages and the command to build the addon from
 *   source when no addon fits this system or the one found does not load.
 */
export function loadBinding(path?: string): NativeBinding {
  if (!path && cached) return cached
  const file = path ?? process.env.NFTKIT_BINDING ?? locate(packageRoot())
  if (!existsSync(file)) throw new Error(`nftkit: native addon not found at ${file}.\n${howToBuild()}`)
  let binding: NativeBinding
  try {
    binding = createRequire(import.meta.url)(file) as NativeBinding
  } catch (err) {
    throw new Error(
      `nftkit: the native addon ${file} does not load on this system (${platformTag()}): ` +
        `${(err as Error).message}\n${howToBuild()}`,
      { cause: err },
    )
  }
  if (!path) cached = binding
  return binding
}
