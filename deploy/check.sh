#!/usr/bin/env bash
# Validates the Prometheus and Alertmanager files of deploy/: config syntax, rule syntax, the alert
# unit tests and the severity routing. Exits non-zero if any check fails (all checks run).
# Needs promtool and amtool (Debian: apt-get install prometheus prometheus-alertmanager; ../test.sh
# installs them when run as root).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

for tool in promtool amtool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check.sh: $tool not found (apt-get install prometheus prometheus-alertmanager)" >&2
    exit 2
  fi
done

failed=0
run() {
  echo "+ $*"
  if ! "$@"; then
    echo "check.sh: FAILED: $*" >&2
    failed=$((failed + 1))
  fi
}

# rule_files in prometheus.yml and alerts_test.yml are relative to deploy/prometheus.
cd "$here/prometheus" || exit 2
run promtool check config prometheus.yml
run promtool check rules alerts.yml
run promtool test rules alerts_test.yml

cd "$here/alertmanager" || exit 2
run amtool check-config alertmanager.yml
# Each severity reaches its receiver (amtool exits 1 when the resolved receiver differs).
run amtool config routes test --config.file=alertmanager.yml --verify.receivers=patronus-critical severity=critical
run amtool config routes test --config.file=alertmanager.yml --verify.receivers=patronus-warning severity=warning

if [[ $failed -ne 0 ]]; then
  echo "check.sh: $failed check(s) failed" >&2
  exit 1
fi
echo "check.sh: all checks passed"
