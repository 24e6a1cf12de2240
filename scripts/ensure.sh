#!/usr/bin/env bash
# Installs whatever a fresh machine lacks for nftkit's build, tests and demo,
# then (re)builds the native addon when its sources changed. Idempotent and quiet
# when nothing is missing. Needs root for apt-get (CI and developers are root).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libnftnl-dev libmnl-dev pkg-config nftables iproute2 util-linux; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "ensure: installing Debian packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file. Scripts are
# ignored here because the native build below needs the apt packages above.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "ensure: npm ci" >&2
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null
fi

addon=build/Release/nftkit.node
if [[ ! -f $addon ]] || [[ -n $(find native binding.gyp -newer "$addon" -print -quit) ]]; then
  echo "ensure: building the native addon" >&2
  npx --no-install node-gyp rebuild -j 2 >/tmp/nftkit-build.log 2>&1 || { cat /tmp/nftkit-build.log >&2; exit 1; }
fi
