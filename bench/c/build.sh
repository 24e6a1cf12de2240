#!/usr/bin/env bash
# Builds bench/c/floor (nftkit's C floor for W7, see bench/WORKLOADS-nftkit.md)
# against the installed libnftnl-dev and libmnl-dev (pkg-config). Rebuilds only
# when floor.c is newer than the binary. Prints the binary's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/floor"
if ! pkg-config --exists libnftnl libmnl; then
  echo "bench/c/build.sh: libnftnl-dev, libmnl-dev and pkg-config are needed (apt-get install libnftnl-dev libmnl-dev pkg-config)" >&2
  exit 1
fi
if [ ! -x "$bin" ] || [ "$here/floor.c" -nt "$bin" ]; then
  # shellcheck disable=SC2046
  ${CC:-cc} -O2 -g -Wall -Wextra -o "$bin" "$here/floor.c" $(pkg-config --cflags --libs libnftnl libmnl)
fi
echo "$bin"
