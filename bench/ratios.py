"""
nftkit's p50 over C's from the peers harness's raw results (last-run.json),
for bench/side-by-side.sh. Two uses:

  python3 bench/ratios.py line FILE PEER     one run: "W0 1.22x, W2 1000 0.83x, ..." for PEER (nftkit-sync, ...)
  python3 bench/ratios.py rounds WORK ROUNDS the repeated rounds as one markdown table

For `rounds`, the harness wrote WORK/rep-MODE-API-K.json for every round K,
mode (full, quick) and API (sync, async); the table gives each round's C and
nftkit p50 of W0, W2 and W3, their ratio and the median ratio.
"""
import json
import statistics
import sys

TARGETS = {("full", "W0"): "≤ 1.3x", ("full", "W2 1000"): "≤ 1.25x", ("full", "W3 1000"): "≤ 1.15x", ("quick", "W2 1000"): "≤ 2x"}


def p50s(path):
    """{(workload, n, peer): p50 in µs} of one harness run."""
    rows = json.load(open(path))["rows"]
    return {(r["workload"], r["n"], r["peer"]): r["p50_us"] for r in rows if r["p50_us"]}


def label(w, n):
    return w if w == "W0" else f"{w} {n}"


def us(x):
    return "-" if x is None else (f"{x:.1f}" if x < 1000 else f"{x / 1000:.2f} ms")


def line(path, peer):
    p50 = p50s(path)
    out = [f"{label(w, n)} {v / p50[(w, n, 'c')]:.2f}x" for (w, n, p), v in sorted(p50.items()) if p == peer and (w, n, "c") in p50]
    print(", ".join(out))


def rounds(work, count):
    print("| mode | workload | API | C p50, each round | nftkit p50, each round | nftkit / C, each round | median | target |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in ("full", "quick"):
        for api in ("sync", "async"):
            per = {}
            for k in range(1, count + 1):
                p50 = p50s(f"{work}/rep-{mode}-{api}-{k}.json")
                for (w, n, peer), v in p50.items():
                    if peer == "c" and w not in ("W1", "W4"):
                        per.setdefault(label(w, n), []).append((v, p50.get((w, n, f"nftkit-{api}"))))
            for name, pairs in per.items():
                ratios = [m / c for c, m in pairs if m]
                med = f"**{statistics.median(ratios):.2f}x**" if ratios else "-"
                print(f"| {mode} | {name} | {api} | {' / '.join(us(c) for c, _ in pairs)} | {' / '.join(us(m) for _, m in pairs)} | {' / '.join(f'{r:.2f}' for r in ratios)} | {med} | {TARGETS.get((mode, name), '-')} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "line":
        line(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "rounds":
        rounds(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("usage: ratios.py line FILE PEER | ratios.py rounds WORK ROUNDS")
