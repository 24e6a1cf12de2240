import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'lib/index.ts', cli: 'lib/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // lib/io/native.ts uses import.meta.url to find the addon; shim it for CJS.
  shims: true,
  target: 'node20',
})
