#!/usr/bin/env bash
# faults_on_serve.sh BIN SCENARIOS: the fault scenarios against a real
# master over HTTP. `BIN serve` (1 s heartbeats) runs on a free loopback
# port; `run --via-proxy` puts each actor behind a fault proxy of its own,
# and `--hook restart-master=CMD` restarts serve on the same port when a
# scenario restarts the master. Checks that the partition, drop and split
# cases pass there (not skip), that the master restart works through the
# hook (its environment included), that a failing hook fails the step with
# its exit status, that a redirect followed shows in the reports, that what
# cannot be done is skipped with the option that would do it, and that bad
# --hook, --agent and --via-proxy uses are usage errors (status 2, one line
# on stderr saying what and where).
set -uo pipefail
bin=$1; scenarios=$2
pass=0; fail=0
tmp=$(mktemp -d)
cleanup() {
  if [ -f "$tmp/pid" ]; then kill "$(cat "$tmp/pid")" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ok()  { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1: $2"; fail=$((fail + 1)); }

# start_serve PORT: serve on 127.0.0.1:PORT (0: a free one); writes pid, port and url.
cat >"$tmp/start.sh" <<EOF
#!/usr/bin/env bash
"$bin" serve --listen 127.0.0.1:\$1 --heartbeat 1 --log-level warn >"$tmp/serve.log" 2>&1 &
echo \$! >"$tmp/pid"
for _ in \$(seq 1 200); do
  url=\$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve.log" | head -1)
  if [ -n "\$url" ]; then echo "\$url" >"$tmp/url"; echo "\${url##*:}" >"$tmp/port"; exit 0; fi
  sleep 0.05
done
echo "serve did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1
EOF
# The hook: the master "fails over": serve stops, and a new one takes the same port.
cat >"$tmp/restart.sh" <<EOF
#!/usr/bin/env bash
echo "\$MESOS_CONFORM_HOOK \$MESOS_CONFORM_TARGET \$MESOS_CONFORM_CASE" >>"$tmp/hook.env"
pid=\$(cat "$tmp/pid"); kill "\$pid"
for _ in \$(seq 1 200); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.05; done
exec "$tmp/start.sh" "\$(cat "$tmp/port")"
EOF
chmod +x "$tmp/start.sh" "$tmp/restart.sh"
if ! "$tmp/start.sh" 0; then exit 1; fi
url=$(cat "$tmp/url")

# verdict ID FILE: the verdict word of a case in a text report.
verdict() { grep -E "^[A-Z]+ +$1 " "$2" | awk '{print $1}'; }

# 1. The fault scenarios through the proxies, the master restarted by the hook.
"$bin" run "$scenarios/partition" "$scenarios/failover" "$scenarios/agents" --target "$url" \
  --via-proxy --hook "restart-master=$tmp/restart.sh" --exclude failover/master/2 \
  >"$tmp/run.txt" 2>"$tmp/run.err"; status=$?
if [ $status -eq 0 ]; then ok "the fault scenarios pass through the proxy"
else bad "the fault scenarios pass through the proxy" "status $status: $(cat "$tmp/run.txt" "$tmp/run.err")"; fi
for id in partition/heartbeats/1 partition/scheduler/1 partition/split/1 failover/master/1; do
  v=$(verdict "$id" "$tmp/run.txt")
  if [ "$v" = PASS ]; then ok "$id passes on serve"; else bad "$id passes on serve" "verdict '$v'"; fi
done
if [ "$(cat "$tmp/hook.env" 2>/dev/null)" = "restart-master ${url#http://} failover/master/1" ]; then
  ok "the hook ran once, with its environment"
else bad "the hook ran once, with its environment" "$(cat "$tmp/hook.env" 2>/dev/null)"; fi
v=$(verdict agents/restart/1 "$tmp/run.txt")
if [ "$v" = SKIP ] && grep -q -- "--agent NAME" "$tmp/run.txt"; then ok "agent cases skip, naming --agent"
else bad "agent cases skip, naming --agent" "verdict '$v'"; fi

# 2. Without the proxy and the hook: skipped, and the reason names the option.
url=$(cat "$tmp/url")
"$bin" run "$scenarios/partition/scheduler-blackholed.scn" "$scenarios/failover/master-restart.scn" \
  --target "$url" >"$tmp/skip.txt" 2>&1; status=$?
if [ $status -eq 0 ] && grep -q "reason: .*without --via-proxy" "$tmp/skip.txt" &&
   grep -q "reason: .*without --hook restart-master=CMD" "$tmp/skip.txt"; then
  ok "without them the cases skip, naming --via-proxy and --hook"
else bad "without them the cases skip, naming --via-proxy and --hook" "status $status: $(cat "$tmp/skip.txt")"; fi

# 3. A hook that fails fails the step, with its exit status; the replay repeats the options.
"$bin" run "$scenarios/failover/master-restart.scn" --target "$url" \
  --hook 'restart-master=echo restarting >&2; exit 3' >"$tmp/hookfail.txt" 2>"$tmp/hookfail.err"; status=$?
if [ $status -eq 1 ] && grep -q "observed: hook restart-master: exit status 3" "$tmp/hookfail.txt" &&
   grep -q "^replay: .*--hook 'restart-master=echo restarting >&2; exit 3'" "$tmp/hookfail.txt" &&
   grep -q "^restarting$" "$tmp/hookfail.err"; then
  ok "a failing hook fails the step with its exit status"
else bad "a failing hook fails the step with its exit status" "status $status: $(cat "$tmp/hookfail.txt")"; fi
# `replay REPORT.json` runs the case again with the same options, the hook included.
"$bin" run "$scenarios/failover/master-restart.scn" --target "$url" \
  --hook 'restart-master=echo restarting >&2; exit 3' --report "json:$tmp/hookfail.json" \
  >/dev/null 2>&1
"$bin" replay "$tmp/hookfail.json" >"$tmp/replay.txt" 2>"$tmp/replay.err"; status=$?
if [ $status -eq 1 ] && grep -q "observed: hook restart-master: exit status 3" "$tmp/replay.txt" &&
   grep -q "^restarting$" "$tmp/replay.err"; then
  ok "replay repeats a real target's options (the hook runs again)"
else bad "replay repeats a real target's options" "status $status: $(cat "$tmp/replay.txt")"; fi

# 4. A 307 followed is in the report: a proxy answering 307 stands in front of serve.
"$bin" proxy --upstream "${url#http://}" --fault "answer=307:${url#http://}" >"$tmp/proxy.log" 2>&1 &
proxy_pid=$!
purl=""
for _ in $(seq 1 100); do
  purl=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/proxy.log" | head -1)
  [ -n "$purl" ] && break
  sleep 0.05
done
"$bin" run "$scenarios/partition/split-every-byte.scn" --target "$purl" --verbose \
  --report json:"$tmp/redirect.json" >"$tmp/redirect.txt" 2>&1; status=$?
kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null
if [ $status -eq 0 ] && grep -q "redirected: s1 (line 20, s1 subscribe) to ${url#http://}" "$tmp/redirect.txt" &&
   grep -q "\"to\": \"${url#http://}\"" "$tmp/redirect.json"; then
  ok "a redirect is in the text (--verbose) and the JSON report"
else bad "a redirect is in the text (--verbose) and the JSON report" "status $status: $(cat "$tmp/redirect.txt")"; fi

# 5. Usage errors: status 2, nothing on stdout, one line on stderr.
expect_usage() {
  local name=$1 pattern=$2; shift 2
  "$bin" run "$scenarios/partition" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local status=$?
  if [ $status -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
     grep -qE -- "$pattern" "$tmp/err"; then ok "$name"
  else bad "$name" "status $status, stdout '$(head -c 200 "$tmp/out")', stderr '$(cat "$tmp/err")'"; fi
}
expect_usage "hook without =" "--hook 'restart-master': byte 15: expected KIND=COMMAND" \
  --target "$url" --hook restart-master
expect_usage "unknown hook" "--hook 'reboot=x': byte 1: unknown hook" --target "$url" --hook reboot=x
expect_usage "agent hook without a name" "--hook 'crash-agent=x': byte 12: crash-agent needs an agent" \
  --target "$url" --hook crash-agent=x
expect_usage "bad agent name" "--hook 'restart-agent:1a=x': byte 15: bad agent name" \
  --target "$url" --hook restart-agent:1a=x
expect_usage "empty command" "--hook 'restart-master=': byte 16: the command is empty" \
  --target "$url" --hook restart-master=
expect_usage "master hook with a name" "byte 15: restart-master takes no agent name" \
  --target "$url" --hook restart-master:a1=x
expect_usage "hook given twice" "crash-agent:a1 is given twice" \
  --target "$url" --hook crash-agent:a1=x --hook crash-agent:a1=y
expect_usage "hook on sim" "need a real target" --hook restart-master=x
expect_usage "via-proxy on sim" "need a real target" --via-proxy
expect_usage "bad --agent" "--agent wants a name" --target "$url" --agent 9x
expect_usage "via-proxy on https" "works with http:// targets only" \
  --target https://127.0.0.1:1 --via-proxy --filter partition/split/1

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
