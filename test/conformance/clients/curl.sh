#!/usr/bin/env bash
# curl driver: performs one conformance step with `curl --aws-sigv4` and prints
# "Field<TAB>value" lines (same contract as boto3_driver.py).
#
# Input (environment, set by run.sh): CONF_ENDPOINT CONF_REGION CONF_SERVICE
# CONF_OP CONF_PARAMS (JSON) CONF_AKID CONF_SECRET CONF_TOKEN
# CONF_SIGNING (normal | unsigned | dated:<seconds offset>), CONF_PYTHON, and
# optionally CONF_METHOD (POST: form body, the default | GET: query string),
# CONF_SIGN_SERVICE (the service in the signing scope; default CONF_SERVICE),
# CONF_ACCEPT (an Accept header; application/json answers are read as JSON),
# CONF_HEADER (one more request header, "Name: value", sent as is; with
# CONF_SIGNING=unsigned it can carry a hand-made Authorization header),
# CONF_CA_BUNDLE (a PEM file, the CAs an https endpoint is verified with: --cacert).
# Extra outputs: Type (Sender/Receiver) and x-amzn-RequestId (the header).
# Service cloudtrail speaks the JSON 1.1 protocol (X-Amz-Target, JSON body; RequestId
# from the header, x-amzn-ErrorType of an error).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${CONF_PYTHON:-python3}
emit() { printf '%s\t%s\n' "$1" "$2"; }

json_target=''
case $CONF_SERVICE in
  sts) version=2011-06-15 ;;
  iam) version=2010-05-08 ;;
  # JSON 1.1 protocol: the parameters are the JSON body, the operation a header.
  cloudtrail) json_target=com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101 ;;
  *) emit Error "curl driver: no API version known for service $CONF_SERVICE"; exit 0 ;;
esac
if [[ -n $json_target ]]; then
  query=${CONF_PARAMS:-}
  [[ -n $query ]] || query='{}'
  [[ ${CONF_METHOD:-POST} == POST ]] || { emit Error "curl driver: the JSON protocol is POST only"; exit 0; }
else
  query=$("$py" "$here/util.py" query-body "$CONF_OP" "$version" "${CONF_PARAMS:-}") || {
    emit Error "curl driver: cannot encode parameters ${CONF_PARAMS:-}"; exit 0; }
fi

hdrs=$(mktemp)
trap 'rm -f "$hdrs"' EXIT
args=(curl -sS --max-time 30 -D "$hdrs" -o - -w '\n%{http_code}')
[[ -n ${CONF_CA_BUNDLE:-} ]] && args+=(--cacert "$CONF_CA_BUNDLE")
url="${CONF_ENDPOINT%/}/"
case ${CONF_METHOD:-POST} in
  # Like a person would type it: -d gives Content-Type application/x-www-form-urlencoded.
  POST) args+=(-X POST --data-binary "$query") ;;
  GET) query=$("$py" "$here/util.py" query-string "$CONF_OP" "$version" "${CONF_PARAMS:-}")
       url+="?$query" ;;
  *) emit Error "curl driver: unknown CONF_METHOD $CONF_METHOD"; exit 0 ;;
esac
[[ -n $json_target ]] && args+=(-H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: $json_target.$CONF_OP")
[[ -n ${CONF_ACCEPT:-} ]] && args+=(-H "Accept: $CONF_ACCEPT")
[[ -n ${CONF_HEADER:-} ]] && args+=(-H "$CONF_HEADER")

prefix=()
case ${CONF_SIGNING:-normal} in
  normal|dated:*)
    args+=(--aws-sigv4 "aws:amz:${CONF_REGION}:${CONF_SIGN_SERVICE:-$CONF_SERVICE}" --user "${CONF_AKID}:${CONF_SECRET}")
    [[ -n ${CONF_TOKEN:-} ]] && args+=(-H "X-Amz-Security-Token: ${CONF_TOKEN}")
    if [[ $CONF_SIGNING == dated:* ]]; then
      off=${CONF_SIGNING#dated:}
      # curl sends X-Amz-Date twice when it is also given with -H, so move its clock instead.
      if ! command -v faketime >/dev/null 2>&1; then
        emit Skip "faketime not installed (apt-get install faketime)"; exit 0
      fi
      prefix=(faketime -f "$( ((off >= 0)) && printf '+' )${off}")
    fi ;;
  unsigned) ;;
  *) emit Error "curl driver: unknown CONF_SIGNING ${CONF_SIGNING}"; exit 0 ;;
esac
args+=("$url")

resp=$("${prefix[@]}" "${args[@]}" 2>&1 </dev/null)
rc=$?
if ((rc != 0)); then
  emit Error "curl exited $rc: ${resp:0:300}"; exit 0
fi
status=${resp##*$'\n'}
payload=${resp%$'\n'*}
emit HTTPStatus "$status"
rid=$(tr -d '\r' <"$hdrs" | sed -n 's/^[Xx]-[Aa]mzn-[Rr]equest[Ii][Dd]:[[:space:]]*//p' | tail -n1)
[[ -n $rid ]] && emit x-amzn-RequestId "$rid"
ctype=$(tr -d '\r' <"$hdrs" | sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*//p' | tail -n1)
[[ -n $ctype ]] && emit Content-Type "$ctype"
if [[ -n $json_target ]]; then
  # JSON protocol: the request id only in the header (as the SDKs read it); an error is
  # {"__type": "[namespace#]Code", "message": …} with the code also in x-amzn-ErrorType.
  [[ -n $rid ]] && emit RequestId "$rid"
  etype=$(tr -d '\r' <"$hdrs" | sed -n 's/^[Xx]-[Aa]mzn-[Ee]rror[Tt]ype:[[:space:]]*//p' | tail -n1)
  [[ -n $etype ]] && emit x-amzn-ErrorType "$etype"
  printf '%s' "$payload" | "$py" -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from util import emit, flatten
try:
    obj = json.loads(sys.stdin.read() or "{}")
except ValueError as e:
    emit("Error", "response is not JSON: %s" % e); sys.exit(0)
if isinstance(obj, dict) and "__type" in obj:
    emit("Code", obj["__type"].rsplit("#", 1)[-1])
    emit("Message", obj.get("message", obj.get("Message", "")))
else:
    flatten("", obj)
' "$here"
elif [[ $ctype == application/json* ]]; then
  printf '%s' "$payload" | "$py" "$here/util.py" flatten-query-json
else
  printf '%s' "$payload" | "$py" "$here/util.py" flatten-xml
fi
