#!/usr/bin/env bash
# The full side-by-side run, in one command, for a quiet machine:
#
#   sudo bash bench/side-by-side.sh          (from the repository root; about 20 minutes)
#
# 1. the peers harness (../shared/peers, full mode) with nftkit's sync API
#    beside every peer it can run (C libnftnl, c-reopen, Go, nft, libnftables);
# 2. the harness again with nftkit's async API beside the C floor;
# 3. repeated rounds (REPEAT, default 5): W0, W2 and W3 in full mode and the
#    whole quick mode, C beside nftkit sync and beside nftkit async, each
#    round in fresh processes. One process's p50 depends on where the
#    scheduler put it (on a 2-vCPU VM the C floor's W0 measured 4.4-6.8 µs and
#    its W2 add 16-62 µs from one process to the next), so a single run's
#    ratio is one draw; bench/ratios.py gives every round's ratio and their
#    median;
#    W2 makes its change with the set's element writer (client.elementWriter);
#    then W2 once per API through a transaction (NFTKIT_BENCH_W2=transaction);
# 4. W7, sporadic updates (bench/w7.ts --all --rounds W7_ROUNDS, default 3):
#    C floor, nftkit sync and async (default client: a transaction), the
#    element writer sync and async, sync with warmUp: true and with warmUp:
#    false, each in its own namespace, rounds interleaved;
# then appends one dated section with the tables, the nftkit/C ratios and the
# versions to bench/README.md (and prints it).
#
# The harness folder is copied to a scratch directory first (the shared copy
# may be read-only; run.sh builds its C and Go peers inside it). Without
# python3-nftables, run.sh refuses to start: the harness's driver is then
# started directly, without the libnftables and Go peers (said in the section).
# Options: PEERS_DIR (default ../shared/peers), KEEP=1 keeps the scratch dir,
# QUICK=1 (the harness's quick mode and 20 W7 operations: a smoke test of this
# script, not a result), README=FILE appends there instead of bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
peers_src=${PEERS_DIR:-$root/../shared/peers}
[ "$(id -u)" = 0 ] || { echo "side-by-side.sh: needs root (network namespaces, nf_tables)" >&2; exit 1; }
[ -f "$peers_src/driver.py" ] || { echo "side-by-side.sh: no peers harness at $peers_src (set PEERS_DIR)" >&2; exit 1; }

work=$(mktemp -d /tmp/nftkit-side-by-side.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
cp -r "$peers_src" "$work/peers"
chmod -R u+w "$work/peers"
rm -rf "$work/peers/out"

bash scripts/ensure.sh >&2
bash bench/c/build.sh >/dev/null

mode=()
w7ops=200
repeat=${REPEAT:-5}
w7rounds=${W7_ROUNDS:-3}
if [ "${QUICK:-0}" = 1 ]; then mode=(--quick); w7ops=20; repeat=${REPEAT:-1}; w7rounds=1; fi
readme=${README:-bench/README.md}
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
harness_note=""
run_peers() { # api, extra driver options...
  local api=$1
  shift
  local out="$work/out-$api"
  if python3 -c 'import nftables' 2>/dev/null; then
    NFTKIT_BENCH_API=$api PEER_CMD='node --import tsx bench/peer.ts' PEER_NAME="nftkit-$api" \
      "$work/peers/run.sh" --out "$out" "$@"
  else
    # What run.sh would do, minus the peers that need python3-nftables or Go.
    harness_note="python3-nftables not installed: run.sh refused, so the harness's driver.py ran directly without the py-libnftables and Go peers"
    make -s -C "$work/peers/c" bench >&2
    local want=""
    for a in "$@"; do want="$want $a"; done
    if [[ "$want" != *--peers* ]]; then set -- --peers "c,c-reopen,nft,nftkit-$api" "$@"; fi
    NFTKIT_BENCH_API=$api PEER_CMD='node --import tsx bench/peer.ts' PEER_NAME="nftkit-$api" \
      python3 "$work/peers/driver.py" --py python3 --ext-cwd "$root" --out "$out" "$@"
  fi
}

echo "== side by side, nftkit sync (all peers), full mode" >&2
run_peers sync "${mode[@]}" > "$work/sync.md"
cp "$work/out-sync/last-run.json" "$work/full-sync.json" # the rounds below reuse out-sync/
echo "== side by side, nftkit async (with the C floor), full mode" >&2
run_peers async --peers c,nftkit-async "${mode[@]}" > "$work/async.md"
cp "$work/out-async/last-run.json" "$work/full-async.json"
for k in $(seq 1 "$repeat"); do
  for api in sync async; do
    echo "== round $k/$repeat, nftkit $api beside C: W0, W2, W3 (full mode), then quick mode" >&2
    run_peers "$api" --peers "c,nftkit-$api" --cases W0,W2,W3 > /dev/null
    cp "$work/out-$api/last-run.json" "$work/rep-full-$api-$k.json"
    run_peers "$api" --peers "c,nftkit-$api" --quick > /dev/null
    cp "$work/out-$api/last-run.json" "$work/rep-quick-$api-$k.json"
  done
done
python3 bench/ratios.py rounds "$work" "$repeat" > "$work/repeat.md"
# W2 makes its change with the set's element writer (bench/workloads.ts,
# w2Writer); once per API, the same change through a transaction, for comparison.
for api in sync async; do
  echo "== W2 through a transaction, nftkit $api beside C" >&2
  NFTKIT_BENCH_W2=transaction run_peers "$api" --peers "c,nftkit-$api" --cases W2 "${mode[@]}" > "$work/w2tx-$api.md"
  cp "$work/out-$api/last-run.json" "$work/w2tx-$api.json"
done
echo "== W7, sporadic updates" >&2
node --import tsx bench/w7.ts --all --ops "$w7ops" --rounds "$w7rounds" > "$work/w7.md"

# nftkit's p50 over C's, per workload, from the two full runs' raw samples.
ratios() { # api
  python3 bench/ratios.py line "$work/full-$1.json" "nftkit-$1"
}

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib native bench || echo "+local changes")
section=$(cat <<EOF

## Side-by-side run, $started (bench/side-by-side.sh)

nftkit $(node -p "require('./package.json').version") at $commit; node $(node --version);
kernel $(uname -r); $(nproc) cpus ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'));
libnftnl $(pkg-config --modversion libnftnl), libmnl $(pkg-config --modversion libmnl), $(nft --version);
load average before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg).
${harness_note:+Note: $harness_note.}

nftkit p50 / C p50 within the same run: sync $(ratios sync); async $(ratios async).

### Peers harness, ${mode[*]:-full mode}, nftkit sync API

$(cat "$work/sync.md")

### Peers harness, ${mode[*]:-full mode}, nftkit async API (beside the C floor)

$(cat "$work/async.md")

### Repeated rounds: W0, W2, W3 (full mode) and quick mode, $repeat rounds

Each round runs C and nftkit in fresh processes (one harness run per API and mode, \`--peers c,nftkit-API\`);
p50 in µs. The median of the rounds' ratios is the figure to compare with the targets.

$(cat "$work/repeat.md")

### W2 through a transaction (NFTKIT_BENCH_W2=transaction), one run per API

Everything above makes W2's change with the set's element writer
(\`client.elementWriter(set)\`); this is the same change through a transaction
of the one element operation. nftkit p50 / C p50: sync $(python3 bench/ratios.py line "$work/w2tx-sync.json" nftkit-sync); async $(python3 bench/ratios.py line "$work/w2tx-async.json" nftkit-async).

$(cat "$work/w2tx-sync.md")

$(cat "$work/w2tx-async.md")

### W7, sporadic updates (bench/WORKLOADS-nftkit.md)

$(cat "$work/w7.md")
EOF
)
printf '%s\n' "$section" >> "$readme"
printf '%s\n' "$section"
echo "side-by-side.sh: appended to $readme" >&2
