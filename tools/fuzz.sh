#!/usr/bin/env bash
# Fuzzes the applicationHost.config editor (internal/apphost FuzzEdit) for
# FUZZTIME and, when IIS_TEST_REPORT is set, adds its count to the report.
# Minimising new inputs is off: at several milliseconds an input it stalls
# the run for minutes without finding more.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! out=$(go test ./internal/apphost -run '^$' -fuzz=FuzzEdit -fuzztime="${FUZZTIME:-30s}" -fuzzminimizetime=0 2>&1); then
  echo "$out"
  exit 1
fi
echo "$out" | tail -2
last=$(echo "$out" | grep 'execs:' | tail -1 | sed 's/^fuzz: //')
if [ -n "${IIS_TEST_REPORT:-}" ]; then
  echo "fuzz: FuzzEdit $last; no invariant broken" >> "$IIS_TEST_REPORT"
fi
