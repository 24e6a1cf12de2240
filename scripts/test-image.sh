#!/usr/bin/env bash
# npm run test:image: the gateway image does what the checkout does. Builds it
# (scripts/image.sh; the base is reused when it exists), copies its root
# filesystem out (podman image mount; no container is run, so no container
# runtime or cgroups are needed), and for each ruleset applies it twice, each
# in a throwaway network namespace:
#   ip netns exec A chroot ROOTFS nftkit apply FILE       (the image)
#   ip netns exec B node --import tsx lib/cli/main.ts apply FILE (the checkout)
# then requires `nft list ruleset` of A and B to be the same text. Rulesets:
# deploy/configmap.yaml's gateway.nft and two conformance files.
# Needs root; installs what it needs with apt (via scripts/image.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "test-image: needs root" >&2; exit 1; }
bash scripts/ensure.sh
bash scripts/image.sh "$@"
image=localhost/nftkit:$(node -p "require('./package.json').version")

work=$(mktemp -d /tmp/nftkit-test-image.XXXXXX)
nsa=nftkit-img-a-$$ nsb=nftkit-img-b-$$
cleanup() {
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mnt=$(podman image mount "$image")
cp -a "$mnt/." "$work/rootfs"
podman image unmount "$image" >/dev/null
mkdir -p "$work/rootfs/rules"

node -e "const y = require('yaml'); process.stdout.write(y.parse(require('fs').readFileSync('deploy/configmap.yaml', 'utf8')).data['gateway.nft'])" \
  >"$work/rootfs/rules/gateway.nft"
cp test/conformance/files/13-sets-ipv4.nft test/conformance/files/16-sets-concat.nft "$work/rootfs/rules/"

for f in "$work"/rootfs/rules/*.nft; do
  name=rules/$(basename "$f")
  ip netns add "$nsa"
  ip netns add "$nsb"
  ip netns exec "$nsa" env -i PATH=/usr/local/bin:/usr/bin:/bin "$(command -v chroot)" "$work/rootfs" nftkit apply "/$name"
  ip netns exec "$nsb" node --import tsx lib/cli/main.ts apply "$f"
  ip netns exec "$nsa" nft list ruleset >"$work/a"
  ip netns exec "$nsb" nft list ruleset >"$work/b"
  [[ -s $work/a ]] || { echo "test-image: $name: the image left an empty ruleset" >&2; exit 1; }
  diff -u --label "image: $name" --label "checkout: $name" "$work/a" "$work/b" ||
    { echo "test-image: $name: the image and the checkout disagree" >&2; exit 1; }
  echo "test-image: $name: same ruleset ($(wc -l <"$work/a") lines)"
  ip netns del "$nsa"
  ip netns del "$nsb"
done
echo "test-image: ok ($image)"
