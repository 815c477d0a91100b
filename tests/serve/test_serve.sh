#!/usr/bin/env bash
# test_serve.sh BIN: `BIN serve` end to end on loopback, with curl.
# Usage errors give status 2 and one line on stderr; a running serve
# prints its real address, streams SUBSCRIBED and HEARTBEATs to `curl -N`
# (SPEC W6, H1), answers /version and /health, and exits 0 on SIGTERM and
# on SIGINT, closing its open streams (curl sees the connection end). With
# --agents 2 it says so on its second line, and a subscribed framework is
# offered both agents' resources (O1, O7); a 64 MiB body gets 413 and the
# server keeps serving.
set -uo pipefail
bin=$1
pass=0; fail=0; pid=""
tmp=$(mktemp -d)
cleanup() { if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null; fi; rm -rf "$tmp"; }
trap cleanup EXIT

ok()  { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1: $2"; fail=$((fail + 1)); }

# expect_usage NAME PATTERN ARGS...: status 2, nothing on stdout, one stderr line matching.
expect_usage() {
  local name=$1 pattern=$2; shift 2
  "$bin" serve "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local status=$?
  if [ $status -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
     grep -qE -- "$pattern" "$tmp/err"; then ok "$name"
  else bad "$name" "status $status, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")'"; fi
}

expect_usage "too many agents" "--agents: 65 agents, at most 64 run in one serve" --agents 65
expect_usage "bad agents" "bad value 'two'" --agents two
expect_usage "negative agents" "bad value '-1'" --agents -1
expect_usage "resources without agents" "--resources: needs --agents N" --resources cpus:1
expect_usage "bad resources" "--resources: Bad type for resource cpus value x" \
  --agents 1 --resources 'cpus:x'
expect_usage "empty resources" "--resources: empty" --agents 1 --resources ''
expect_usage "JSON resources" "--resources: JSON resources are not supported" \
  --agents 1 --resources '[{"name":"cpus"}]'
expect_usage "zero agent ping timeout" "bad value '0'" --agents 1 --agent-ping-timeout 0
expect_usage "agents past the connections" "--max-connections: must be above --agents" \
  --agents 4 --max-connections 4
expect_usage "unknown flag" "unknown argument '--bogus'" --bogus
expect_usage "missing value" "--heartbeat needs a value" --heartbeat
expect_usage "bad heartbeat" "bad value '-1'" --heartbeat -1
expect_usage "zero heartbeat" "bad value '0'" --heartbeat 0
expect_usage "bad seed" "bad value 'x1'" --seed x1
expect_usage "bad log level" "bad value 'loud'" --log-level loud
expect_usage "bad listen address" "bad listen address 'nowhere'" --listen nowhere

# start_serve NAME [ARGS...]: starts serve on a free port; sets pid and port.
start_serve() {
  local name=$1; shift
  "$bin" serve --listen 127.0.0.1:0 --heartbeat 0.2 --seed 7 --log-level warn \
    "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's|^mesos-conform serve: master listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$tmp/out")
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -n "$port" ] && [ "$port" != 0 ]; then ok "listening line ($name run, port $port)"
  else bad "listening line" "stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")'"; fi
}

# stop_serve SIGNAL: sends it and expects a clean exit 0.
stop_serve() {
  kill -"$1" "$pid"; wait "$pid"; local status=$?; pid=""
  if [ $status -eq 0 ]; then ok "exit 0 on SIG$1"
  else bad "exit on SIG$1" "status $status, stderr '$(cat "$tmp/err")'"; fi
}

sub='{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"t"}}}'

start_serve TERM --agents 0
# A stream read with curl -N for a second: SUBSCRIBED, then heartbeats (every 0.2 s).
curl -sS -N --max-time 1 -D "$tmp/head" -H 'Content-Type: application/json' \
  -H 'Accept: application/json' -d "$sub" "http://127.0.0.1:$port/api/v1/scheduler" \
  >"$tmp/stream" 2>/dev/null
beats=$(grep -o '{"type":"HEARTBEAT"}' "$tmp/stream" | wc -l)
if grep -q '"type":"SUBSCRIBED"' "$tmp/stream" && [ "$beats" -ge 2 ]; then
  ok "curl -N sees SUBSCRIBED and $beats HEARTBEATs"
else bad "subscribe stream" "$(head -c 300 "$tmp/stream")"; fi
if grep -qi '^HTTP/1.1 200 OK' "$tmp/head" && grep -qi '^Mesos-Stream-Id: ' "$tmp/head" &&
   grep -qi '^Transfer-Encoding: chunked' "$tmp/head" && grep -qi '^Date: ' "$tmp/head"; then
  ok "stream head"
else bad "stream head" "$(cat "$tmp/head")"; fi
if curl -sS "http://127.0.0.1:$port/version" | grep -q '"version":"1.12.0"'; then ok "/version"
else bad "/version" "no 1.12.0"; fi
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")
if [ "$code" = 200 ]; then ok "/health"; else bad "/health" "status $code"; fi
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/scheduler")
if [ "$code" = 405 ]; then ok "GET scheduler is 405"; else bad "GET scheduler" "status $code"; fi
# A stream open at shutdown: serve still exits 0 and curl sees the end.
curl -sS -N --max-time 10 -H 'Content-Type: application/json' -d "$sub" \
  "http://127.0.0.1:$port/api/v1/scheduler" >"$tmp/open" 2>/dev/null &
curl_pid=$!
for _ in $(seq 1 100); do grep -q SUBSCRIBED "$tmp/open" && break; sleep 0.05; done
stop_serve TERM
if wait "$curl_pid"; then bad "open stream at shutdown" "curl exited 0 on a cut stream"
else ok "open stream cut at shutdown"; fi

start_serve INT
stop_serve INT

# Two agents: the second line names them, and a framework is offered both.
start_serve agents --agents 2 --agent-ping-timeout 0.5
if sed -n 2p "$tmp/out" | grep -qF \
   "mesos-conform serve: 2 agents (agent1:5051 to agent2:5052) registering with 127.0.0.1:$port, each offering cpus:4;mem:8192;disk:65536;ports:[31000-32000]"
then ok "agents line"; else bad "agents line" "stdout '$(cat "$tmp/out")'"; fi
curl -sS -N --max-time 20 -H 'Content-Type: application/json' -H 'Accept: application/json' \
  -d "$sub" "http://127.0.0.1:$port/api/v1/scheduler" >"$tmp/offers" 2>/dev/null &
curl_pid=$!
# Agents register within about a second (Mesos' backoff) and the allocator
# runs every second: both are offered within a few.
for _ in $(seq 1 200); do
  grep -q '"hostname":"agent1"' "$tmp/offers" && grep -q '"hostname":"agent2"' "$tmp/offers" && break
  sleep 0.05
done
kill "$curl_pid" 2>/dev/null; wait "$curl_pid" 2>/dev/null
agents=$(grep -o '"agent_id":{"value":"[^"]*"}' "$tmp/offers" | sort -u | wc -l)
if grep -q '"type":"OFFERS"' "$tmp/offers" && grep -q '"hostname":"agent1"' "$tmp/offers" &&
   grep -q '"hostname":"agent2"' "$tmp/offers" && [ "$agents" -eq 2 ] &&
   grep -q '"name":"cpus","type":"SCALAR","scalar":{"value":4.0}' "$tmp/offers"; then
  ok "OFFERS from both agents ($agents agent ids)"
else bad "offers from both agents" "$agents agent ids; $(head -c 600 "$tmp/offers")"; fi
# A 64 MiB body, with Content-Length and then chunked: 413, and the server
# keeps serving.
for framing in Content-Length chunked; do
  te=()
  [ "$framing" = chunked ] && te=(-H 'Transfer-Encoding: chunked')
  code=$(head -c $((64 * 1024 * 1024)) /dev/zero |
         curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' "${te[@]}" \
              --data-binary @- "http://127.0.0.1:$port/api/v1/scheduler" 2>/dev/null)
  if [ "$code" = 413 ]; then ok "64 MiB body ($framing): 413"
  else bad "64 MiB body ($framing)" "status '$code'"; fi
  code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")
  if [ "$code" = 200 ]; then ok "/health after the 64 MiB body"
  else bad "/health after the 64 MiB body" "status $code"; fi
done
stop_serve TERM

echo "serve: $pass passed, $fail failed"
[ $fail -eq 0 ]
