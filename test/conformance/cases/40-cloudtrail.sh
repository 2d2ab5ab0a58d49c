# shellcheck shell=bash
# Issue 7: the audit trail through `aws cloudtrail lookup-events` (the CloudTrail JSON
# protocol), beside 30-cloudtrail-lookup.sh. Earlier files made the events: the admin's CreateUser (21), the refused
# inactive key (21), the unknown key id (10), the tampered session token (31), the
# expired token (31, on the short-session server). Authentication failures are events
# with their errorCode and the key id presented, and no secret or session token.
TRAIL_CLIENTS='aws-v1 aws-v2 boto3 curl'

# fn helpers over the whole answer (R).
# events_with WANT...: the indexes i of Events.i whose CloudTrailEvent has every WANT.
events_with() {
  local k i w ok
  for k in "${!R[@]}"; do
    [[ $k =~ ^Events\.([0-9]+)\.CloudTrailEvent$ ]] || continue
    i=${BASH_REMATCH[1]} ok=1
    for w in "$@"; do [[ ${R[$k]} == *"$w"* ]] || { ok=0; break; }; done
    ((ok)) && printf '%s\n' "$i"
  done
}
# no_value_contains TEXT...: no field of the answer contains any TEXT (secrets, tokens).
no_value_contains() {
  local k t
  for k in "${!R[@]}"; do
    for t in "$@"; do
      [[ -n $t && ${R[$k]} == *"$t"* ]] && { echo "no field containing a secret or token (found in $k)"; return 1; }
    done
  done
  return 0
}

check_create_user_event() {
  local user i k
  user=$(subst 'conf-adm-{CLIENT}-{RUN}')
  for i in $(events_with '"eventName":"CreateUser"' "\"userName\":\"$user\"" '"eventSource":"iam.amazonaws.com"'); do
    [[ ${R[Events.$i.EventName]-} == CreateUser && ${R[Events.$i.EventSource]-} == iam.amazonaws.com ]] || continue
    for k in "${!R[@]}"; do
      [[ $k == Events.$i.Resources.*.ResourceName && ${R[$k]} == "$user" ]] && return 0
    done
  done
  echo "an event EventName=CreateUser, EventSource=iam.amazonaws.com, a resource $user and requestParameters.userName $user"
  return 1
}

# auth_failure_event CODE MESSAGE AKID SECRET [TOKEN...]: an event for AKID with that
# errorCode and errorMessage, and neither the secret nor a token anywhere.
auth_failure_event() {
  local code=$1 msg=$2 akid=$3; shift 3
  local found
  found=$(events_with "\"accessKeyId\":\"$akid\"" "\"errorCode\":\"$code\"" "\"errorMessage\":\"$msg\"" | head -n1)
  [[ -n $found ]] || { echo "an event with accessKeyId $akid, errorCode $code, errorMessage \"$msg\""; return 1; }
  [[ ${R[Events.$found.AccessKeyId]-} == "$akid" ]] || { echo "Events.$found.AccessKeyId = $akid"; return 1; }
  no_value_contains "$@"
}
check_inactive_key_events() {
  auth_failure_event InvalidClientTokenId "$MSG_INVALID_TOKEN" "${VARS[ADM_AKID1]-}" "${VARS[ADM_SECRET1]-}" || return 1
  # and its successful call before it was deactivated
  [[ -n $(events_with '"eventName":"GetCallerIdentity"' '"type":"IAMUser"') ]] || { echo "also its successful GetCallerIdentity (userIdentity type IAMUser)"; return 1; }
}
check_unknown_key_events() {
  [[ -n $(events_with '"eventName":"GetCallerIdentity"' '"errorCode":"InvalidClientTokenId"') ]] ||
    { echo "a GetCallerIdentity event with errorCode InvalidClientTokenId"; return 1; }
  auth_failure_event InvalidClientTokenId "$MSG_INVALID_TOKEN" "${VARS[UNKNOWN_AKID]}" "${VARS[BAD_SECRET]}"
}
check_tampered_token_events() {
  auth_failure_event InvalidClientTokenId "$MSG_INVALID_TOKEN" "${VARS[SESSION_AKID]-}" \
    "${VARS[SESSION_SECRET]-}" "${VARS[SESSION_TOKEN]-}" "${VARS[TAMPERED_TOKEN]-}"
}
check_expired_token_events() {
  auth_failure_event ExpiredToken "$MSG_EXPIRED_TOKEN" "${VARS[SHORT_AKID]-}" "${VARS[SHORT_SECRET]-}" "${VARS[SHORT_TOKEN]-}"
}

conf_case trail-CreateUser cloudtrail LookupEvents --clients "$TRAIL_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}], "MaxResults": 50}' \
  --desc "issue 7: lookup-events EventName=CreateUser finds the admin's CreateUser"
expect HTTPStatus eq 200
expect RequestId re "$RE_REQUEST_ID"
expect Events.0.EventName eq CreateUser
expect Events.0.EventId fn check_create_user_event

conf_case trail-inactive-key cloudtrail LookupEvents --clients "$TRAIL_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": "{ADM_AKID1}"}]}' \
  --desc 'AccessKeyId= the deactivated key: its refused call (InvalidClientTokenId), no secret'
expect HTTPStatus eq 200
expect Events.0.AccessKeyId eq '{ADM_AKID1}'
expect Events.0.EventId fn check_inactive_key_events

conf_case trail-unknown-key cloudtrail LookupEvents --clients "$TRAIL_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": "{UNKNOWN_AKID}"}]}' \
  --desc 'AccessKeyId= the never-issued key id of unknown-key-id: InvalidClientTokenId events'
expect HTTPStatus eq 200
expect Events.0.EventId fn check_unknown_key_events

conf_case trail-tampered-token cloudtrail LookupEvents --clients "$TRAIL_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": "{SESSION_AKID}"}]}' \
  --desc 'AccessKeyId= the temporary key sent with a tampered token: InvalidClientTokenId, no token'
expect HTTPStatus eq 200
expect Events.0.EventId fn check_tampered_token_events

conf_case trail-expired-token cloudtrail LookupEvents --clients "$TRAIL_CLIENTS" \
  --env 'CONF_ENDPOINT={SHORT_ENDPOINT}' --akid '{SHORT_ROOT_AKID}' --secret '{SHORT_ROOT_SECRET}' \
  --params '{"LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": "{SHORT_AKID}"}]}' \
  --desc 'on the short-session server: the expired token'"'"'s call (ExpiredToken), no token'
expect HTTPStatus eq 200
expect Events.0.EventId fn check_expired_token_events

