import { defineConfig } from 'tsup'

// The package's dist/: the library as ESM (index.js, sharing one chunk with the
// CLI) and CJS (index.cjs), each with its .d.ts/.d.cts; the CLI (the `nftkit`
// bin) as ESM only. Sourcemaps cover lib/ only (tests and benches are never
// entries).
const common = {
  sourcemap: true,
  // lib/native.ts and lib/index.ts use import.meta.url to find the addon and
  // package.json; shim it for CJS.
  shims: true,
  target: 'node20',
} as const

export default defineConfig([
  {
    ...common,
    entry: { index: 'lib/index.ts', cli: 'lib/cli.ts' },
    format: ['esm'],
    dts: { entry: { index: 'lib/index.ts' } },
  },
  { ...common, entry: { index: 'lib/index.ts' }, format: ['cjs'], dts: true },
])
