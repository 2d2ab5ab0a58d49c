#!/usr/bin/env bash
# Castellan conformance: the same calls through the aws CLI v1 and v2, boto3, the AWS
# SDK for JavaScript v3 and curl --aws-sigv4, compared with AWS's exact answers.
#
#   test/conformance/run.sh [--clients a,b] [--cases glob,glob] [--list]
#
# By default it builds ./cmd/castellan, starts `castellan serve` on a free loopback
# port with a fresh data dir, and stops it at the end. To test a running server:
#   CASTELLAN_ENDPOINT=http://127.0.0.1:8080 \
#   CASTELLAN_CREDENTIALS_FILE=castellan-data/root-credentials test/conformance/run.sh
# (or CASTELLAN_ROOT_ACCESS_KEY_ID + CASTELLAN_ROOT_SECRET_ACCESS_KEY instead of the file;
# CASTELLAN_PROFILE picks the profile, default "castellan").
# Other knobs: CASTELLAN_BIN (use this binary, no build), CONFORMANCE_CLIENTS,
# CONFORMANCE_CASES, CONFORMANCE_PYTHON, CONFORMANCE_AWS_V1, CONFORMANCE_AWS_V2,
# CONFORMANCE_KEEP=1 (keep the scratch dir), CONFORMANCE_TLS=0 (skip the TLS run:
# the cases tls-* against a server of its own with a test CA's certificate, which
# otherwise runs after the other cases), CONFORMANCE_TOOLKIT=0 (skip toolkit.sh,
# which otherwise runs last as the client and case "toolkit"). With CI set, a client
# that is not installed (or a case it cannot run here) is a failure, not a skip.
# Cases that need short-lived credentials get a second server, started on demand with
# --min-session-duration 1s.
#
# Output: one line per case and client, "PASS client case", "FAIL client case: got …,
# want …", "SKIP client: not installed", "XFAIL client case: … (known server bug: …)",
# then "N passed, M failed, K skipped" (XFAILs are counted with the skipped).
set -euo pipefail

CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CONF_DIR/../.." && pwd)
export CONF_DIR
PYTHON=${CONFORMANCE_PYTHON:-python3}

# shellcheck source=lib/harness.sh
source "$CONF_DIR/lib/harness.sh"
# shellcheck source=lib/clients.sh
source "$CONF_DIR/lib/clients.sh"
# shellcheck source=lib/tls.sh
source "$CONF_DIR/lib/tls.sh"

list_only=0
while (($#)); do
  case $1 in
    --clients) CONFORMANCE_CLIENTS=$2; shift 2 ;;
    --clients=*) CONFORMANCE_CLIENTS=${1#*=}; shift ;;
    --cases) CONFORMANCE_CASES=$2; shift 2 ;;
    --cases=*) CONFORMANCE_CASES=${1#*=}; shift ;;
    --list) list_only=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

for f in "$CONF_DIR"/cases/*.sh; do
  # shellcheck disable=SC1090
  source "$f"
done

if ((list_only)); then
  for i in "${!C_NAME[@]}"; do
    printf '%-28s %s %s%s  %s\n' "${C_NAME[i]}" "${C_SERVICE[i]}" "${C_OP[i]}" \
      "${C_CLIENTS[i]:+ [${C_CLIENTS[i]}]}" "${C_DESC[i]}"
  done
  printf '%-28s %s  %s\n' toolkit 'toolkit.sh [aws-v1 aws-v2 boto3]' \
    'the client toolkit (credential_process, exec, credentials serve, doctor, rotate-keys) on its own server'
  exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || { echo "run.sh: needs $PYTHON (drivers use it)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/castellan-conformance.XXXXXX")
SERVER_PID='' SERVER_PIDS=()
cleanup() {
  local rc=$?
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${CONFORMANCE_KEEP:-} == 1 ]]; then
    echo "conformance: scratch dir kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# abort WHAT WHY: the run cannot go on; still one FAIL line and the summary.
abort() {
  echo "FAIL $1: $2"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# read_credentials FILE PROFILE -> sets ROOT_AKID ROOT_SECRET
read_credentials() {
  local file=$1 profile=$2 line section='' k v
  ROOT_AKID='' ROOT_SECRET=''
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    if [[ $line =~ ^[[:space:]]*\[[[:space:]]*([^]]*[^][:space:]])[[:space:]]*\] ]]; then
      section=${BASH_REMATCH[1]}; section=${section#profile }; continue
    fi
    [[ $section == "$profile" ]] || continue
    [[ $line =~ ^[[:space:]]*([A-Za-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] || continue
    k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
    case $k in
      aws_access_key_id) ROOT_AKID=$v ;;
      aws_secret_access_key) ROOT_SECRET=$v ;;
    esac
  done <"$file"
  [[ -n $ROOT_AKID && -n $ROOT_SECRET ]]
}

BIN=${CASTELLAN_BIN:-}
ensure_bin() { # builds ./cmd/castellan once, unless CASTELLAN_BIN names a binary
  [[ -n $BIN ]] && return 0
  echo "conformance: building ./cmd/castellan" >&2
  (cd "$REPO_ROOT" && go build -o "$WORK/castellan" ./cmd/castellan) >&2 || return 1
  BIN=$WORK/castellan
}

# The failed-authentication limits are off here: every client sends its deliberate
# failures from one address with the same key ids, and the cases check the texts of
# those failures, not the limits (test/e2e tests the limits and the sampling).
# launch_server DIR [serve flags...]: `castellan serve` on a free loopback port with
# DIR/data, its output in DIR/server.log; sets LAUNCHED_ADDR (empty when it did not
# start) and LAUNCHED_PID (also added to SERVER_PIDS, stopped at exit). With
# --tls-cert, LAUNCH_CA names the CA bundle its /readyz is checked with.
launch_server() {
  local dir=$1 port t; shift
  port=$(free_port)
  mkdir -p "$dir/data"
  # The harness's own variables are not server flags; keep them out of its environment.
  env -u CASTELLAN_ENDPOINT -u CASTELLAN_CREDENTIALS_FILE -u CASTELLAN_PROFILE -u CASTELLAN_BIN \
    "$BIN" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" \
    --auth-failures-per-key 0 --auth-failures-per-address 0 --audit-failed-auth-per-address 0 \
    "$@" >"$dir/server.log" 2>&1 </dev/null &
  LAUNCHED_PID=$! LAUNCHED_ADDR=''
  SERVER_PIDS+=("$LAUNCHED_PID")
  for t in $(seq 600); do # 60 s
    if [[ $(cat "$dir/server.log") =~ castellan\ listening\ on\ (https?://[^[:space:]]+) ]]; then
      LAUNCHED_ADDR=${BASH_REMATCH[1]}; break
    fi
    kill -0 "$LAUNCHED_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $LAUNCHED_ADDR ]] || return 1
  for t in $(seq 100); do # /readyz, 10 s
    [[ $(curl -s ${LAUNCH_CA:+--cacert "$LAUNCH_CA"} -o /dev/null -w '%{http_code}' "$LAUNCHED_ADDR/readyz" 2>/dev/null || true) == 200 ]] && break
    ((t < 100)) || echo "conformance: warning: $LAUNCHED_ADDR/readyz is not 200 after 10 s; going on" >&2
    sleep 0.1
  done
  for t in $(seq 50); do [[ -s $dir/data/root-credentials ]] && break; sleep 0.1; done
}

start_server() {
  ensure_bin || abort castellan "go build ./cmd/castellan failed"
  if ! launch_server "$WORK"; then
    echo "conformance: castellan serve did not print 'castellan listening on http://ADDR'; its output:" >&2
    tail -n 40 "$WORK/server.log" >&2
    abort castellan "serve did not start (no 'castellan listening on http://ADDR' within 60 s)"
  fi
  SERVER_PID=$LAUNCHED_PID ENDPOINT=$LAUNCHED_ADDR
  CREDENTIALS_FILE=$WORK/data/root-credentials
  echo "conformance: castellan serve (pid $SERVER_PID) at $ENDPOINT, data dir $WORK/data" >&2
}

# A second server for cases that need short-lived credentials (--before short_server):
# `castellan serve --min-session-duration 1s`, started the first time a case asks,
# also when testing a running server (its flags are not ours to set). Sets {SHORT_ENDPOINT}
# {SHORT_ROOT_AKID} {SHORT_ROOT_SECRET}.
SHORT_STATE=''
ensure_short_server() {
  case $SHORT_STATE in
    up) ;;
    failed) return 1 ;;
    *)
      SHORT_STATE=failed
      ensure_bin || { echo "conformance: go build failed: no server for short sessions" >&2; return 1; }
      local dir=$WORK/short save_akid=$ROOT_AKID save_secret=$ROOT_SECRET
      mkdir -p "$dir"
      if ! launch_server "$dir" --min-session-duration 1s; then
        echo "conformance: the --min-session-duration 1s server did not start:" >&2
        tail -n 20 "$dir/server.log" >&2
        return 1
      fi
      read_credentials "$dir/data/root-credentials" castellan || return 1
      GLOBAL_VARS[SHORT_ENDPOINT]=$LAUNCHED_ADDR GLOBAL_VARS[SHORT_ROOT_AKID]=$ROOT_AKID
      GLOBAL_VARS[SHORT_ROOT_SECRET]=$ROOT_SECRET
      ROOT_AKID=$save_akid ROOT_SECRET=$save_secret
      echo "conformance: castellan serve --min-session-duration 1s (pid $LAUNCHED_PID) at $LAUNCHED_ADDR" >&2
      SHORT_STATE=up ;;
  esac
  local k
  for k in SHORT_ENDPOINT SHORT_ROOT_AKID SHORT_ROOT_SECRET; do VARS[$k]=${GLOBAL_VARS[$k]}; done
}

ENDPOINT='' CREDENTIALS_FILE=''
if [[ -n ${CASTELLAN_ENDPOINT:-} ]]; then
  ENDPOINT=${CASTELLAN_ENDPOINT%/}
  CREDENTIALS_FILE=${CASTELLAN_CREDENTIALS_FILE:-}
  echo "conformance: using the server at $ENDPOINT" >&2
else
  start_server
fi

if [[ -n ${CASTELLAN_ROOT_ACCESS_KEY_ID:-} && -n ${CASTELLAN_ROOT_SECRET_ACCESS_KEY:-} && -n ${CASTELLAN_ENDPOINT:-} && -z $CREDENTIALS_FILE ]]; then
  ROOT_AKID=$CASTELLAN_ROOT_ACCESS_KEY_ID ROOT_SECRET=$CASTELLAN_ROOT_SECRET_ACCESS_KEY
elif [[ -z $CREDENTIALS_FILE || ! -r $CREDENTIALS_FILE ]]; then
  abort castellan "no root credentials (${CREDENTIALS_FILE:-set CASTELLAN_CREDENTIALS_FILE or CASTELLAN_ROOT_ACCESS_KEY_ID/_SECRET_ACCESS_KEY})"
elif ! read_credentials "$CREDENTIALS_FILE" "${CASTELLAN_PROFILE:-castellan}"; then
  abort castellan "$CREDENTIALS_FILE has no aws_access_key_id/aws_secret_access_key in profile ${CASTELLAN_PROFILE:-castellan}"
fi

# A key id in the server's format that it never issued, and a secret that is not the root's.
UNKNOWN_AKID=AKIA$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16 || true)
BAD_SECRET=$(head -c 30 /dev/urandom | base64 | tr -d '\n')
GLOBAL_VARS=(
  [ENDPOINT]=$ENDPOINT [REGION]=${CONFORMANCE_REGION:-us-east-1} [ROOT_AKID]=$ROOT_AKID
  [ROOT_SECRET]=$ROOT_SECRET [BAD_SECRET]=$BAD_SECRET [UNKNOWN_AKID]=$UNKNOWN_AKID
  [UNKNOWN_AKID_TAIL]=${UNKNOWN_AKID#AKIA}
  [RUN]=$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c 6 || true) [ACCOUNT]=''
)

# The account id: from GetCallerIdentity's ARN, asked through the first client available.
discover_account() {
  local c arn
  for c in curl boto3 js aws-v1 aws-v2; do
    detect_client "$c" || continue
    arn=$(CONF_ENDPOINT=$ENDPOINT CONF_REGION=${GLOBAL_VARS[REGION]} CONF_SERVICE=sts \
          CONF_OP=GetCallerIdentity CONF_PARAMS='{}' CONF_AKID=$ROOT_AKID CONF_SECRET=$ROOT_SECRET \
          CONF_CA_BUNDLE=${GLOBAL_VARS[CA_BUNDLE]-} CONF_TOKEN='' CONF_SIGNING=normal CONF_PYTHON=$PYTHON timeout 120 "${DRIVER[@]}" 2>/dev/null \
          | awk -F'\t' '$1 == "Arn" { print $2 }') || true
    if [[ $arn =~ ^arn:[^:]+:(iam|sts)::([0-9]{12}): ]]; then
      printf '%s' "${BASH_REMATCH[2]}"; return 0
    fi
    echo "conformance: GetCallerIdentity through $c gave no account ARN (${arn:-nothing})" >&2
    return 1
  done
  return 1
}
if acct=$(discover_account); then
  GLOBAL_VARS[ACCOUNT]=$acct
  echo "conformance: account $acct, root key ${ROOT_AKID:0:4}…${ROOT_AKID: -4}" >&2
else
  GLOBAL_VARS[ACCOUNT]='<unknown: GetCallerIdentity failed>'
fi

clients=("${ALL_CLIENTS[@]}")
if [[ -n ${CONFORMANCE_CLIENTS:-} ]]; then
  read -r -a clients <<<"${CONFORMANCE_CLIENTS//,/ }"
fi
set +e # a failing case must not stop the run
for c in "${clients[@]}"; do
  [[ $c != toolkit ]] || continue # below
  if ! detect_client "$c"; then
    report_skip "$c" "$WHY"
    continue
  fi
  run_client "$c" "${DRIVER[@]}"
done

# The TLS run (lib/tls.sh): the cases marked --server tls against a `castellan serve
# --tls-cert` of their own, every client trusting only its test CA.
run_tls

# The client toolkit (toolkit.sh: its own server, the CLIs and boto3 using what
# castellan configure / credential-process / exec / credentials serve provide). It
# is one more "client" and one more "case" named toolkit for --clients and --cases; its
# PASS/FAIL/SKIP lines are printed here and counted in the summary below.
toolkit_selected() {
  [[ ${CONFORMANCE_TOOLKIT:-1} != 0 ]] || return 1
  [[ -z ${CONFORMANCE_CLIENTS:-} ]] || in_list toolkit "${CONFORMANCE_CLIENTS//,/ }" || return 1
  case_selected toolkit
}
if toolkit_selected; then
  if ! ensure_bin; then
    report_fail toolkit build "go build ./cmd/castellan failed"
  else
    tk_out=$WORK/toolkit.out tk_summary=''
    # its lines as they come, all but its own summary
    CASTELLAN_BIN=$BIN CONFORMANCE_PYTHON=$PYTHON bash "$CONF_DIR/toolkit.sh" 2>"$WORK/toolkit.err" </dev/null |
      tee "$tk_out" | grep --line-buffered -vE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'
    tk_rc=${PIPESTATUS[0]}
    tk_summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$tk_out" | tail -n1)
    if [[ $tk_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
      PASSED=$((PASSED + BASH_REMATCH[1])) FAILED=$((FAILED + BASH_REMATCH[2])) SKIPPED=$((SKIPPED + BASH_REMATCH[3]))
      if ((BASH_REMATCH[2] == 0 && tk_rc != 0)); then
        report_fail toolkit exit "toolkit.sh exited $tk_rc with no failure reported"
      fi
    else
      report_fail toolkit run "toolkit.sh exited $tk_rc without a summary: $(show "$(tail -n 5 "$WORK/toolkit.err" | tr '\n' ' ')")"
    fi
    if ((tk_rc != 0)); then
      echo "conformance: toolkit.sh's own output ($WORK/toolkit.err):" >&2
      tail -n 30 "$WORK/toolkit.err" >&2
    fi
  fi
fi

if ((FAILED)) && [[ -n $SERVER_PID ]]; then
  echo "conformance: last lines of the server's output ($WORK/server.log):" >&2
  tail -n 30 "$WORK/server.log" >&2
fi
((XFAILED == 0)) || echo "($XFAILED of the skipped are known server bugs, XFAIL above)"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
((FAILED == 0))
