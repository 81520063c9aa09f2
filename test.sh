#!/usr/bin/env bash
# Installs what the tests need (apt packages when root; NuGet restore), builds, runs every test
# project, and ends with one summary line: "summary: N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# Debian packages the test suites use as real peers. Installed only when missing (idempotent).
APT_PACKAGES=(postgresql nftables iproute2 curl frr iputils-ping iperf3 python3 prometheus prometheus-alertmanager wireguard-tools wireguard-go chromium haproxy liblz4-1)

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  # node and npm (the graphql-js oracle): any install will do (Debian's, or NodeSource's, which
  # ships npm inside its nodejs package and conflicts with Debian's npm package).
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: not root; cannot install ${missing[*]} — the tests that need them will fail" >&2
    return 0
  fi
  echo "test.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own daemons (PostgreSQL, FRR bfdd) inside their own namespaces and
  # directories: keep the packages' services from starting system-wide during the install.
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
  fi
  local rc=0
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [[ $added -eq 1 ]] && rm -f "$policy"
  return $rc
}

install_packages || { echo "test.sh: apt-get failed" >&2; exit 1; }

# graphql-js, the conformance oracle of Patronus.GraphQL.Tests (versions pinned by package-lock.json).
echo "test.sh: npm ci (graphql-js conformance oracle)" >&2
if ! npm ci --prefix test/Patronus.GraphQL.Tests/conformance --no-audit --no-fund >&2; then
  echo "test.sh: npm ci failed; the GraphQL conformance tests will fail" >&2
fi

# The dashboard's packages (vite, vitest, playwright-core, axe-core …), pinned by ui/package-lock.json.
echo "test.sh: npm ci (dashboard, ui/)" >&2
if ! npm ci --prefix ui --no-audit --no-fund >&2; then
  echo "test.sh: npm ci in ui/ failed; the dashboard tests will fail" >&2
fi

echo "test.sh: restoring and building" >&2
if ! dotnet build Patronus.slnx -c Release --nologo -v quiet -clp:ErrorsOnly; then
  echo "summary: 0 passed, 1 failed (build failed)"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
results="$(mktemp -d)"
# Test projects only (test/Patronus.TestSupport is a library the others share).
for project in test/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  log="$results/$name.log"
  echo "test.sh: running $name" >&2
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line="$(grep -E '(Passed|Failed)!  - Failed: ' "$log" | tail -1)"
  if [[ -z "$line" ]]; then
    echo "test.sh: $name produced no result line (rc $rc)" >&2
    failed=$((failed + 1)); status=1; continue
  fi
  f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
  # A few failures are run once more, alone (the lab and cluster tests hold real timing bars on a
  # 2-core box: a start that took 3.1 s, a health check that lost a race). A test that passes on
  # its second run is reported as flaky by name — never hidden — and does not fail the run; one
  # that fails twice does. More than three failures are not retried.
  if [[ $f -gt 0 && $f -le 3 ]]; then
    mapfile -t flaky < <(grep -oE '^ +Failed (Patronus\.[A-Za-z0-9_.]+)' "$log" | awk '{print $2}' | sort -u)
    if [[ ${#flaky[@]} -gt 0 && ${#flaky[@]} -le 3 ]]; then
      filter="$(printf 'FullyQualifiedName~%s|' "${flaky[@]}")"; filter="${filter%|}"
      echo "test.sh: $name: running the ${#flaky[@]} failed test(s) once more: ${flaky[*]}" >&2
      retry="$results/$name.retry.log"
      dotnet test "$project" -c Release --no-build --nologo --filter "$filter" 2>&1 | tee "$retry"
      rline="$(grep -E '(Passed|Failed)!  - Failed: ' "$retry" | tail -1)"
      rf=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"${rline:-Failed: 1,}")
      rp=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"${rline:-Passed: 0,}")
      if [[ -n "$rline" && $rf -eq 0 && $rp -ge $f ]]; then
        echo "test.sh: FLAKY (failed, then passed alone): ${flaky[*]}" >&2
        p=$((p + f)); f=0; rc=0
      fi
    fi
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [[ $rc -ne 0 || $f -ne 0 ]] && status=1
done
rm -rf "$results"

# Dashboard (ui/): type check + vitest unit tests, then the browser tests — Playwright driving
# Debian's Chromium against a real serve (this build's executable) and the freshly built UI.
echo "test.sh: dashboard unit tests (tsc, vitest)" >&2
ui_log="$(mktemp)"
(cd ui && npx --no-install tsc --noEmit && NO_COLOR=1 npx --no-install vitest run) 2>&1 | tee "$ui_log" >&2
rc=${PIPESTATUS[0]}
line="$(grep -E '^ *Tests +' "$ui_log" | tail -1)"
p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
passed=$((passed + p)); failed=$((failed + f))
if [[ $rc -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); fi # tsc failed, or vitest printed no count
[[ $rc -ne 0 ]] && status=1

echo "test.sh: dashboard browser tests (build ui/, Playwright + Chromium)" >&2
if (cd ui && npx --no-install vite build --logLevel error >&2); then
  PATRONUS_BIN="$root/src/Patronus.Server/bin/Release/net10.0/patronus" PATRONUS_UI_ROOT="$root/ui/dist" \
    node ui/e2e/run.mjs 2>&1 | tee "$ui_log" >&2
  rc=${PIPESTATUS[0]}
else
  echo "e2e: 0 passed, 1 failed (the UI build failed)" >"$ui_log"; rc=1
fi
line="$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$ui_log" | tail -1)"
p=$(sed -E 's/^e2e: ([0-9]+) passed.*/\1/' <<<"${line:-e2e: 0 passed}")
f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-x 1 failed}")
passed=$((passed + p)); failed=$((failed + f))
[[ $rc -ne 0 || $f -ne 0 ]] && status=1
rm -f "$ui_log"

# Scale gate (issue 14, bar 1 short): a whole `patronus serve` with 2,000 STAMP paths against
# two reflector processes for 30 s must be ready within 5 s, keep every path Up (no self-inflicted
# loss or jitter), stay under 1 core and 300 MB, and answer every /metrics scrape within 50 ms.
# The full bar (10,000 paths) and its figures: docs/performance.md, "Whole serve at scale".
echo "test.sh: scale gate (Patronus.Bench serve --paths 2000 --seconds 30 --check)" >&2
# Like a failed test above, a failed gate runs once more and a pass then is printed as FLAKY.
if dotnet bench/Patronus.Bench/bin/Release/net10.0/Patronus.Bench.dll serve --paths 2000 --seconds 30 --check >&2; then
  passed=$((passed + 1))
elif echo "test.sh: the scale gate failed; running it once more" >&2 &&
  dotnet bench/Patronus.Bench/bin/Release/net10.0/Patronus.Bench.dll serve --paths 2000 --seconds 30 --check >&2; then
  echo "test.sh: FLAKY (failed, then passed alone): scale gate" >&2
  passed=$((passed + 1))
else
  echo "test.sh: the scale gate failed (its table above says which bar)" >&2
  failed=$((failed + 1)); status=1
fi

# Style is part of the build contract (HOUSE_STYLE.md): a formatting drift fails the run.
echo "test.sh: dotnet format --verify-no-changes" >&2
if ! dotnet format Patronus.slnx --verify-no-changes --no-restore >&2; then
  echo "test.sh: dotnet format found changes to make (run: dotnet format Patronus.slnx)" >&2
  failed=$((failed + 1)); status=1
fi

echo "summary: $passed passed, $failed failed, $skipped skipped"
exit $status
