#!/usr/bin/env bash
# test_cli.sh BIN EXAMPLES_DIR: the command line's contract, end to end.
# Good inputs give the expected output and status 0; every bad input gives
# status 2, exactly one line on stderr that says what and where, and
# nothing on stdout.
set -uo pipefail
bin=$1; ex=$2
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok()  { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1: $2"; fail=$((fail + 1)); }

# expect_output NAME EXPECTED_FILE CMD... (stdin from the caller)
expect_output() {
  local name=$1 expected=$2; shift 2
  if "$@" >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/out" "$expected"; then ok "$name"
  else bad "$name" "status $?, stdout $(head -c 300 "$tmp/out"), stderr $(cat "$tmp/err")"; fi
}

# expect_error NAME STDERR_PATTERN CMD... : status 2, one stderr line matching, empty stdout
expect_error() {
  local name=$1 pattern=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local status=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ $status -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 1 ] && grep -qE -- "$pattern" "$tmp/err"; then
    ok "$name"
  else
    bad "$name" "status $status, stdout '$(head -c 200 "$tmp/out")', stderr '$(cat "$tmp/err")'"
  fi
}

call=mesos.v1.scheduler.Call
event=mesos.v1.scheduler.Event

for f in "$ex"/*.call.json "$ex"/*.event.json; do
  case $f in *.call.json) t=$call ;; *) t=$event ;; esac
  n=$(basename "$f" .json)
  "$bin" convert --type $t --from json --to protobuf <"$f" >"$tmp/$n.pb"
  expect_output "$n json->protobuf->json" "${f%.json}.expected" \
    "$bin" convert --type $t --from protobuf --to json <"$tmp/$n.pb"
  expect_output "$n json->json is canonical" "${f%.json}.expected" \
    "$bin" convert --type $t --from json --to json <"${f%.json}.expected"
done
expect_output "decode a captured stream" "$ex/stream.expected" "$bin" decode <"$ex/stream.recordio"
# The same stream in protobuf framing decodes to the same lines.
: >"$tmp/stream.pb"
while IFS= read -r line; do
  printf '%s' "$line" | "$bin" convert --type $event --from json --to protobuf >"$tmp/rec"
  printf '%d\n' "$(stat -c %s "$tmp/rec")" >>"$tmp/stream.pb"; cat "$tmp/rec" >>"$tmp/stream.pb"
done <"$ex/stream.expected"
expect_output "decode a protobuf stream" "$ex/stream.expected" \
  "$bin" decode --codec protobuf <"$tmp/stream.pb"

expect_output "--version" <(echo "mesos-conform $("$bin" --version | cut -d' ' -f2)") "$bin" --version

# Bad flags and bad inputs.
expect_error "unknown command" "unknown command 'frobnicate'" "$bin" frobnicate </dev/null
expect_error "unknown type" "unknown message type 'mesos.v1.Nope'" \
  "$bin" convert --type mesos.v1.Nope --from json --to json </dev/null
expect_error "missing flag value" "--type needs a value" "$bin" decode --type </dev/null
expect_error "bad codec" "--codec must be json or protobuf" "$bin" decode --codec xml </dev/null
expect_error "JSON syntax error" "stdin: byte [0-9]+: syntax error at line 1 near: " \
  "$bin" convert --type $call --from json --to protobuf < <(printf '{"type": "SUBSCRIBE", ')
expect_error "wrong JSON type names the field" "field subscribe.framework_info.user: Not expecting a JSON number for field 'user'" \
  "$bin" convert --type $call --from json --to protobuf \
  < <(printf '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":5,"name":"n"}}}')
expect_error "missing required field" "Missing required fields: subscribe.framework_info.name" \
  "$bin" convert --type $call --from json --to json \
  < <(printf '{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u"}}}')
expect_error "garbage protobuf" "not a valid mesos.v1.scheduler.Call protobuf" \
  "$bin" convert --type $call --from protobuf --to json < <(printf '\377\377\377\377\017')
expect_error "bad RecordIO length" "stdin: byte 1: " "$bin" decode < <(printf '1x\n{}')
expect_error "truncated stream" "stream ended inside a record" "$bin" decode < <(printf '12\n{"type":')
expect_error "record is not an Event" "stdin: record 1 \(ending at byte 5\): byte 0: Expecting a JSON object" \
  "$bin" decode < <(printf '3\n[1]')

# simulate: bad flags are usage errors; a short run prints one JSON object
# with the documented keys, and the same seed gives the same trace hash.
expect_error "simulate: unknown flag" "simulate: unknown argument '--bogus'" "$bin" simulate --bogus
expect_error "simulate: bad faults" "simulate: bad value 'storms'" "$bin" simulate --faults storms
expect_error "simulate: bad duration" "simulate: bad value '10y'" "$bin" simulate --duration 10y
expect_error "simulate: zero duration" "simulate: bad value '0'" "$bin" simulate --duration 0
expect_error "simulate: too many agents" "simulate: bad value '201'" "$bin" simulate --agents 201
expect_error "simulate: missing value" "simulate: --seed needs a value" "$bin" simulate --seed
sim_args="simulate --agents 3 --frameworks 2 --duration 2m --faults chaos --seed 5 --json"
if "$bin" $sim_args >"$tmp/sim1" 2>"$tmp/err" && "$bin" $sim_args >"$tmp/sim2" 2>>"$tmp/err"; then
  missing=""
  for k in seed simulated_seconds wall_seconds speedup messages tasks_launched tasks_finished \
           tasks_lost invariant_violations trace_hash; do
    grep -q "\"$k\":" "$tmp/sim1" || missing="$missing $k"
  done
  h1=$(grep -o '"trace_hash":"[0-9a-f]*"' "$tmp/sim1"); h2=$(grep -o '"trace_hash":"[0-9a-f]*"' "$tmp/sim2")
  if [ -z "$missing" ] && [ "$(wc -l <"$tmp/sim1")" -eq 1 ] && [ -n "$h1" ] && [ "$h1" = "$h2" ] &&
     grep -q '"simulated_seconds":120.000' "$tmp/sim1"; then ok "simulate --json"
  else bad "simulate --json" "missing:$missing; $h1 vs $h2; $(head -c 300 "$tmp/sim1")"; fi
else
  bad "simulate --json" "status $?, $(cat "$tmp/err")"
fi
if "$bin" simulate --agents 2 --frameworks 1 --duration 30s --faults none --trace "$tmp/trace" >/dev/null &&
   [ "$(grep -c ' timer$' "$tmp/trace")" -gt 0 ]; then ok "simulate --trace"
else bad "simulate --trace" "no trace lines in $tmp/trace"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
