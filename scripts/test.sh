#!/usr/bin/env bash
# npm test: type check, then every test layer. Kernel tests create their own
# throwaway network namespaces; the runner itself also runs in a fresh one
# (unshare -n) so a bug can never reach the host's ruleset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "npm test needs root (kernel tests create network namespaces)" >&2
  exit 1
fi
# Namespaces left by an interrupted earlier run: names carry the creating
# process id (nftkit-t-TAG-PID-RAND); only those whose process is gone go.
for ns in $(ip netns list 2>/dev/null | awk '/^nftkit-t-/ {print $1}'); do
  pid=$(echo "$ns" | grep -oE -- '-[0-9]+-' | head -1 | tr -d -)  # nftkit-t-TAG-PID-...
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && continue
  ip netns del "$ns" || true
done
npx --no-install tsc --noEmit -p .
npx --no-install biome lint --error-on-warnings
exec unshare -n -- npx --no-install vitest run "$@"
