#!/usr/bin/env bash
# suite_on_serve.sh BIN SCENARIOS: starts `mesos-conform serve` on a free
# loopback port and runs the whole suite against it over real HTTP, so the
# reference behaves the same on the wire as in simulation.
set -uo pipefail
bin=$1; scenarios=$2
log=$(mktemp)
"$bin" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1)
  [ -n "$url" ] && break
  sleep 0.05
done
if [ -z "$url" ]; then echo "serve did not start:"; cat "$log"; exit 1; fi
"$bin" run "$scenarios" --target "$url"
