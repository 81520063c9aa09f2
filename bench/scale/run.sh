#!/usr/bin/env bash
# Issue 14's bars 1-4 in one run, each beside its twin, ending with their summary lines together:
#   bar 1  a whole `patronus serve` with N STAMP paths (Patronus.Bench serve; no twin: the bar is absolute)
#   bar 2  history storage at N paths on SQLite (Patronus.Bench history-budget; PostgreSQL with --store)
#   bar 3  BFD, 1,000 sessions at 50 ms × 3, Patronus then FRR bfdd on the same box (bench/bfd/run.sh)
#   bar 4  GraphQL allPathsHealth beside its REST twin, one server, one run (bench/graphql/run.sh)
# Each part keeps its own full report above the summary. Run on a quiet machine: every figure is
# CPU- and scheduling-bound on 2 cores (docs/performance.md gives the measured ones).
#
#   bench/scale/run.sh [--quick] [--bars 1,2,3,4] [--paths N] [--bfd-duration S] [--hog]
#
# --quick: bar 1 at 2,000 paths for 30 s, bar 2 at 100 paths, bar 3 for 60 s, bar 4 for 10 s per run.
# Needs what the parts need: a Release build, root + FRR for bar 3, wrk for bar 4.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH="$ROOT/bench/Patronus.Bench/bin/Release/net10.0/Patronus.Bench.dll"
BARS=1,2,3,4 PATHS=10000 SERVE_SECONDS=60 HISTORY_PATHS=1000 BFD_DURATION=600 GQL_SECONDS=30 HOG=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) PATHS=2000 SERVE_SECONDS=30 HISTORY_PATHS=100 BFD_DURATION=60 GQL_SECONDS=10; shift ;;
    --bars) BARS=$2; shift 2 ;;
    --paths) PATHS=$2; shift 2 ;;
    --bfd-duration) BFD_DURATION=$2; shift 2 ;;
    --hog) HOG=--hog; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -f "$BENCH" ]] || { echo "no Release build at $BENCH: dotnet build Patronus.slnx -c Release" >&2; exit 2; }

OUT=$(mktemp -d /tmp/patronus-scale-XXXX)
SUMMARY=()
has() { [[ ",$BARS," == *",$1,"* ]]; }
part() { echo; echo "######## $1 (load $(cut -d' ' -f1-3 /proc/loadavg))"; }

if has 1; then
  part "bar 1: serve, $PATHS paths, $SERVE_SECONDS s"
  dotnet "$BENCH" serve --paths "$PATHS" --seconds "$SERVE_SECONDS" | tee "$OUT/bar1.txt"
  SUMMARY+=("bar 1: $(grep '^summary:' "$OUT/bar1.txt" | tail -1)")
fi
if has 2; then
  part "bar 2: history storage, $HISTORY_PATHS paths (×$((10000 / HISTORY_PATHS)) to 10,000)"
  dotnet "$BENCH" history-budget --paths "$HISTORY_PATHS" | tee "$OUT/bar2.txt"
  SUMMARY+=("bar 2: $(grep '^total (history tables' "$OUT/bar2.txt" | tail -1 | tr -s ' ') (at 10,000 paths; bar ≤ 10 GB)")
fi
if has 3; then
  part "bar 3: BFD, 1,000 sessions, $BFD_DURATION s, Patronus and FRR"
  "$ROOT/bench/bfd/run.sh" --scenario both --duration "$BFD_DURATION" $HOG --out "$OUT/bfd" | tee "$OUT/bar3.txt"
  SUMMARY+=("bar 3: $(grep '^SUMMARY' "$OUT/bar3.txt" | tail -1)")
fi
if has 4; then
  part "bar 4: GraphQL beside REST, 1,000 paths, $GQL_SECONDS s per run"
  "$ROOT/bench/graphql/run.sh" --seconds "$GQL_SECONDS" --rounds 1 | tee "$OUT/bar4.txt"
  SUMMARY+=("bar 4: $(sed -n '/^== summary/,$p' "$OUT/bar4.txt" | tail -n +2 | tr '\n' ';' | tr -s ' ')")
fi

echo
echo "######## issue 14, side by side (reports in $OUT)"
printf '%s\n' "${SUMMARY[@]}"
