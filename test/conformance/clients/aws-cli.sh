#!/usr/bin/env bash
# aws CLI driver (v1 and v2): performs one conformance step and prints
# "Field<TAB>value" lines (same contract as boto3_driver.py).
#
# Input (environment, set by run.sh): CONF_AWS (the aws binary), CONF_ENDPOINT
# CONF_REGION CONF_SERVICE CONF_OP CONF_PARAMS (JSON) CONF_AKID CONF_SECRET
# CONF_TOKEN CONF_SIGNING (normal | unsigned | dated:<seconds offset>), CONF_PYTHON.
# Optional: CONF_AWS_CONFIG (a config file's text, "\n" for newlines; the step then runs
# with --profile CONF_AWS_PROFILE from it instead of CONF_AKID/SECRET/TOKEN, e.g. a
# role_arn + source_profile profile) and CONF_STDIN (text for prompts such as the
# MFA code, "\n" for newlines); CONF_PARAMETER_VALIDATION=false (no client-side checks
# of the parameters, the config file's parameter_validation = false); CONF_CA_BUNDLE
# (a PEM file, the CAs an https endpoint is verified with: --ca-bundle, or with
# CONF_CA_VIA=env the AWS_CA_BUNDLE variable).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${CONF_PYTHON:-python3}
emit() { printf '%s\t%s\n' "$1" "$2"; }

aws_bin=${CONF_AWS:?CONF_AWS not set}
op_cli=$("$py" "$here/util.py" kebab "$CONF_OP")
params=${CONF_PARAMS:-}
[[ -n $params ]] || params='{}'

# The parameters as options, the way people type them (--cli-input-json is refused by
# customised commands such as create-virtual-mfa-device).
mapfile -d '' opts < <("$py" "$here/util.py" cli-args "$params")
args=("$aws_bin" "$CONF_SERVICE" "$op_cli" --endpoint-url "$CONF_ENDPOINT" --region "$CONF_REGION"
      --output json --debug "${opts[@]}")
ca_env=()
if [[ -n ${CONF_CA_BUNDLE:-} ]]; then
  if [[ ${CONF_CA_VIA:-} == env ]]; then ca_env=(AWS_CA_BUNDLE="$CONF_CA_BUNDLE"); else args+=(--ca-bundle "$CONF_CA_BUNDLE"); fi
fi
# CLI customisation: create-virtual-mfa-device requires --outfile/--bootstrap-method and
# moves the seed from the output to the file; it is put back below (base64, as the
# other drivers print blobs).
seedfile=''
if [[ $CONF_SERVICE.$CONF_OP == iam.CreateVirtualMFADevice ]]; then
  seedfile=$(mktemp -u)
  args+=(--outfile "$seedfile" --bootstrap-method Base32StringSeed)
fi
prefix=()
case ${CONF_SIGNING:-normal} in
  normal) ;;
  unsigned) args+=(--no-sign-request) ;;
  dated:*)
    off=${CONF_SIGNING#dated:}
    if ! command -v faketime >/dev/null 2>&1; then
      emit Skip "faketime not installed (apt-get install faketime)"; exit 0
    fi
    # faketime's relative offset: "-1200" seconds. It moves the CLI's clock only.
    prefix=(faketime -f "$( ((off >= 0)) && printf '+' )${off}") ;;
  *) emit Error "aws-cli driver: unknown CONF_SIGNING ${CONF_SIGNING}"; exit 0 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" ${seedfile:+"$seedfile"}' EXIT
# A clean configuration: only what the step gives, nothing from ~/.aws or the environment.
creds=(AWS_CONFIG_FILE=/dev/null
       AWS_ACCESS_KEY_ID="${CONF_AKID:-AKIDUNUSEDFORUNSIGNED}"
       AWS_SECRET_ACCESS_KEY="${CONF_SECRET:-unused}")
[[ -n ${CONF_TOKEN:-} ]] && creds+=(AWS_SESSION_TOKEN="$CONF_TOKEN")
profile_env=()
if [[ ${CONF_PARAMETER_VALIDATION:-} == false && -z ${CONF_AWS_CONFIG:-} ]]; then
  # Values outside the model's ranges reach the server (e.g. DurationSeconds 2 for a
  # server run with --min-session-duration), as `parameter_validation = false` lets them.
  printf '[default]\nparameter_validation = false\n' >"$tmp/config"
  creds[0]=AWS_CONFIG_FILE="$tmp/config"
fi
if [[ -n ${CONF_AWS_CONFIG:-} ]]; then
  printf '%b\n' "$CONF_AWS_CONFIG" >"$tmp/config"
  creds=(AWS_CONFIG_FILE="$tmp/config")
  args+=(--profile "${CONF_AWS_PROFILE:-default}")
  # Its own HOME, so the CLI's cache of assumed-role credentials (~/.aws/cli/cache)
  # starts empty and stays out of the user's home (a pyenv shim still finds pyenv).
  mkdir -p "$tmp/home"
  pyroot=${PYENV_ROOT:-}
  [[ -z $pyroot && -d ${HOME:-/nonexistent}/.pyenv ]] && pyroot=$HOME/.pyenv
  profile_env+=(HOME="$tmp/home" ${pyroot:+PYENV_ROOT="$pyroot"})
  # The CLI's own STS client (role_arn + source_profile) ignores --endpoint-url: it
  # reads endpoint_url from the profile (aws CLI v1 >= 1.29, v2 >= 2.13). Older CLIs
  # (Debian 12's v2.9) have no such setting: for them an endpoint rule set for STS
  # that names the endpoint, found first through AWS_DATA_PATH.
  ver=$(env -u AWS_PROFILE AWS_CONFIG_FILE=/dev/null "$aws_bin" --version 2>&1 </dev/null)
  if [[ $ver =~ aws-cli/([0-9]+)\.([0-9]+)\. ]] &&
     { ((BASH_REMATCH[1] == 2 && BASH_REMATCH[2] < 13)) || ((BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < 29)); }; then
    mkdir -p "$tmp/data/sts/2011-06-15"
    "$py" - "$CONF_ENDPOINT" >"$tmp/data/sts/2011-06-15/endpoint-rule-set-1.json" <<'PY'
import json, sys
b = lambda name, builtin: {"builtIn": builtin, "required": True, "default": False, "type": "Boolean"}
params = {"Region": {"builtIn": "AWS::Region", "required": False, "type": "String"},
          "UseDualStack": b("UseDualStack", "AWS::UseDualStack"), "UseFIPS": b("UseFIPS", "AWS::UseFIPS"),
          "Endpoint": {"builtIn": "SDK::Endpoint", "required": False, "type": "String"},
          "UseGlobalEndpoint": b("UseGlobalEndpoint", "AWS::STS::UseGlobalEndpoint")}
ep = lambda url: {"url": url, "properties": {}, "headers": {}}
json.dump({"version": "1.0", "parameters": params, "rules": [
    {"conditions": [{"fn": "isSet", "argv": [{"ref": "Endpoint"}]}], "endpoint": ep({"ref": "Endpoint"}), "type": "endpoint"},
    {"conditions": [], "endpoint": ep(sys.argv[1]), "type": "endpoint"}]}, sys.stdout)
PY
    profile_env+=(AWS_DATA_PATH="$tmp/data")
  fi
fi
printf '%b' "${CONF_STDIN:-}" >"$tmp/stdin"
# getpass (the MFA code prompt) reads /dev/tty when there is one: without a
# controlling terminal it reads the answer from stdin.
[[ -n ${CONF_STDIN:-} ]] && command -v setsid >/dev/null 2>&1 && prefix=(setsid -w "${prefix[@]}")
env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
    -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_STS -u AWS_ENDPOINT_URL_IAM -u AWS_CA_BUNDLE \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null "${creds[@]}" "${ca_env[@]}" \
    AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_PAGER= AWS_CLI_AUTO_PROMPT=off \
    AWS_EC2_METADATA_DISABLED=true "${profile_env[@]}" \
    "${prefix[@]}" "${args[@]}" >"$tmp/out" 2>"$tmp/err" <"$tmp/stdin"
rc=$?

# HTTP status from urllib3's debug line: "POST / HTTP/1.1" 403 166
status=$(grep -oE '"(POST|GET) [^"]*" [0-9]{3}' "$tmp/err" | tail -n1 | grep -oE '[0-9]{3}$' || true)
# the request id from botocore's debug dump of the response headers
rid=$(grep -oiE "'x-amzn-requestid': '[^']*'" "$tmp/err" | tail -n1 | sed -E "s/.*: '([^']*)'/\1/" || true)
# The CLI's prompt for the MFA code (role_arn + mfa_serial), as the user saw it.
prompt=$(grep -oE 'Enter MFA code for [^ ]*:' "$tmp/err" | head -n1 || true)
[[ -n $prompt ]] && emit Prompt "$prompt"
if ((rc == 0)); then
  [[ -n $status ]] && emit HTTPStatus "$status"
  [[ -n $rid ]] && emit RequestId "$rid"
  "$py" "$here/util.py" flatten-json <"$tmp/out" || emit Error "aws CLI printed no JSON: $(head -c 300 "$tmp/out")"
  [[ -n $seedfile && -s $seedfile ]] && emit VirtualMFADevice.Base32StringSeed "$(base64 -w0 "$seedfile")"
  exit 0
fi
line=$(grep -E '^An error occurred \(' "$tmp/err" | tail -n1 || true)
if [[ $line =~ ^An\ error\ occurred\ \(([^\)]*)\)\ when\ calling\ the\ [A-Za-z0-9]+\ operation(\ \(reached max retries: [0-9]+\))?:\ (.*)$ ]]; then
  emit Code "${BASH_REMATCH[1]}"
  emit Message "${BASH_REMATCH[3]}"
  [[ -n $status ]] && emit HTTPStatus "$status"
  [[ -n $rid ]] && emit RequestId "$rid"
else
  last=$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2} |^\s|^$|^Traceback|^ *File ' "$tmp/err" | tail -n3 | tr '\n' ' ')
  emit Error "aws exited $rc: ${last:0:400}"
fi
