#!/usr/bin/env bash
# Checks the harness itself against fake_sts.py (a stand-in server with AWS's answers),
# so a failure here is the harness's, not Castellan's:
#   1. the faithful fake: every case passes;
#   2. FAKE_STS_BREAK=1, a subtly wrong fake: exactly the cases it breaks fail.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
pid=''
stop() { [[ -z $pid ]] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; pid=''; }
trap 'stop; rm -rf "$tmp"' EXIT
cases='GetCallerIdentity,wrong-secret,unknown-key-id,no-authorization,dated-20-minutes-ago'

run_against_fake() { # run_against_fake BREAK OUTFILE [run.sh args]
  local brk=$1 out=$2 port; shift 2
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  FAKE_STS_BREAK=$brk python3 "$here/fake_sts.py" "$port" "$tmp/creds" >"$tmp/log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$tmp/log" 2>/dev/null && break; sleep 0.1; done
  CASTELLAN_ENDPOINT=http://127.0.0.1:$port CASTELLAN_CREDENTIALS_FILE=$tmp/creds \
    "$here/../run.sh" --cases "$cases" "$@" | tee "$out" || true
  stop
}

status=0
run_against_fake 0 "$tmp/good" "$@"
grep -qx '[0-9]* passed, 0 failed, [0-9]* skipped' "$tmp/good" || { echo "selftest: the faithful fake did not pass"; status=1; }

run_against_fake 1 "$tmp/bad" "$@"
for want in GetCallerIdentity unknown-key-id no-authorization dated-20-minutes-ago; do
  if grep -q "^PASS [^ ]* $want\$" "$tmp/bad"; then
    echo "selftest: $want passed against the broken fake"; status=1
  fi
done
if grep -q "^FAIL [^ ]* wrong-secret" "$tmp/bad"; then
  echo "selftest: wrong-secret failed against the broken fake (it does not break it)"; status=1
fi
((status == 0)) && echo "selftest: harness OK"
exit "$status"
