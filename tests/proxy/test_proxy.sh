#!/usr/bin/env bash
# test_proxy.sh BIN: `serve` behind `proxy`, end to end with curl: traffic
# passes through, faults set on the command line and through the control
# channel act, and both stop cleanly on SIGTERM.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
check() { if eval "$2"; then echo "ok    $1"; pass=$((pass + 1)); else echo "FAIL  $1"; fail=$((fail + 1)); fi; }
url_of() { for _ in $(seq 1 100); do u=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" | head -1); [ -n "$u" ] && { echo "$u"; return; }; sleep 0.05; done; }

"$bin" serve --listen 127.0.0.1:0 --heartbeat 0.3 >"$tmp/serve.log" 2>&1 & pids+=($!)
master=$(url_of "$tmp/serve.log")
"$bin" proxy --listen 127.0.0.1:0 --upstream "${master#http://}" >"$tmp/proxy.log" 2>&1 & pids+=($!)
proxy=$(url_of "$tmp/proxy.log")
check "both started" "[ -n '$master' ] && [ -n '$proxy' ]"

sub='{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"proxy-test"}}}'
subscribe() { curl -sN -m 1.2 -H 'Content-Type: application/json' -H 'Accept: application/json' -d "$sub" "$proxy/api/v1/scheduler" | "$bin" decode; }

subscribe >"$tmp/plain.txt" 2>/dev/null
check "a subscription passes through" "grep -q SUBSCRIBED '$tmp/plain.txt' && [ \$(grep -c HEARTBEAT '$tmp/plain.txt') -ge 2 ]"

curl -s "$proxy/__mesos_conform/fault?drop-heartbeats" >"$tmp/ctl.txt"
check "the control channel takes a fault" "grep -q drop-heartbeats '$tmp/ctl.txt'"
subscribe >"$tmp/dropped.txt" 2>/dev/null
check "drop-heartbeats removes every HEARTBEAT" "grep -q SUBSCRIBED '$tmp/dropped.txt' && ! grep -q HEARTBEAT '$tmp/dropped.txt'"

curl -s "$proxy/__mesos_conform/fault?clear&answer=503" >/dev/null
code=$(curl -s -o "$tmp/503.txt" -w '%{http_code}' -H 'Content-Type: application/json' -d "$sub" "$proxy/api/v1/scheduler")
check "answer=503 stands in for the master" "[ '$code' = 503 ] && grep -q 'No leader elected' '$tmp/503.txt'"

code=$(curl -s -o /dev/null -w '%{http_code}' "$proxy/__mesos_conform/fault?no-such-fault")
check "an unknown fault is 400" "[ '$code' = 400 ]"

"$bin" proxy --listen 127.0.0.1:0 --upstream nowhere >"$tmp/bad.log" 2>&1
check "a bad upstream is a usage error" "[ $? -eq 2 ]"

kill -TERM "${pids[1]}"; wait "${pids[1]}"; s1=$?
kill -TERM "${pids[0]}"; wait "${pids[0]}"; s0=$?
pids=()
check "both stop cleanly on SIGTERM" "[ $s0 -eq 0 ] && [ $s1 -eq 0 ]"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
