import { defineConfig } from 'tsup'

// The package's dist/: the library as ESM (index.js and testing.js, sharing
// chunks with the CLI) and CJS (index.cjs, testing.cjs), each with its
// .d.ts/.d.cts; the CLI (the `nftkit` bin) as ESM only. Sourcemaps cover lib/
// only (tests and benches are never entries).
const common = {
  sourcemap: true,
  // lib/io/native.ts and lib/io/version.ts use import.meta.url to find the
  // addon and package.json; shim it for CJS.
  shims: true,
  target: 'node20',
} as const

export default defineConfig([
  {
    ...common,
    entry: { index: 'lib/index.ts', cli: 'lib/cli/main.ts', testing: 'lib/testing/index.ts' },
    format: ['esm'],
    dts: { entry: { index: 'lib/index.ts', testing: 'lib/testing/index.ts' } },
  },
  {
    ...common,
    entry: { index: 'lib/index.ts', testing: 'lib/testing/index.ts' },
    format: ['cjs'],
    dts: true,
    // One copy of shared modules: an NftError thrown through nftkit/testing
    // must be instanceof the one nftkit exports.
    splitting: true,
  },
])
