#!/usr/bin/env bash
# npm run build:prebuilds [-- ARCH...]: the prebuilt addons shipped in the npm package,
# prebuilds/linux-<arch>/nftkit.glibc.node (prebuildify's layout, found at run
# time by node-gyp-build), for x64 and arm64 (cross-compiled) by default.
#
# Each is linked against a sysroot of Debian's own -dev packages for that
# architecture, downloaded with apt-get download and unpacked (dpkg-deb -x) into
# .prebuild/ (nothing is installed for the foreign architecture, no multiarch):
#   - libnftnl statically, from Debian's libnftnl.a (GPL-2.0-or-later, as is
#     nftkit). That archive is built as PIE, not PIC: its objects read `stderr`
#     through a PC-relative relocation a shared object cannot have, so a copy of
#     it is made with that one symbol renamed to nftkit_stderr
#     (native/static/stderr.cc points it at the C library's stderr at load time);
#   - libmnl dynamically (libmnl.so.0, package libmnl0; present wherever iproute2
#     is): Debian ships no libmnl.a and its source packages are not reachable here;
#   - libstdc++ statically (-static-libstdc++), unused sections dropped
#     (--gc-sections), libgcc_s dynamically: the glibc baseline is what the
#     objdump line below prints (GLIBC_2.34 on Debian 12, for pthread_create,
#     which moved into libc then). Without those two flags libgcc's static
#     unwinder adds _dl_find_object (2.35) and libstdc++'s random_device,
#     linked but unused, arc4random (2.36). A lower baseline needs an older
#     build root (its libc and libstdc++), not done here.
# The build runs in a scratch copy of the sources, so build/Release (the dev
# build the tests use) is untouched. Needs root for apt-get (cross compiler).
# Takes about 2 minutes for both architectures on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
archs=("$@")
((${#archs[@]})) || archs=(x64 arm64)

declare -A debarch=([x64]=amd64 [arm64]=arm64)
declare -A multiarch=([x64]=x86_64-linux-gnu [arm64]=aarch64-linux-gnu)
declare -A toolprefix=([x64]='' [arm64]=aarch64-linux-gnu-)
declare -A toolpkg=([x64]='g++ binutils' [arm64]='g++-aarch64-linux-gnu binutils-aarch64-linux-gnu')

need=(make python3)
for a in "${archs[@]}"; do
  [[ -n ${debarch[$a]:-} ]] || { echo "prebuild: unknown architecture $a (x64 or arm64)" >&2; exit 2; }
  read -ra pkgs <<<"${toolpkg[$a]}"
  need+=("${pkgs[@]}")
done
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "prebuild: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# An apt of its own (lists, cache) for downloading the -dev packages of every
# architecture: the machine's apt configuration and dpkg state stay as they are.
cache=$root/.prebuild
apt_opts=(-o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache" -o Debug::NoLocking=1
  -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root)
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
sysroot() { # ARCH: unpack libnftnl-dev, libmnl-dev and their libraries once
  local a=$1 dir=$cache/sysroot-$1
  [[ -f $dir/.done ]] && return
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/deb-$a"
  if [[ ! -f $cache/apt/sources.list ]]; then
    echo "deb http://deb.debian.org/debian $codename main" >"$cache/apt/sources.list"
    apt-get "${apt_opts[@]}" update -qq
  fi
  local d=${debarch[$a]}
  (cd "$cache/deb-$a" && apt-get "${apt_opts[@]}" download -qq \
    "libnftnl-dev:$d" "libnftnl11:$d" "libmnl-dev:$d" "libmnl0:$d")
  rm -rf "$dir" && mkdir -p "$dir"
  for deb in "$cache/deb-$a"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  local lib=$dir/usr/lib/${multiarch[$a]}
  "${toolprefix[$a]}objcopy" --redefine-sym stderr=nftkit_stderr "$lib/libnftnl.a" "$lib/libnftnl-pic.a"
  touch "$dir/.done"
}

# node-gyp needs the headers of the running Node; distro and nodesource builds
# have them next to the binary (include/node), so no download is needed.
nodedir=$(dirname "$(dirname "$(command -v node)")")
[[ -f $nodedir/include/node/node_api.h ]] && export npm_config_nodedir=$nodedir

work=$(mktemp -d /tmp/nftkit-prebuild.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r native binding.gyp package.json "$work/"
ln -s "$root/node_modules" "$work/node_modules"
for a in "${archs[@]}"; do
  sysroot "$a"
  p=${toolprefix[$a]}
  echo "prebuild: linux-$a" >&2
  (cd "$work" && NFTKIT_SYSROOT=$cache/sysroot-$a NFTKIT_MULTIARCH=${multiarch[$a]} \
    CC=${p}gcc CXX=${p}g++ LINK=${p}g++ JOBS=2 \
    npx --no-install prebuildify --napi --strip --tag-libc --strip-bin "${p}strip" \
      --arch "$a" --target "$(node -p process.versions.node)" >"$work/build-$a.log" 2>&1) ||
    { cat "$work/build-$a.log" >&2; exit 1; }
  f=$work/prebuilds/linux-$a/nftkit.glibc.node
  glibc=$(${p}objdump -T "$f" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
  echo "prebuild: prebuilds/linux-$a/nftkit.glibc.node $(stat -c %s "$f") bytes, needs $glibc," \
    "$(${p}readelf -d "$f" | grep -o 'NEEDED.*' | grep -o '\[.*\]' | tr -d '[]' | xargs)" >&2
done
mkdir -p prebuilds
cp -r "$work"/prebuilds/. prebuilds/
