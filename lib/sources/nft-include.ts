/**
 * Where `include "name"` in nft text finds its files, by nft's rules: an
 * absolute name, or one starting with `./` or `../` (relative to the working
 * directory), is read as given; any other name is looked up in the include
 * directories in order (nft's default is `/etc`). Shell wildcards (`*`, `?`,
 * `[...]`) in the file name part include every match in name order, and
 * nothing when nothing matches; a plain name that exists nowhere is an error.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { MAX_SOURCE_BYTES } from '../kernel/limits.js'
import type { IncludedFile, IncludeReader } from '../nft/parser.js'

/** nft's default include directory. */
export const DEFAULT_INCLUDE_PATH: readonly string[] = ['/etc']

const WILDCARD = /[*?[]/

/** A reader for `ParseOptions.include` that searches `dirs` as `nft -I` does. */
export function nftIncludeReader(dirs: readonly string[] = DEFAULT_INCLUDE_PATH): IncludeReader {
  return (name) => {
    const searched = !(name.startsWith('/') || name.startsWith('./') || name.startsWith('../'))
    const candidates = searched ? dirs.map((d) => join(d, name)) : [name]
    if (WILDCARD.test(name)) return candidates.flatMap(globFiles)
    const found = candidates.find((c) => existsSync(c))
    if (found === undefined) throw new Error(searched ? `no such file in the include path (${dirs.join(', ')})` : 'no such file')
    return [read(found)]
  }
}

function read(path: string): IncludedFile {
  const st = statSync(path)
  if (!st.isFile()) throw new Error(`${path} is not a regular file`)
  if (st.size > MAX_SOURCE_BYTES) throw new Error(`${path} has ${st.size} bytes, more than the ${MAX_SOURCE_BYTES / 1024 / 1024} MiB nftkit reads from one file`)
  return { file: path, text: readFileSync(path, 'utf8') }
}

/** The regular files matching a pattern whose wildcards are in its last part, in name order. */
function globFiles(pattern: string): IncludedFile[] {
  const dir = dirname(pattern)
  if (WILDCARD.test(dir)) throw new Error('wildcards are supported in the file name, not in directory names')
  if (!existsSync(dir)) return []
  const re = globRegExp(basename(pattern))
  return readdirSync(dir)
    .filter((n) => re.test(n) && !(n.startsWith('.') && !basename(pattern).startsWith('.')))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile())
    .map(read)
}

function globRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) re += '\\['
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\')
        re += `[${body[0] === '!' ? `^${body.slice(1)}` : body}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}
