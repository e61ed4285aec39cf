#!/usr/bin/env bash
# A real Ctrl-C after 2 epochs, N times in a row (default 50), in fresh pytest processes; run it
# beside a load (another test suite, `.ci/run` from a fresh clone) to check that no SIGINT is lost.
#   bash bench/ctrl_c_stress.sh [N]
set -u
cd "$(dirname "$0")/.."
runs="${1:-50}"
passed=0
for i in $(seq 1 "$runs"); do
  if timeout 200 python -m pytest "tests/test_train.py::test_every_real_ctrl_c_stops_training[2]" -q -p no:cacheprovider >/tmp/ctrl_c_last.txt 2>&1; then
    passed=$((passed + 1)); echo "run $i: passed ($(date +%T))"
  else
    echo "run $i: FAILED (output in /tmp/ctrl_c_fail_$i.txt)"; cp /tmp/ctrl_c_last.txt "/tmp/ctrl_c_fail_$i.txt"
  fi
done
echo "passed $passed of $runs"
[ "$passed" -eq "$runs" ]
