#!/usr/bin/env bash
# Castellan client toolkit with real clients: the aws CLI (v1 on PATH, and v2 when
# installed) and boto3 consume what castellan provides — a credential_process
# profile (castellan credential-process), the container-credentials endpoint
# (castellan credentials serve) and castellan exec — against a real `castellan serve`
# started with a short --min-session-duration. Then doctor must pass for the
# profiles it set up, and rotate-keys must leave a working key.
#
#   test/conformance/toolkit.sh
#
# Knobs: CASTELLAN_BIN (use this binary, no build), CONFORMANCE_PYTHON (python with
# boto3), CONFORMANCE_AWS_V1 / CONFORMANCE_AWS_V2 (CLI binaries), TOOLKIT_SECONDS
# (length of the boto3 run through credentials serve, default 20; 60 for the long
# check), CONFORMANCE_KEEP=1 (keep the scratch dir). With CI set a missing client
# is a failure, not a skip. Output: "PASS toolkit <client> <case>" lines, then
# "N passed, M failed, K skipped"; the exit status is non-zero when anything failed.
set -uo pipefail

CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CONF_DIR/../.." && pwd)
PYTHON=${CONFORMANCE_PYTHON:-python3}
SECONDS_LONG=${TOOLKIT_SECONDS:-20}
PASSED=0 FAILED=0 SKIPPED=0

pass() { echo "PASS toolkit $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL toolkit $1: $2"; FAILED=$((FAILED + 1)); }
skip() {
  if [[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]]; then fail "$1" "$2 (CI: missing clients fail)"; else echo "SKIP toolkit $1: $2"; SKIPPED=$((SKIPPED + 1)); fi
}
# check NAME CMD... : PASS when CMD succeeds; FAIL with its output otherwise.
check() {
  local name=$1 out; shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"; fi
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/castellan-toolkit.XXXXXX")
SERVER_PID=''
cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${CONFORMANCE_KEEP:-} == 1 ]]; then echo "toolkit: scratch dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BIN=${CASTELLAN_BIN:-}
if [[ -z $BIN ]]; then
  BIN=$WORK/castellan
  echo "toolkit: building ./cmd/castellan" >&2
  (cd "$REPO_ROOT" && go build -o "$BIN" ./cmd/castellan) >&2 || { echo "toolkit: build failed" >&2; exit 2; }
fi

port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$WORK/data"
env -u CASTELLAN_BIN "$BIN" serve --addr "127.0.0.1:$port" --data-dir "$WORK/data" --min-session-duration 1s \
  >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
EP=''
for _ in $(seq 600); do
  if [[ $(cat "$WORK/server.log") =~ castellan\ listening\ on\ (http://[^[:space:]]+) ]]; then EP=${BASH_REMATCH[1]}; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[[ -n $EP ]] || { echo "toolkit: the server did not start:" >&2; tail -n 20 "$WORK/server.log" >&2; exit 2; }
for _ in $(seq 50); do [[ -s $WORK/data/root-credentials ]] && break; sleep 0.1; done
ROOT_AKID=$(awk -F' = ' '$1 == "aws_access_key_id" { print $2; exit }' "$WORK/data/root-credentials")
ROOT_SECRET=$(awk -F' = ' '$1 == "aws_secret_access_key" { print $2; exit }' "$WORK/data/root-credentials")
echo "toolkit: castellan serve at $EP (pid $SERVER_PID)" >&2

# A clean client machine: its own HOME and AWS files, no AWS_* variables.
for v in $(env | awk -F= '/^AWS_/ { print $1 }'); do unset "$v"; done
export HOME=$WORK/home AWS_CONFIG_FILE=$WORK/home/.aws/config AWS_SHARED_CREDENTIALS_FILE=$WORK/home/.aws/credentials
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"
CACHE=$WORK/home/cache

# Clients.
AWS_V1='' AWS_V2=''
for c in "${CONFORMANCE_AWS_V1:-}" aws; do
  [[ -n $c ]] && c=$(command -v "$c" 2>/dev/null) && [[ $("$c" --version 2>&1) =~ aws-cli/1\. ]] && { AWS_V1=$c; break; }
done
for c in "${CONFORMANCE_AWS_V2:-}" /usr/bin/aws /usr/local/bin/aws aws; do
  [[ -n $c ]] && c=$(command -v "$c" 2>/dev/null) && [[ $("$c" --version 2>&1) =~ aws-cli/2\. ]] && { AWS_V2=$c; break; }
done
HAVE_BOTO3=0
"$PYTHON" -c 'import boto3' >/dev/null 2>&1 && HAVE_BOTO3=1

# IS_ROOT: reads get-caller-identity JSON on stdin, fails unless the Arn is the root's.
IS_ROOT=$WORK/is-root
printf '#!/bin/sh\nexec "%s" -c %s\n' "$PYTHON" "'import json,sys; a=json.load(sys.stdin)[\"Arn\"]; sys.exit(0 if a.endswith(\":root\") else \"Arn \" + a)'" >"$IS_ROOT"
chmod +x "$IS_ROOT"

# --- configure ---------------------------------------------------------------------
check "configure src --verify" sh -c "printf '%s\n' '$ROOT_SECRET' | '$BIN' configure --profile src --access-key-id '$ROOT_AKID' \
  --secret-access-key-stdin --region us-east-1 --endpoint-url '$EP' --verify"
check "configure dev (credential_process)" "$BIN" configure --profile dev --region us-east-1 --endpoint-url "$EP" \
  --credential-process "$BIN credential-process --profile src --cache-dir $CACHE"
check "files are 0600" sh -c "[ \"\$(stat -c %a '$AWS_CONFIG_FILE')\" = 600 ] && [ \"\$(stat -c %a '$AWS_SHARED_CREDENTIALS_FILE')\" = 600 ]"

# --- credential_process through the real clients --------------------------------------
for cli in "aws-v1:$AWS_V1" "aws-v2:$AWS_V2"; do
  name=${cli%%:*} bin=${cli#*:}
  if [[ -z $bin ]]; then skip "$name credential_process" "not installed"; continue; fi
  check "$name credential_process" sh -c "'$bin' --profile dev --endpoint-url '$EP' --output json sts get-caller-identity | '$IS_ROOT'"
done
if ((HAVE_BOTO3)); then
  check "boto3 credential_process" "$PYTHON" - "$EP" <<'PY'
import sys, boto3
ep = sys.argv[1]
s = boto3.Session(profile_name="dev")
arn = s.client("sts", endpoint_url=ep).get_caller_identity()["Arn"]
c = s.get_credentials()
assert arn.endswith(":root"), arn
assert c.access_key.startswith("ASIA") and c.token, "not temporary credentials"
assert c.method == "custom-process", c.method
PY
  check "cache file is 0600" sh -c "ls '$CACHE'/*.json >/dev/null && [ \"\$(stat -c %a '$CACHE'/*.json | sort -u)\" = 600 ]"
else
  skip "boto3 credential_process" "boto3 not importable by $PYTHON"
fi

# --- exec -----------------------------------------------------------------------------
if [[ -n $AWS_V1 ]]; then
  check "aws-v1 exec" sh -c "'$BIN' exec --profile src -- sh -c 'case \$AWS_ACCESS_KEY_ID in ASIA*) ;; *) exit 9;; esac; \"$AWS_V1\" --endpoint-url \"$EP\" --output json sts get-caller-identity' | '$IS_ROOT'"
else
  skip "aws-v1 exec" "not installed"
fi

# --- credentials serve (container endpoint) ---------------------------------------------
for cli in "aws-v1:$AWS_V1" "aws-v2:$AWS_V2"; do
  name=${cli%%:*} bin=${cli#*:}
  if [[ -z $bin ]]; then skip "$name credentials serve" "not installed"; continue; fi
  check "$name credentials serve" sh -c "'$BIN' credentials serve --profile src --duration 30s -- sh -c '\"$bin\" --endpoint-url \"$EP\" --output json sts get-caller-identity' 2>'$WORK/serve-$name.log' | '$IS_ROOT'"
done
if ((HAVE_BOTO3)); then
  # Repeated calls for TOOLKIT_SECONDS through 6-second sessions: refreshed every ~3 s,
  # never an ExpiredToken.
  check "boto3 credentials serve ${SECONDS_LONG}s, 6s sessions, no ExpiredToken" \
    "$BIN" credentials serve --profile src --duration 6s -- "$PYTHON" - "$EP" "$SECONDS_LONG" <<'PY'
import os, sys, time, boto3
ep, length = sys.argv[1], float(sys.argv[2])
assert os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") and "AWS_ACCESS_KEY_ID" not in os.environ
s = boto3.Session()
sts = s.client("sts", endpoint_url=ep)
keys, calls, end = set(), 0, time.time() + length
while time.time() < end:
    arn = sts.get_caller_identity()["Arn"]  # raises on ExpiredToken
    assert arn.endswith(":root"), arn
    keys.add(s.get_credentials().get_frozen_credentials().access_key)
    calls += 1
    time.sleep(0.1)
assert s.get_credentials().method == "container-role", s.get_credentials().method
want = max(1, int(length / 3) - 1)
assert len(keys) >= want, f"{len(keys)} sessions in {length}s, want >= {want}"
print(f"{calls} calls, {len(keys)} sessions")
PY
else
  skip "boto3 credentials serve" "boto3 not importable by $PYTHON"
fi

# --- doctor ------------------------------------------------------------------------------
check "doctor --profile dev (healthy)" "$BIN" doctor --profile dev
check "doctor --profile src (healthy)" "$BIN" doctor --profile src
if out=$(AWS_SESSION_TOKEN=leftover AWS_ACCESS_KEY_ID=$ROOT_AKID AWS_SECRET_ACCESS_KEY=$ROOT_SECRET "$BIN" doctor --output json 2>/dev/null); then
  fail "doctor finds a stale session token" "exit 0"
elif [[ $(printf '%s' "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["cause"])') == stale-session-token ]]; then
  pass "doctor finds a stale session token"
else
  fail "doctor finds a stale session token" "$(printf '%s' "$out" | head -c 300)"
fi

# --- rotate-keys ----------------------------------------------------------------------------
if [[ -n $AWS_V1 ]]; then
  user=toolkit-$RANDOM
  if keyjson=$("$AWS_V1" --profile src --endpoint-url "$EP" --output json iam create-user --user-name "$user" >/dev/null &&
               "$AWS_V1" --profile src --endpoint-url "$EP" --output json iam put-user-policy --user-name "$user" --policy-name keys \
                 --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}' &&
               "$AWS_V1" --profile src --endpoint-url "$EP" --output json iam create-access-key --user-name "$user"); then
    uid=$(printf '%s' "$keyjson" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["AccessKey"]["AccessKeyId"])')
    usec=$(printf '%s' "$keyjson" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["AccessKey"]["SecretAccessKey"])')
    printf '%s\n' "$usec" | "$BIN" configure --profile "$user" --access-key-id "$uid" --secret-access-key-stdin --region us-east-1 --endpoint-url "$EP" >/dev/null
    check "rotate-keys $user" "$BIN" rotate-keys --profile "$user"
    check "aws-v1 uses the rotated key" sh -c "'$AWS_V1' --profile '$user' --endpoint-url '$EP' --output json sts get-caller-identity | grep -q ':user/$user'"
    if AWS_ACCESS_KEY_ID=$uid AWS_SECRET_ACCESS_KEY=$usec "$AWS_V1" --endpoint-url "$EP" sts get-caller-identity >/dev/null 2>&1; then
      fail "old key is gone" "the old key still works"
    else
      pass "old key is gone"
    fi
  else
    fail "rotate-keys setup" "creating the user through the aws CLI failed"
  fi
else
  skip "rotate-keys" "aws CLI v1 not installed"
fi

if ((FAILED)); then
  echo "toolkit: last lines of the server's output ($WORK/server.log):" >&2
  tail -n 20 "$WORK/server.log" >&2
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
((FAILED == 0))
