#!/usr/bin/env bash
# npm run check:package [-- TARBALL]: the package as a user gets it. Packs it
# (npm pack, unless a tarball is given), installs the tarball into an empty
# project where no compiler and no -dev package can be seen, and checks that:
#   - the install ran no build (the prebuilt addon fitted: no build/ directory);
#   - it imports from ESM and from CommonJS (`nftkit`, `nftkit/package.json`,
#     `version`), and its types pass `tsc --strict` with skipLibCheck false,
#     from an ESM (.ts) and a CommonJS (.cts) file;
#   - the README's quick start, run in a throwaway network namespace, leaves the
#     ruleset it describes (`nft list ruleset`).
# "No compiler": the install and the imports run in a mount namespace where
# /usr/include is an empty tmpfs, with PATH a directory of links to node, npm
# and a few basic tools only (no cc, g++, make, python3, pkg-config) and
# PKG_CONFIG_LIBDIR=/nonexistent. Needs root (namespaces, mounts). Exits non-zero
# on the first thing that breaks.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[[ $(id -u) -eq 0 ]] || { echo "check-package: needs root (network and mount namespaces)" >&2; exit 1; }
command -v nft >/dev/null || bash scripts/ensure.sh

work=$(mktemp -d /tmp/nftkit-check.XXXXXX)
ns=nftkit-pkg-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "check-package: $*" >&2; }

if [[ $# -gt 0 ]]; then
  tarball=$(realpath "$1")
else
  step "npm pack"
  npm pack --silent --pack-destination "$work" >/dev/null
  tarball=$(ls "$work"/nftkit-*.tgz)
fi
listing=$(tar tzf "$tarball")
step "$(basename "$tarball"): $(stat -c %s "$tarball") bytes, $(wc -l <<<"$listing") files"
for f in package/dist/index.js package/dist/index.cjs package/dist/index.d.ts package/dist/index.d.cts \
  package/dist/cli.js package/prebuilds/linux-x64/nftkit.glibc.node package/binding.gyp package/LICENSE \
  package/README.md package/CHANGELOG.md package/native/addon.cc package/scripts/install.js; do
  grep -qx "$f" <<<"$listing" || { echo "check-package: $f is missing from the tarball" >&2; exit 1; }
done
if grep -E '^package/(test|bench|build|lib|examples)/|\.test\.|/\.prebuild/' <<<"$listing"; then
  echo "check-package: the tarball holds files it should not (above)" >&2
  exit 1
fi

# PATH without a compiler: links to node/npm/npx and basic tools only.
bin=$work/bin
mkdir -p "$bin"
for t in node npm npx sh bash env cat ls mkdir rm cp mv ln chmod touch tar gzip sed grep head tail \
  uname id dirname basename readlink realpath sort tr wc cut find xargs mktemp; do
  p=$(command -v "$t") && ln -s "$(readlink -f "$p")" "$bin/$t"
done
ln -sf "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -sf "$(readlink -f "$(command -v npx)")" "$bin/npx"

app=$work/app
mkdir -p "$app"
cat >"$app/package.json" <<'EOF'
{ "name": "nftkit-consumer", "private": true, "type": "module" }
EOF
# The README's quick start, on a namespace of our own instead of 'gw'.
sed -n '/^## Quick start/,/^```$/p' README.md | sed '1,/^```ts$/d; /^```$/d' |
  sed "s/netns: 'gw'/netns: '$ns'/" >"$app/quickstart.ts"
grep -q "netns: '$ns'" "$app/quickstart.ts" || { echo "check-package: README quick start not found" >&2; exit 1; }
cp "$app/quickstart.ts" "$app/quickstart.mjs"
cat >"$app/esm.mjs" <<'EOF'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import pkg from 'nftkit/package.json' with { type: 'json' }
import { createClient, loadBinding, Transaction, version } from 'nftkit'
assert.equal(version, pkg.version)
assert.equal(typeof createClient, 'function')
assert.equal(typeof loadBinding().Socket, 'function')
assert.match(String(new Transaction({ table: 't' }).add({ kind: 'table' })), /add table inet t/)
const dir = createRequire(import.meta.url).resolve('nftkit/package.json').replace(/package\.json$/, '')
assert.ok(!existsSync(`${dir}build`), 'the install built the addon from source instead of using the prebuilt one')
console.log(`esm: nftkit ${version}`)
EOF
cat >"$app/cjs.cjs" <<'EOF'
const assert = require('node:assert/strict')
const nftkit = require('nftkit')
assert.equal(nftkit.version, require('nftkit/package.json').version)
assert.equal(typeof nftkit.loadBinding().Socket, 'function')
console.log(`cjs: nftkit ${nftkit.version}`)
EOF
cat >"$app/types.cts" <<'EOF'
import nftkit = require('nftkit')
import type { NativeBinding } from 'nftkit'
const b: NativeBinding = nftkit.loadBinding()
export const v: string = nftkit.version + String(typeof b.Socket)
EOF
cat >"$app/types.ts" <<'EOF'
import { createClient, version, type ClientOptions, type NativeBinding } from 'nftkit'
const binding: NativeBinding | undefined = undefined
const opts: ClientOptions = { family: 'inet', table: 'fw', ...(binding ? { binding } : {}) }
export const made = [version, typeof createClient, opts] as const
EOF
cat >"$app/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "strict": true, "skipLibCheck": false, "noEmit": true, "target": "ES2022",
    "module": "NodeNext", "moduleResolution": "NodeNext", "types": ["node"]
  },
  "files": ["quickstart.ts", "types.ts", "types.cts"]
}
EOF
# The type checker is a dev tool of the consumer, installed normally, before.
ts_version=$(node -p "require('$root/node_modules/typescript/package.json').version")
types_version=$(node -p "require('$root/node_modules/@types/node/package.json').version")
(cd "$app" && npm install --silent --no-audit --no-fund --prefer-offline \
  "typescript@$ts_version" "@types/node@$types_version" >/dev/null)

step "npm install of the tarball with no compiler and no -dev package visible"
cat >"$work/inside.sh" <<EOF
set -euo pipefail
mount -t tmpfs nftkit-no-headers /usr/include
for t in cc gcc g++ c++ make python3 pkg-config; do
  if command -v \$t >/dev/null; then echo "check-package: \$t is visible" >&2; exit 1; fi
done
cd "$app"
start=\$(date +%s%N)
npm install --no-audit --no-fund --prefer-offline "$tarball" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; exit 1; }
echo "check-package: installed in \$(( (\$(date +%s%N) - start) / 1000000 )) ms" >&2
node esm.mjs
node cjs.cjs
node node_modules/typescript/bin/tsc -p .
echo "tsc --strict (skipLibCheck false): ok"
EOF
# date is needed for the timing only; it is no compiler.
ln -s "$(readlink -f "$(command -v date)")" "$bin/date"
ln -s "$(readlink -f "$(command -v mount)")" "$bin/mount"
unshare -m --propagation private env -i HOME="$HOME" PATH="$bin" PKG_CONFIG_LIBDIR=/nonexistent \
  npm_config_cache="$(npm config get cache)" bash "$work/inside.sh"

step "README quick start in network namespace $ns"
ip netns add "$ns"
(cd "$app" && ip netns exec "$ns" env -i HOME="$HOME" PATH="$bin" node quickstart.mjs) 2>&1 ||
  { echo "check-package: the quick start failed" >&2; exit 1; }
cat >"$work/expected" <<'EOF'
table inet fw {
	set allow {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @allow tcp dport 22 counter packets 0 bytes 0 accept
	}
}
EOF
ip netns exec "$ns" nft list ruleset >"$work/actual"
diff -u "$work/expected" "$work/actual" || { echo "check-package: the quick start left another ruleset" >&2; exit 1; }
step "ok"
