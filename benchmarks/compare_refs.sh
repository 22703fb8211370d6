#!/usr/bin/env bash
# Side by side: the search and booking benchmarks of two commits on the same machine, in one run.
# Usage: benchmarks/compare_refs.sh BEFORE AFTER [practitioners=1000] [days=30] [rounds=2]
# Each commit gets its own worktree and its own database generated with the same seed (so each
# runs on its own schema and indexes); the benchmarks then alternate before/after for `rounds`
# rounds, and the medians of the rounds and their ratio (after / before) are printed with the
# load average.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BEFORE=$1; AFTER=$2; N=${3:-1000}; D=${4:-30}; ROUNDS=${5:-2}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
WORK=$(mktemp -d)
trap 'for r in before after; do git -C "$ROOT" worktree remove --force "$WORK/$r" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

for side in before after; do
  ref=$BEFORE; [ "$side" = after ] && ref=$AFTER
  git worktree add -q --detach "$WORK/$side" "$ref"
  ln -s "$ROOT/.venv" "$WORK/$side/.venv"
  (cd "$WORK/$side" && BENCH_DATABASE_URL="$PG/terminarz_bench_$side" benchmarks/slot_generation.sh "$N" "$D" 2 10 \
     | tail -n 2 | sed "s/^/[$side generation] /")
done

for round in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    echo "== round $round: $side ($(cut -d' ' -f1-3 /proc/loadavg) load) =="
    (cd "$WORK/$side" && .venv/bin/python benchmarks/search_latency.py --database-url "$PG/terminarz_bench_$side" \
       --requests 300 | grep -E "server-side|round trip" | sed "s/^/search $side: /") | tee -a "$WORK/search_$side.txt"
    (cd "$WORK/$side" && .venv/bin/python benchmarks/booking_throughput.py --database-url "$PG/terminarz_bench_$side" \
       --bookings 800 --clients 8 | grep -E "throughput|errors" | sed "s/^/booking $side: /") | tee -a "$WORK/booking_$side.txt"
    if command -v wrk >/dev/null; then  # the server alone: wrk's 8 connections cost little CPU
      (cd "$WORK/$side" && .venv/bin/python benchmarks/booking_throughput.py --database-url "$PG/terminarz_bench_$side" \
         --bookings 4000 --clients 8 --wrk-seconds 8 | grep -E "Requests/sec|wrk:" | sed "s/^/booking-wrk $side: /") \
         | tee -a "$WORK/wrk_$side.txt"
    fi
  done
done

python3 - "$WORK" <<'PY'
import re, statistics, sys
from pathlib import Path
work = Path(sys.argv[1])
def values(name, pattern):
    return [float(m) for m in re.findall(pattern, (work / name).read_text())]
rows = [
    ("search server-side p50 (ms)", "search", r"server-side\s+p50=([\d.]+)"),
    ("search server-side p95 (ms)", "search", r"server-side\s+p50=[\d.]+ ms\s+p95=([\d.]+)"),
    ("booking throughput (bookings/s)", "booking", r"throughput=([\d.]+)"),
    ("booking latency p95 (ms)", "booking", r"latency p50=[\d.]+ ms\s+p95=([\d.]+)"),
    ("booking with wrk (bookings/s)", "wrk", r"Requests/sec:\s+([\d.]+)"),
    ("booking with wrk p95 (ms)", "wrk", r"wrk: requests=\d+ non2xx/3xx=\d+ p50=[\d.]+ ms p95=([\d.]+)"),
]
print(f"{'figure':34} {'before':>9} {'after':>9} {'after/before':>13}")
for label, kind, pattern in rows:
    if not (work / f"{kind}_before.txt").exists():
        print(f"{label:34} not measured (install wrk)"); continue
    b = values(f"{kind}_before.txt", pattern); a = values(f"{kind}_after.txt", pattern)
    if not a or not b:
        print(f"{label:34} missing (before {b}, after {a})"); continue
    mb, ma = statistics.median(b), statistics.median(a)
    print(f"{label:34} {mb:9.1f} {ma:9.1f} {ma / mb:13.2f}")
print("load average at the end:", open("/proc/loadavg").read().split()[:3])
PY
