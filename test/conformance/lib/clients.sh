# shellcheck shell=bash
# The clients and how to find them. Sourced by run.sh (after harness.sh).
# To add a client: append its name to ALL_CLIENTS and write detect_<name> (dashes
# become underscores) that sets DRIVER=(command words) and returns 0, or sets
# WHY="not installed ..." and returns 1.

ALL_CLIENTS=(aws-v1 aws-v2 boto3 js curl)
DRIVER=() WHY=''

aws_major() { # aws_major BIN -> prints 1 or 2 (empty when BIN does not run)
  local v
  v=$(env -u AWS_PROFILE AWS_CONFIG_FILE=/dev/null "$1" --version 2>&1 </dev/null) || return 1
  [[ $v =~ aws-cli/([0-9]+)\. ]] && printf '%s' "${BASH_REMATCH[1]}"
}

find_aws() { # find_aws MAJOR candidate... -> prints the first candidate of that major version
  local want=$1 c; shift
  for c in "$@"; do
    [[ -n $c ]] || continue
    c=$(command -v "$c" 2>/dev/null) || continue
    [[ $(aws_major "$c") == "$want" ]] && { printf '%s' "$c"; return 0; }
  done
  return 1
}

detect_aws_v1() {
  local bin
  if bin=$(find_aws 1 "${CONFORMANCE_AWS_V1:-}" aws); then
    DRIVER=(env CONF_AWS="$bin" "$CONF_DIR/clients/aws-cli.sh"); return 0
  fi
  WHY="not installed (aws CLI v1 on PATH, or CONFORMANCE_AWS_V1)"; return 1
}

detect_aws_v2() {
  local bin
  if bin=$(find_aws 2 "${CONFORMANCE_AWS_V2:-}" /usr/bin/aws /usr/local/bin/aws aws); then
    DRIVER=(env CONF_AWS="$bin" "$CONF_DIR/clients/aws-cli.sh"); return 0
  fi
  WHY="not installed (aws CLI v2: apt-get install awscli, or CONFORMANCE_AWS_V2)"; return 1
}

detect_boto3() {
  if "$PYTHON" -c 'import boto3' >/dev/null 2>&1; then
    DRIVER=("$PYTHON" "$CONF_DIR/clients/boto3_driver.py"); return 0
  fi
  WHY="not installed (boto3 for $PYTHON, or CONFORMANCE_PYTHON)"; return 1
}

detect_js() {
  if ! command -v node >/dev/null 2>&1; then WHY="not installed (node)"; return 1; fi
  if ! (cd "$CONF_DIR/js" && node -e 'require.resolve("@aws-sdk/client-sts"); require.resolve("@aws-sdk/client-iam")') >/dev/null 2>&1; then
    WHY="not installed (run: cd test/conformance/js && npm ci)"; return 1
  fi
  DRIVER=(env NODE_NO_WARNINGS=1 node "$CONF_DIR/js/driver.js"); return 0
}

detect_curl() {
  if ! command -v curl >/dev/null 2>&1; then WHY="not installed (curl)"; return 1; fi
  if ! curl --help all 2>/dev/null | grep -q -- --aws-sigv4; then
    WHY="not installed (curl without --aws-sigv4: needs curl >= 7.75)"; return 1
  fi
  DRIVER=("$CONF_DIR/clients/curl.sh"); return 0
}

detect_client() { # detect_client NAME
  DRIVER=() WHY=''
  local fn="detect_${1//-/_}"
  declare -F "$fn" >/dev/null || { WHY="unknown client"; return 1; }
  "$fn"
}
