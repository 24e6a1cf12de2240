#!/usr/bin/env bash
# Memory-safety check of the native addon: builds an AddressSanitizer copy in a
# scratch copy of the sources (the normal build stays untouched), then runs the
# kernel and datapath tests and the quick benchmark with libasan preloaded into
# node and NFTKIT_BINDING pointing at that copy. Prints every ASan error and
# every leak whose allocation stack passes through nftkit; node/V8, ip and
# sysctl keep memory until exit, which LeakSanitizer also lists (ignored).
# Needs root (namespaces). Takes about 2-3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
work=$(mktemp -d /tmp/nftkit-asan.XXXXXX)
cp -r native binding.gyp package.json "$work/"
ln -s "$PWD/node_modules" "$work/node_modules"
(cd "$work" && CXXFLAGS="-fsanitize=address -fno-omit-frame-pointer -g" LDFLAGS="-fsanitize=address" \
  npx --no-install node-gyp rebuild -j 2 >"$work/build.log" 2>&1) || { cat "$work/build.log"; exit 1; }
export NFTKIT_BINDING="$work/build/Release/nftkit.node"
asan="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=1:exitcode=0:log_path=$work/asan"
env $asan unshare -n npx --no-install vitest run test/kernel test/datapath test/unit/wire.test.ts
env $asan unshare -n node --import tsx bench/run.ts --quick >/dev/null
errors=$(cat "$work"/asan.* 2>/dev/null | grep -c 'ERROR: AddressSanitizer' || true)
ours=$(cat "$work"/asan.* 2>/dev/null | awk '/leak of/{getline; getline a; getline b; print a b}' | grep -c nftkit || true)
echo "asan: $errors AddressSanitizer error(s), $ours leak(s) allocated by nftkit (logs in $work)"
[[ $errors -eq 0 && $ours -eq 0 ]]
