#!/usr/bin/env bash
# npm run image: the OCI image localhost/nftkit:VERSION from Containerfile, with
# no registry (none is needed or reachable): the base is a Debian minbase root
# filesystem made with mmdebstrap (the host's release, libmnl0, the host's
# Node.js binary, no apt lists or docs), imported with podman; the package is
# installed from its own npm pack tarball into a staging /usr/local with no
# compiler (the prebuilt addon), and the Containerfile copies it in.
# The base is kept (localhost/nftkit-base:CODENAME-nodeVERSION) and reused.
# Needs root. Prints the image's name and size.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in podman buildah mmdebstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "image: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

version=$(node -p "require('./package.json').version")
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
node_bin=$(readlink -f "$(command -v node)")
base=localhost/nftkit-base:$codename-node$(node -p process.versions.node)
image=localhost/nftkit:$version
work=$(mktemp -d /tmp/nftkit-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! podman image exists "$base"; then
  echo "image: base $base (mmdebstrap $codename minbase)" >&2
  mmdebstrap --quiet --variant=minbase --include=libmnl0 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="copy-in $node_bin /usr/local/bin" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$codename" "$work/base.tar" http://deb.debian.org/debian
  podman import --quiet "$work/base.tar" "$base" >/dev/null
fi

tarball=${1:-}
if [[ -z $tarball ]]; then
  npm pack --silent --pack-destination "$work" >/dev/null
  tarball=$(ls "$work"/nftkit-*.tgz)
fi
mkdir -p "$work/ctx/stage/usr/local"
npm install --global --silent --no-audit --no-fund --omit=dev --prefer-offline \
  --prefix "$work/ctx/stage/usr/local" "$tarball" >/dev/null
pkg=$work/ctx/stage/usr/local/lib/node_modules/nftkit
[[ -f $pkg/prebuilds/linux-x64/nftkit.glibc.node && ! -e $pkg/build ]] ||
  { echo "image: the install did not use the prebuilt addon" >&2; exit 1; }
podman build --quiet --build-arg "BASE=$base" -f Containerfile -t "$image" "$work/ctx" >/dev/null
echo "image: $image $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=iec) (base $base)"
