# shellcheck shell=bash
# AWS's exact texts shared by the case files (../shared/reference/aws-reference.md §3.1).

MSG_SIGNATURE='The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
MSG_INVALID_TOKEN='The security token included in the request is invalid.'
MSG_MISSING_AUTH='Request is missing Authentication Token'
TS='[0-9]{8}T[0-9]{6}Z' # an X-Amz-Date in a message

# --before mfa_codes: {MFA_CODE1} and {MFA_CODE2}, two consecutive TOTP codes (as
# EnableMFADevice wants) from {MFA_SEED}, a captured VirtualMFADevice.Base32StringSeed
# (base64 of the base32 seed in every driver). Needs oathtool.
mfa_codes() {
  command -v oathtool >/dev/null || { echo "oathtool not installed" >&2; return 1; }
  local seed now
  seed=$(printf '%s' "${VARS[MFA_SEED]-}" | base64 -d) || return 1
  now=$(date -u +%s)
  VARS[MFA_CODE1]=$(oathtool --totp -b -N "@$((now - 30))" "$seed") || return 1
  VARS[MFA_CODE2]=$(oathtool --totp -b -N "@$now" "$seed")
}
