#!/usr/bin/env bash
# run.sh BIN: mesos-go's v1 scheduler client (a real third-party client)
# against `BIN serve`, in JSON and then in protobuf (see README.md).
#
# Builds tests/goclient offline in GOPATH mode against Debian's gocode tree
# (golang-go, golang-github-mesos-mesos-go-dev) into a temporary directory,
# starts serve on a free loopback port with a 1 s heartbeat and one agent
# (--agents 1), runs the client once per codec, stops serve with SIGTERM
# and expects it to exit 0. Prints every check, then "N skipped" and
# last "N passed, N failed"; exits 1 on any failure, 2 on a usage error and
# 77 (ctest's SKIP_RETURN_CODE) when the Go toolchain or mesos-go is missing.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: run.sh PATH-TO-mesos-conform" >&2
  exit 2
fi
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
gocode=${MC_GOCODE:-/usr/share/gocode}
heartbeat=1

if ! command -v go >/dev/null 2>&1 ||
   [ ! -d "$gocode/src/github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched" ]; then
  echo "SKIP: needs golang-go and golang-github-mesos-mesos-go-dev (mesos-go under $gocode)"
  exit 77
fi

pass=0; fail=0; skip=0; pid=""
tmp=$(mktemp -d)
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ok()  { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1: $2"; fail=$((fail + 1)); }
finish() {
  echo "$skip skipped"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}

# Offline, GOPATH mode: nothing is fetched, the cache is thrown away.
build() {
  (cd "$here" &&
   env GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH="$gocode:$tmp/gopath" \
       GOCACHE="$tmp/gocache" CGO_ENABLED=0 go build -o "$tmp/goclient" .) >"$tmp/build.log" 2>&1
}
if build; then ok "build the mesos-go client offline"
else bad "build the mesos-go client offline" "$(tr '\n' ' ' <"$tmp/build.log")"; finish; fi

# start_serve ARGS...: sets pid and port, or returns 1 when serve did not
# print its listening line.
start_serve() {
  "$bin" serve --listen 127.0.0.1:0 --heartbeat "$heartbeat" --log-level warn "$@" \
    >"$tmp/serve.out" 2>"$tmp/serve.err" </dev/null &
  pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's|^mesos-conform serve: master listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
           "$tmp/serve.out")
    [ -n "$port" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; pid=""
      return 1
    fi
    sleep 0.05
  done
  return 1
}

agents=1
if start_serve --agents "$agents"; then ok "serve listening on port $port ($agents agent)"
else bad "serve start" "stdout '$(cat "$tmp/serve.out")', stderr '$(cat "$tmp/serve.err")'"; finish; fi

for codec in json protobuf; do
  "$tmp/goclient" -master "http://127.0.0.1:$port" -codec "$codec" -heartbeat "$heartbeat" \
    -agents "$agents" -deadline 25s >"$tmp/client.out" 2>"$tmp/client.err"
  status=$?
  cat "$tmp/client.out"
  p=$(grep -c '^ok ' "$tmp/client.out"); f=$(grep -c '^FAIL ' "$tmp/client.out")
  s=$(grep -c '^SKIP ' "$tmp/client.out")
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  # A crash (a panic, a signal) prints no FAIL line of its own.
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    bad "$codec client" "exit status $status, stderr '$(tr '\n' ' ' <"$tmp/client.err")'"
  fi
done

kill -TERM "$pid"
status=0
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$pid" 2>/dev/null; then
  bad "serve exits on SIGTERM" "still running after 5 s"
else
  wait "$pid"; status=$?; pid=""
  if [ "$status" -eq 0 ]; then ok "serve exits 0 on SIGTERM"
  else bad "serve exits 0 on SIGTERM" "status $status, stderr '$(tr '\n' ' ' <"$tmp/serve.err")'"; fi
fi
finish
