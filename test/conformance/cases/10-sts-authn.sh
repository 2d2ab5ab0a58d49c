# shellcheck shell=bash
# Issue 2: STS GetCallerIdentity and the authentication failures, through every client.
# Messages are AWS's, byte for byte (../shared/reference/aws-reference.md §3.1).

RE_EXPIRED="^Signature expired: $TS is now earlier than $TS \\($TS - 15 min\\.\\)\$"

conf_case GetCallerIdentity sts GetCallerIdentity \
  --desc 'the root key: root ARN, UserId = account id'
expect_success
expect Arn     eq 'arn:aws:iam::{ACCOUNT}:root'
expect UserId  eq '{ACCOUNT}'
expect Account re '^[0-9]{12}$'
expect Account eq '{ACCOUNT}'

conf_case wrong-secret sts GetCallerIdentity --secret '{BAD_SECRET}' \
  --desc 'the root key id with another secret'
expect_error 403 SignatureDoesNotMatch "$MSG_SIGNATURE"

conf_case unknown-key-id sts GetCallerIdentity --akid '{UNKNOWN_AKID}' --secret '{BAD_SECRET}' \
  --desc 'a well-formed AKIA key id that was never issued'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

conf_case no-authorization sts GetCallerIdentity --signing unsigned \
  --desc 'no Authorization header at all'
expect_error 403 MissingAuthenticationToken "$MSG_MISSING_AUTH"

conf_case dated-20-minutes-ago sts GetCallerIdentity --signing dated:-1200 \
  --desc 'signed correctly, with X-Amz-Date 20 minutes in the past (window: 15 min)'
expect HTTPStatus eq 403
expect Code       eq SignatureDoesNotMatch
expect Message    re "$RE_EXPIRED"
expect Message    fn check_signature_expired
expect Type       eq Sender --clients curl
expect_request_id

# "Signature expired: REQ is now earlier than EDGE (NOW - 15 min.)": REQ is our
# X-Amz-Date (about 20 min ago), NOW the server's clock (this machine's), EDGE = NOW-15min.
check_signature_expired() {
  local msg=$1 ts='([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z'
  [[ $msg =~ ^Signature\ expired:\ $ts\ is\ now\ earlier\ than\ $ts\ \($ts\ - ]] || {
    echo 'the "Signature expired: …" form'; return 1; }
  local m=("${BASH_REMATCH[@]}") req edge now here
  req=$(date -u -d "${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}" +%s)
  edge=$(date -u -d "${m[7]}-${m[8]}-${m[9]} ${m[10]}:${m[11]}:${m[12]}" +%s)
  now=$(date -u -d "${m[13]}-${m[14]}-${m[15]} ${m[16]}:${m[17]}:${m[18]}" +%s)
  here=$(date -u +%s)
  ((edge == now - 900)) || { echo "the second time = the third - 15 min"; return 1; }
  ((now <= here + 5 && now >= here - 300)) || { echo "the third time = the server's clock (now: $(date -u +%Y%m%dT%H%M%SZ))"; return 1; }
  ((req >= here - 1500 && req <= here - 1100)) || { echo "the first time = the request's X-Amz-Date, about 20 min ago"; return 1; }
  return 0
}

conf_case dated-20-minutes-ahead sts GetCallerIdentity --signing dated:1200 \
  --desc 'signed correctly, with X-Amz-Date 20 minutes in the future'
expect HTTPStatus eq 403
expect Code       eq SignatureDoesNotMatch
expect Message    re "^Signature not yet current: $TS is still later than $TS \\($TS \\+ 15 min\\.\\)\$"
expect Type       eq Sender --clients curl
expect_request_id

conf_case temporary-key-without-token sts GetCallerIdentity --akid 'ASIA{UNKNOWN_AKID_TAIL}' \
  --desc 'an ASIA (temporary) key id with no session token'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

conf_case incomplete-signature sts GetCallerIdentity --signing unsigned --clients curl \
  --env 'CONF_HEADER=Authorization: AWS4-HMAC-SHA256 Credential={ROOT_AKID}/20260101/us-east-1/sts/aws4_request' \
  --desc 'an Authorization header with only a Credential'
expect_error 400 IncompleteSignature "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential={ROOT_AKID}/20260101/us-east-1/sts/aws4_request"
