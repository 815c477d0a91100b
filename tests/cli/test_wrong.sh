#!/usr/bin/env bash
# test_wrong.sh BIN DIR: the runner checks itself. Every scenario in DIR
# expects something the reference does not do; each must get the verdict
# fail (exit status 1) and say what its "# expect-failure:" line says.
set -uo pipefail
bin=$1; dir=$2
pass=0; fail=0
for f in "$dir"/*.scn; do
  want=$(sed -n 's/^# expect-failure: //p' "$f" | head -1)
  out=$("$bin" run "$f" 2>&1); status=$?
  if [ $status -eq 1 ] && grep -qF -- "$want" <<<"$out" && grep -q '^FAIL ' <<<"$out" \
     && grep -q '^replay: ' <<<"$out"; then
    echo "ok    $(basename "$f")"; pass=$((pass + 1))
  else
    echo "FAIL  $(basename "$f"): status $status, wanted '$want' in:"; echo "$out" | sed 's/^/      /'
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
