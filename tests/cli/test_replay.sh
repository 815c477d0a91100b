#!/usr/bin/env bash
# test_replay.sh BIN DIR: a failure's replay reproduces it. Runs the
# deliberately wrong scenarios with a JSON report, then `replay`s the
# report: every case fails again, with the trace hash the report recorded.
set -uo pipefail
bin=$1; dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if eval "$2"; then echo "ok    $1"; pass=$((pass + 1)); else echo "FAIL  $1"; fail=$((fail + 1)); fi; }

"$bin" run "$dir" --seed 7 --report json:"$tmp/report.json" >"$tmp/run.txt" 2>&1
check "the first run fails" "[ $? -eq 1 ]"
"$bin" replay "$tmp/report.json" >"$tmp/replay.txt" 2>&1
check "the replay fails too" "[ $? -eq 1 ]"
for hash in $(grep -o '"trace_hash": "[0-9a-f]*"' "$tmp/report.json" | cut -d'"' -f4); do
  check "trace hash $hash again" "grep -q 'trace hash: $hash' '$tmp/replay.txt'"
done
first=$(grep -o '"id": "wrong/[^"]*"' "$tmp/report.json" | head -1 | cut -d'"' -f4)
"$bin" replay "$tmp/report.json" --case "$first" >"$tmp/one.txt" 2>&1
check "--case replays one case" "[ \$(grep -c '^FAIL [^ ]*: ' '$tmp/one.txt') -eq 1 ]"
"$bin" replay "$tmp/report.json" --case nope/none/1 >/dev/null 2>&1
check "an unknown --case is a usage error" "[ $? -eq 2 ]"
echo '{"x":' >"$tmp/bad.json"
"$bin" replay "$tmp/bad.json" 2>"$tmp/err.txt"
check "a broken report is exit 2 with what and where" "[ $? -eq 2 ] && grep -q 'bad.json:2:1' '$tmp/err.txt'"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
