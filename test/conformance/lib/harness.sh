# shellcheck shell=bash
# Conformance harness: the case DSL, the expectation table and the runner.
# Sourced by run.sh. Case files in cases/*.sh call conf_case / expect.
#
# A case is one request made by one client:
#   conf_case NAME SERVICE OP [options]
#     --params JSON        operation input, as boto3/JS/`--cli-input-json` take it
#     --akid T --secret T --token T   credentials (default {ROOT_AKID}/{ROOT_SECRET})
#     --signing S          normal (default) | unsigned | dated:<seconds> (clock offset)
#     --clients "a b"      only these clients (default: every client)
#     --capture VAR=Field  after the step, {VAR} = the Field of the result (repeatable)
#     --before FUNC        bash function run before the step (may set VARS[...])
#     --env NAME=VALUE     extra driver input (repeatable), e.g. CONF_REGION=eu-west-1;
#                          curl also takes CONF_METHOD=GET, CONF_SIGN_SERVICE, CONF_ACCEPT, CONF_HEADER
#     --desc TEXT          what the case checks (shown by --list)
#     --server S           main (default) | tls: the cases of the TLS run (lib/tls.sh), against
#                          its own `castellan serve --tls-cert`, the clients trusting its CA
#                          through {CA_BUNDLE} (the drivers' CONF_CA_BUNDLE)
#     --xfail TEXT         a known server bug (TEXT says which): a failure is reported as
#                          XFAIL and counted with the skipped, a pass as PASS with a
#                          reminder to drop the flag
# and its expectations (the shared expectation table), attached to the last case:
#   expect FIELD OP [VALUE] [--clients "a b"]
#     OP: eq (exact) | re (bash ERE) | present | absent | fn (VALUE = a bash function
#     called with the got value; exit 0 = pass, stdout = reason when failing)
# Templates {NAME} in every string are replaced per client from VARS: ENDPOINT REGION
# ACCOUNT ROOT_AKID ROOT_SECRET BAD_SECRET UNKNOWN_AKID UNKNOWN_AKID_TAIL (its part after
# AKIA) RUN CLIENT, plus captures.
#
# A driver (one per client) reads CONF_* from its environment and prints the result
# as "Field<TAB>value" lines: the flattened success result (Arn, Credentials.AccessKeyId,
# Users.0.UserName, ...) or Code and Message of the AWS error; HTTPStatus; "Skip<TAB>why"
# when it cannot do this step here; "Error<TAB>what" when the answer was not an AWS answer.

declare -a C_NAME=() C_SERVICE=() C_OP=() C_PARAMS=() C_AKID=() C_SECRET=() C_TOKEN=()
declare -a C_SIGNING=() C_CLIENTS=() C_CAPTURE=() C_BEFORE=() C_DESC=() C_ENV=() C_XFAIL=() C_SERVER=()
declare -a E_CASE=() E_FIELD=() E_OP=() E_VALUE=() E_CLIENTS=()
declare -A VARS=() GLOBAL_VARS=()
PASSED=0 FAILED=0 SKIPPED=0 XFAILED=0

conf_case() {
  local name=$1 service=$2 op=$3; shift 3
  local params='{}' akid='{ROOT_AKID}' secret='{ROOT_SECRET}' token='' signing=normal
  local clients='' capture='' before='' desc='' envs='' xfail='' server=main
  while (($#)); do
    case $1 in
      --params) params=$2 ;;
      --akid) akid=$2 ;;
      --secret) secret=$2 ;;
      --token) token=$2 ;;
      --signing) signing=$2 ;;
      --clients) clients=$2 ;;
      --capture) capture+="$2 " ;;
      --before) before=$2 ;;
      --desc) desc=$2 ;;
      --env) envs+="$2"$'\n' ;;
      --xfail) xfail=$2 ;;
      --server) server=$2 ;;
      *) echo "conf_case $name: unknown option $1" >&2; return 2 ;;
    esac
    shift 2
  done
  local i
  for i in "${!C_NAME[@]}"; do
    [[ ${C_NAME[i]} != "$name" ]] || { echo "conf_case: duplicate case $name" >&2; return 2; }
  done
  C_NAME+=("$name") C_SERVICE+=("$service") C_OP+=("$op") C_PARAMS+=("$params")
  C_AKID+=("$akid") C_SECRET+=("$secret") C_TOKEN+=("$token") C_SIGNING+=("$signing")
  C_CLIENTS+=("$clients") C_CAPTURE+=("$capture") C_BEFORE+=("$before") C_DESC+=("$desc")
  C_ENV+=("$envs") C_XFAIL+=("$xfail") C_SERVER+=("$server")
}

expect() {
  local field=$1 op=$2 value=${3-} clients=''
  shift 2; (($#)) && shift
  while (($#)); do
    case $1 in
      --clients) clients=$2; shift 2 ;;
      *) echo "expect $field: unknown option $1" >&2; return 2 ;;
    esac
  done
  case $op in eq|re|fn|present|absent) ;; *) echo "expect $field: unknown op $op" >&2; return 2 ;; esac
  ((${#C_NAME[@]})) || { echo "expect before any conf_case" >&2; return 2; }
  E_CASE+=("$((${#C_NAME[@]} - 1))") E_FIELD+=("$field") E_OP+=("$op") E_VALUE+=("$value")
  E_CLIENTS+=("$clients")
}

# Shorthands for what every query-protocol answer must carry.
RE_REQUEST_ID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
expect_request_id() { # a request id every client can read; curl: header = body
  expect RequestId re "$RE_REQUEST_ID"
  expect x-amzn-RequestId fn same_as_body_request_id --clients curl
}
expect_success() { # expect_success : HTTP 200 and a request id
  expect HTTPStatus eq 200
  expect_request_id
}
expect_error() { # expect_error HTTP-STATUS CODE MESSAGE : the exact AWS error (Type Sender for 4xx)
  expect HTTPStatus eq "$1"
  expect Code eq "$2"
  expect Message eq "$3"
  expect Type eq "$( (($1 < 500)) && echo Sender || echo Receiver)" --clients curl
  expect_request_id
}
same_as_body_request_id() { # fn check; R is the caller's (run_case) result
  [[ $1 == "${R[RequestId]-}" ]] || { echo "the same id as the body's RequestId (${R[RequestId]-absent})"; return 1; }
}

# --- templates ------------------------------------------------------------------------
subst() {
  local s=$1 k
  for k in "${!VARS[@]}"; do
    s=${s//"{$k}"/"${VARS[$k]}"}
  done
  printf '%s' "$s"
}

in_list() { # in_list WORD "a b c" (empty list = everything)
  [[ -z $2 ]] && return 0
  local w
  for w in $2; do [[ $w == "$1" ]] && return 0; done
  return 1
}

is_ci() { [[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]]; }

# --- reporting --------------------------------------------------------------------------
report_pass() { echo "PASS $1 $2"; PASSED=$((PASSED + 1)); }
report_fail() { echo "FAIL $1 $2: $3"; FAILED=$((FAILED + 1)); }
report_skip() { # report_skip CLIENT [CASE] REASON ; in CI a skip is a failure
  local what=$1 reason
  if (($# == 3)); then what="$1 $2"; reason=$3; else reason=$2; fi
  if is_ci; then
    echo "FAIL $what: $reason (CI is set: every client must run)"; FAILED=$((FAILED + 1))
  else
    echo "SKIP $what: $reason"; SKIPPED=$((SKIPPED + 1))
  fi
}

show() { # show a value for a FAIL line
  local v=$1
  ((${#v} > 400)) && v="${v:0:400}…"
  printf '"%s"' "$v"
}

# --- running one case for one client --------------------------------------------------
# run_case CLIENT INDEX DRIVER... ; the driver command is given as words
run_case() {
  local client=$1 i=$2; shift 2
  local name=${C_NAME[i]}
  if [[ -n ${C_BEFORE[i]} ]]; then
    "${C_BEFORE[i]}" "$client" || { report_fail "$client" "$name" "before-hook ${C_BEFORE[i]} failed"; return; }
  fi
  local outf=$WORK/result.$client.$i extra=() e
  while IFS= read -r e; do [[ -n $e ]] && extra+=("$(subst "$e")"); done <<<"${C_ENV[i]}"
  CONF_ENDPOINT=${VARS[ENDPOINT]} CONF_REGION=${VARS[REGION]} \
  CONF_SERVICE=${C_SERVICE[i]} CONF_OP=${C_OP[i]} \
  CONF_PARAMS=$(subst "${C_PARAMS[i]}") \
  CONF_AKID=$(subst "${C_AKID[i]}") CONF_SECRET=$(subst "${C_SECRET[i]}") \
  CONF_TOKEN=$(subst "${C_TOKEN[i]}") CONF_SIGNING=$(subst "${C_SIGNING[i]}") \
  CONF_STATE=$WORK/state.$client CONF_PYTHON=$PYTHON CONF_CA_BUNDLE=${VARS[CA_BUNDLE]-} \
    env "${extra[@]}" timeout 180 "$@" >"$outf" 2>"$outf.err" </dev/null
  local rc=$?

  local -A R=()
  local k v
  while IFS=$'\t' read -r k v; do
    [[ -n $k ]] && R[$k]=$v
  done <"$outf"

  if [[ -n ${R[Skip]+x} ]]; then report_skip "$client" "$name" "${R[Skip]}"; return; fi
  if [[ -n ${R[Error]+x} ]]; then report_fail "$client" "$name" "got Error=$(show "${R[Error]}")"; return; fi
  if ((rc != 0)) || ((${#R[@]} == 0)); then
    report_fail "$client" "$name" "driver exited $rc with no result: $(show "$(tail -c 400 "$outf.err" | tr '\n' ' ')")"
    return
  fi

  local problems=() j field op want got checks_code=0
  for j in "${!E_CASE[@]}"; do
    ((E_CASE[j] == i)) || continue
    in_list "$client" "${E_CLIENTS[j]}" || continue
    field=${E_FIELD[j]} op=${E_OP[j]} want=$(subst "${E_VALUE[j]}")
    [[ $field == Code ]] && checks_code=1
    if [[ -z ${R[$field]+x} ]]; then
      [[ $op == absent ]] && continue
      got='<absent>'
      [[ -n ${R[Code]+x} ]] && got="<absent; the answer was ${R[Code]}: ${R[Message]-}>"
      case $op in
        eq) problems+=("got $field=$got, want $field=$(show "$want")") ;;
        re) problems+=("got $field=$got, want $field =~ /$want/") ;;
        *) problems+=("got $field=$got, want it present") ;;
      esac
      continue
    fi
    got=${R[$field]}
    case $op in
      eq) [[ $got == "$want" ]] || problems+=("got $field=$(show "$got"), want $field=$(show "$want")") ;;
      re) [[ $got =~ $want ]] || problems+=("got $field=$(show "$got"), want $field =~ /$want/") ;;
      present) ;;
      absent) problems+=("got $field=$(show "$got"), want it absent") ;;
      fn)
        local why
        if ! why=$("$want" "$got" "$client"); then
          problems+=("got $field=$(show "$got"), want ${why:-$want}")
        fi ;;
    esac
  done
  if ((!checks_code)) && [[ -n ${R[Code]+x} ]]; then
    problems+=("got error ${R[Code]}: $(show "${R[Message]-}"), want success")
  fi

  # captures happen even when the case failed, so later steps can still try
  local cap var src
  for cap in ${C_CAPTURE[i]}; do
    var=${cap%%=*} src=${cap#*=}
    [[ -n ${R[$src]+x} ]] && VARS[$var]=${R[$src]}
  done

  if ((${#problems[@]})); then
    local msg=${problems[0]} p
    for p in "${problems[@]:1}"; do msg+="; $p"; done
    if [[ -n ${C_XFAIL[i]} ]]; then
      echo "XFAIL $client $name: $msg (known server bug: ${C_XFAIL[i]})"
      SKIPPED=$((SKIPPED + 1)) XFAILED=$((XFAILED + 1))
    else
      report_fail "$client" "$name" "$msg"
    fi
  elif [[ -n ${C_XFAIL[i]} ]]; then
    report_pass "$client" "$name"
    echo "  (marked --xfail '${C_XFAIL[i]}' but passes: drop the flag in the case file)"
  else
    report_pass "$client" "$name"
  fi
}

case_selected() { # against CONFORMANCE_CASES (space/comma separated globs)
  [[ -z ${CONFORMANCE_CASES:-} ]] && return 0
  local g
  for g in ${CONFORMANCE_CASES//,/ }; do
    # shellcheck disable=SC2053
    [[ $1 == $g ]] && return 0
  done
  return 1
}

# run_client CLIENT DRIVER... : every selected case of the server RUN_SERVER (main
# unless lib/tls.sh says tls), in file order, for one client
RUN_SERVER=main
run_client() {
  local client=$1; shift
  VARS=()
  local k
  for k in "${!GLOBAL_VARS[@]}"; do VARS[$k]=${GLOBAL_VARS[$k]}; done
  VARS[CLIENT]=$client
  mkdir -p "$WORK/state.$client"
  local i
  for i in "${!C_NAME[@]}"; do
    [[ ${C_SERVER[i]} == "$RUN_SERVER" ]] || continue
    in_list "$client" "${C_CLIENTS[i]}" || continue
    case_selected "${C_NAME[i]}" || continue
    run_case "$client" "$i" "$@"
  done
}
