"""
The repeated rounds of bench/side-by-side.sh as one markdown table: for every
round, mode (full, quick) and API (sync, async), the peers harness wrote
WORK/rep-MODE-API-K.json (last-run.json); this prints each round's C and nftkit
p50 of W0, W2 and W3, their ratio and the median ratio. Usage:
  python3 bench/repeat-summary.py WORK ROUNDS
"""
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
targets = {("full", "W0"): "≤ 1.3x", ("full", "W2 1000"): "≤ 1.25x", ("full", "W3 1000"): "≤ 1.15x", ("quick", "W2 1000"): "≤ 2x"}
print("| mode | workload | API | C p50, each round | nftkit p50, each round | nftkit / C, each round | median | target |")
print("|---|---|---|---|---|---|---|---|")
def us(x):
    return "-" if x is None else (f"{x:.1f}" if x < 1000 else f"{x / 1000:.2f} ms")
for mode in ("full", "quick"):
    for api in ("sync", "async"):
        per = {}
        for k in range(1, rounds + 1):
            rows = json.load(open(f"{work}/rep-{mode}-{api}-{k}.json"))["rows"]
            p50 = {(r["workload"], r["n"], r["peer"]): r["p50_us"] for r in rows if r["p50_us"]}
            for (w, n, peer), v in p50.items():
                if peer != "c" or w in ("W1", "W4"):
                    continue
                label = w if w == "W0" else f"{w} {n}"
                per.setdefault(label, []).append((v, p50.get((w, n, f"nftkit-{api}"))))
        for label, pairs in per.items():
            ratios = [m / c for c, m in pairs if m]
            med = f"**{statistics.median(ratios):.2f}x**" if ratios else "-"
            print(f"| {mode} | {label} | {api} | {' / '.join(us(c) for c, _ in pairs)} | {' / '.join(us(m) for _, m in pairs)} | {' / '.join(f'{r:.2f}' for r in ratios)} | {med} | {targets.get((mode, label), '-')} |")
