#!/usr/bin/env bash
# npm pack / npm publish (prepack): the package's dist/ (tsup: ESM, CJS, .d.ts)
# and its prebuilt addons. The prebuilds are made by `npm run build:prebuilds` (about
# 2 minutes, needs root for apt-get); prepack runs it only for an architecture
# whose prebuild is missing or older than the native sources, so a second
# `npm pack` takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx --no-install tsup --silent
stale=()
for a in x64 arm64; do
  f=prebuilds/linux-$a/nftkit.glibc.node
  if [[ ! -f $f ]] || [[ -n $(find native binding.gyp scripts/prebuild.sh -newer "$f" -print -quit) ]]; then stale+=("$a"); fi
done
if ((${#stale[@]})); then bash scripts/prebuild.sh "${stale[@]}"; fi
