#!/usr/bin/env bash
# Every figure of docs/performance.md, measured again at one commit, in one run (issue 14, bar 5).
# Builds once (Release), then runs each part's documented command in sequence, one after the other
# so no two compete for the two cores, and writes for each part its full log, its start and end
# time, the load average before and after, and its exit code. The summary (summary.md in the
# output directory) lists them in the order of docs/performance.md with each log's last lines,
# which is where every harness prints its result.
#
#   bench/all.sh [--only a,b,…] [--skip a,b,…] [--bfd-duration S] [--out DIR] [--list]
#
# Parts (≈ minutes on the 2-core box): probes (6), history (8), serve (2), bfd (21), bfdhog (10),
# kernel-routes (1), failover-lab (5), micro (35), graphql (3), dashboard (4), fresh-clone (2),
# tunnel (12), tunnel-rtt (5), tunnel-fuzz (4), tunnel-sdwan (4), ha (4). All of them ≈ 2 h.
# Needs root (namespaces, FRR, TUN), the apt packages ./test.sh installs, wireguard-go, iperf3, gcc,
# stress-ng and wrk. Run on an otherwise idle machine: every figure is CPU- and scheduling-bound.
# Not included: the PostgreSQL history budget (docs/storage.md: needs a PostgreSQL server, its
# command is there).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
B="$ROOT/bench/Patronus.Bench/bin/Release/net10.0/Patronus.Bench.dll"
ONLY="" SKIP="" BFD_DURATION=600 OUT="" LIST=0

ALL=(probes history serve bfd bfdhog kernel-routes failover-lab micro graphql dashboard fresh-clone
  tunnel tunnel-rtt tunnel-fuzz tunnel-sdwan ha)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    --bfd-duration) BFD_DURATION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench/all.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$BFD_DURATION" =~ ^[0-9]+$ ]] || { echo "bench/all.sh: --bfd-duration takes seconds, got '$BFD_DURATION'" >&2; exit 2; }
for name in ${ONLY//,/ } ${SKIP//,/ }; do
  [[ " ${ALL[*]} " == *" $name "* ]] || { echo "bench/all.sh: no part named '$name' (parts: ${ALL[*]})" >&2; exit 2; }
done

# The documented command of each part (run from the repository root).
command_of() {
  case "$1" in
    probes) echo "dotnet $B probes --paths 10000 --seconds 60 --warmup 15 && dotnet $B probes --paths 10000 --seconds 60 --warmup 15 --far-ends 1 && dotnet $B probes --paths 10000 --seconds 60 --warmup 15 --reflectors 4" ;;
    history) echo "dotnet $B probes --paths 10000 --seconds 60 --warmup 15 --sink count && dotnet $B probes --paths 10000 --seconds 60 --warmup 15 --sink sqlite && dotnet $B history-budget --paths 1000 && dotnet $B history-budget --paths 1000 --append-hours 2" ;;
    serve) echo "dotnet $B serve --paths 10000 --seconds 60" ;;
    bfd) echo "bash bench/bfd/run.sh --patronus-bin artifacts/patronus --scenario both --duration $BFD_DURATION" ;;
    bfdhog) echo "bash bench/bfd/run.sh --patronus-bin artifacts/patronus --scenario patronus --duration 540 --hog" ;;
    kernel-routes) echo "dotnet $B kernel-routes --routes 10000" ;;
    failover-lab) echo "dotnet test test/Patronus.Lab.Tests -c Release --no-build --filter 'FullyQualifiedName~Failover' --logger 'console;verbosity=detailed'" ;;
    micro) echo "dotnet $B micro --filter '*'" ;;
    graphql) echo "bash bench/graphql/run.sh --seconds 10 --rounds 3" ;;
    dashboard) echo "cd ui && npm run bench" ;;
    fresh-clone) echo "env -u UseSharedCompilation -u MSBUILDDISABLENODEREUSE -u DOTNET_CLI_USE_MSBUILD_SERVER node ui/bench/fresh-clone.mjs" ;;
    tunnel) echo "bash bench/tunnel/run.sh" ;;
    tunnel-rtt) echo "bash bench/tunnel/rtt.sh --rounds 2 --pings 1000 --interval 0.01 artifacts/patronus/patronus wireguard-go floor2 floor1 && bash bench/tunnel/rtt.sh --rounds 1 --pings 3000 --interval 0.001 artifacts/patronus/patronus wireguard-go floor2 floor1" ;;
    tunnel-fuzz) echo "bash bench/tunnel/fuzz.sh" ;;
    tunnel-sdwan) echo "bash bench/tunnel/run.sh --sdwan" ;;
    ha) echo "dotnet test test/Patronus.Server.Tests -c Release --no-build --filter 'FullyQualifiedName~ClusterHaproxyTests' --logger 'console;verbosity=detailed'" ;;
  esac
}

selected() {
  local name=$1
  if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* ]]; then return 1; fi
  if [[ -n "$SKIP" && ",$SKIP," == *",$name,"* ]]; then return 1; fi
  return 0
}

if ((LIST)); then
  for name in "${ALL[@]}"; do selected "$name" && printf '%-14s %s\n' "$name" "$(command_of "$name")"; done
  exit 0
fi

[[ $(id -u) -eq 0 ]] || { echo "bench/all.sh: run as root (namespaces, FRR, TUN devices)" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d /tmp/patronus-all-XXXX)}
mkdir -p "$OUT"
load() { cut -d' ' -f1-3 /proc/loadavg; }
cd "$ROOT" || exit 2

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | head -1)
{
  echo "# bench/all.sh at $commit${dirty:+ (uncommitted changes)}, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)."
  echo
} > "$OUT/summary.md"

echo "bench/all.sh: building (Release) — logs in $OUT"
if ! { dotnet build Patronus.slnx -c Release -nologo -clp:ErrorsOnly && ./patronus version && (cd ui && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npx vite build); } >"$OUT/build.log" 2>&1; then
  echo "bench/all.sh: the build failed, see $OUT/build.log" >&2
  tail -20 "$OUT/build.log" >&2
  exit 1
fi

failed=0
for name in "${ALL[@]}"; do
  selected "$name" || continue
  cmd=$(command_of "$name")
  start=$(date -u +%T) load0=$(load) t0=$(date +%s)
  echo "bench/all.sh: $name (load $load0): $cmd"
  (eval "$cmd") >"$OUT/$name.log" 2>&1
  rc=$?
  end=$(date -u +%T) load1=$(load) t1=$(date +%s)
  ((rc == 0)) || failed=$((failed + 1))
  {
    echo "## $name"
    echo
    echo "\`$cmd\`"
    echo
    echo "$start–$end UTC ($(( (t1 - t0 + 30) / 60 )) min), load $load0 → $load1, exit code $rc, log \`$OUT/$name.log\`"
    echo
    echo '```'
    tail -25 "$OUT/$name.log"
    echo '```'
    echo
  } >> "$OUT/summary.md"
  echo "bench/all.sh: $name done, exit code $rc (load $load1)"
done

echo "bench/all.sh: $failed part(s) failed; summary: $OUT/summary.md"
((failed == 0))
