import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'lib/index.ts', cli: 'lib/cli/main.ts', testing: 'lib/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of shared modules in CJS too (ESM splits by default): an NftError
  // thrown through nftkit/testing must be instanceof the one nftkit exports.
  splitting: true,
  // lib/io/native.ts uses import.meta.url to find the addon; shim it for CJS.
  shims: true,
  target: 'node20',
})
