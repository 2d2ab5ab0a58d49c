# shellcheck shell=bash
# AWS's exact texts shared by the case files (../shared/reference/aws-reference.md §3.1).

MSG_SIGNATURE='The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
MSG_INVALID_TOKEN='The security token included in the request is invalid.'
MSG_MISSING_AUTH='Request is missing Authentication Token'
TS='[0-9]{8}T[0-9]{6}Z' # an X-Amz-Date in a message

# totp BASE32-SEED EPOCH-SECONDS: the six-digit TOTP code of that time (RFC 6238, SHA-1,
# 30-s steps), with oathtool (`oathtool --totp -b SEED --now TIME`); where oathtool is not
# installed, the same computation with the drivers' python.
totp() {
  if command -v oathtool >/dev/null; then
    oathtool --totp -b --now "$(date -u -d "@$2" '+%F %T UTC')" "$1"
  else
    "${PYTHON:-python3}" -c '
import base64, hashlib, hmac, struct, sys
seed = sys.argv[1].upper(); seed += "=" * (-len(seed) % 8)
mac = hmac.new(base64.b32decode(seed), struct.pack(">Q", int(sys.argv[2]) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))' "$1" "$2"
  fi
}

# --before mfa_codes: {MFA_CODE1} and {MFA_CODE2}, two consecutive TOTP codes (as
# EnableMFADevice wants: the previous and the current 30-s step) from {MFA_SEED}, a
# captured VirtualMFADevice.Base32StringSeed (base64 of the base32 seed in every driver).
mfa_codes() {
  local seed now
  seed=$(printf '%s' "${VARS[MFA_SEED]-}" | base64 -d) || return 1
  now=$(date -u +%s)
  VARS[MFA_CODE1]=$(totp "$seed" $((now - 30))) || return 1
  VARS[MFA_CODE2]=$(totp "$seed" "$now")
}

MSG_EXPIRED_TOKEN='The security token included in the request is expired'

# --before mfa_next_code: {MFA_NEXT}, the code of the NEXT 30-s step from {MFA_SEED}. After
# EnableMFADevice took the current step's code, the server accepts each code once and
# only later ones, within one step of its clock: the next step's code is the one left.
mfa_next_code() {
  local seed
  seed=$(printf '%s' "${VARS[MFA_SEED]-}" | base64 -d) || return 1
  VARS[MFA_NEXT]=$(totp "$seed" $(($(date -u +%s) + 30)))
}

# tamper TOKEN: the token with one base64 character in its middle changed.
tamper() {
  local t=$1 i c
  i=$((${#t} / 2)) c=${t:i:1}
  [[ $c == A ]] && c=B || c=A
  printf '%s' "${t:0:i}$c${t:i+1}"
}

# --before short_server: the second server, `castellan serve --min-session-duration 1s`
# (run.sh starts it once): {SHORT_ENDPOINT} {SHORT_ROOT_AKID} {SHORT_ROOT_SECRET}.
short_server() {
  declare -F ensure_short_server >/dev/null || { echo "run.sh has no ensure_short_server" >&2; return 1; }
  ensure_short_server
}
# --before wait_short_expiry: sleeps until a second after {SHORT_EXPIRATION} (a captured
# Credentials.Expiration, in whatever ISO-8601 form the client prints it).
wait_short_expiry() {
  local exp left
  [[ -n ${VARS[SHORT_EXPIRATION]-} ]] || { echo "no expiration captured" >&2; return 1; }
  exp=$(date -u -d "${VARS[SHORT_EXPIRATION]-}" +%s) || { echo "no expiration captured" >&2; return 1; }
  left=$((exp + 1 - $(date -u +%s)))
  ((left <= 0)) || sleep "$left"
}

# --before tamper_session_token: {TAMPERED_TOKEN} = {SESSION_TOKEN} with one character
# in its middle changed.
tamper_session_token() {
  [[ -n ${VARS[SESSION_TOKEN]-} ]] || { echo "no session token captured" >&2; return 1; }
  VARS[TAMPERED_TOKEN]=$(tamper "${VARS[SESSION_TOKEN]}")
}
