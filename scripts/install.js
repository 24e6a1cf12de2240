#!/usr/bin/env node
// The package's install script, node-gyp-build's with one clear message instead
// of a compiler's or gyp's output when it cannot work:
//   1. a prebuilt addon (prebuilds/) or an earlier local build fits and loads:
//      nothing to do, no compiler runs;
//   2. else, with g++, make, python3 and pkg-config finding libnftnl and libmnl:
//      node-gyp rebuild (the build's output goes to a log file);
//   3. else, or if that build fails: one message naming what is missing and
//      the command to retry, exit code 1.
// `npm rebuild nftkit --build-from-source` skips step 1.
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const require = createRequire(import.meta.url)
const fromSource = process.env.npm_config_build_from_source === 'true'

const packages =
  '  Debian/Ubuntu: apt-get install libnftnl-dev libmnl-dev pkg-config g++ make python3\n' +
  '  Alpine:        apk add libnftnl-dev libmnl-dev pkgconf g++ make python3 linux-headers\n' +
  'then run: npm rebuild nftkit --build-from-source'

function fail(why) {
  console.error(`nftkit: ${why}\n${packages}`)
  process.exit(1)
}

if (process.platform !== 'linux')
  fail(`nftkit needs Linux (nf_tables over netlink); this is ${process.platform}-${process.arch}. Nothing was installed.`)

let reason = 'a build from source was asked for (--build-from-source)'
if (!fromSource) {
  try {
    require(require('node-gyp-build').resolve(root))
    process.exit(0)
  } catch (err) {
    const first = String(err?.message ?? err).split('\n')[0]
    reason = /No native build was found/.test(first)
      ? `no prebuilt addon for ${process.platform}-${process.arch} with this C library`
      : `the prebuilt addon does not load here (${first})`
  }
}

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
const missing = [
  ...['g++', 'make', 'python3'].filter((c) => !has(c)),
  ...(has('pkg-config') ? [] : ['pkg-config']),
  ...(has('pkg-config') && !has('pkg-config', ['--exists', 'libnftnl', 'libmnl']) ? ['libnftnl-dev', 'libmnl-dev'] : []),
]
if (missing.length) fail(`${reason}, and it cannot be built from source: missing ${missing.join(', ')}. Install:`)

// npm hands its bundled node-gyp to install scripts (npm_config_node_gyp); else PATH.
const gyp = process.env.npm_config_node_gyp
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']]
const log = join(mkdtempSync(join(tmpdir(), 'nftkit-build-')), 'build.log')
const out = createWriteStream(log)
out.on('open', (fd) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', fd, fd] })
  out.close()
  if (r.status !== 0)
    fail(`${reason}; the build from source failed (its output: ${log}). Check that these are installed:`)
})
