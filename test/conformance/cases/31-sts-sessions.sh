# shellcheck shell=bash
# Issue 5: temporary credentials through real clients. A user with an MFA device and a
# policy allowing sts:AssumeRole; a role whose trust policy requires MFA. The CLIs assume
# it themselves from a profile (role_arn + source_profile + mfa_serial, the code typed at
# their prompt); boto3, the JS SDK and curl call AssumeRole with the code and use the
# credentials. A tampered session token and an expired one are refused with AWS's texts.
SU='conf-sess-{CLIENT}-{RUN}'
SR='conf-mfa-role-{CLIENT}-{RUN}'
SR_ARN='arn:aws:iam::{ACCOUNT}:role/'$SR
SESSION='conf-{CLIENT}-{RUN}'
CLIS='aws-v1 aws-v2'
SDKS='boto3 js curl'

# The expired token first asks for 2-second credentials from the second server
# (--min-session-duration 1s); it is used at the end of this file, once they lapsed.
conf_case short-GetSessionToken sts GetSessionToken --before short_server \
  --env 'CONF_ENDPOINT={SHORT_ENDPOINT}' --akid '{SHORT_ROOT_AKID}' --secret '{SHORT_ROOT_SECRET}' \
  --params '{"DurationSeconds": 2}' --env CONF_PARAMETER_VALIDATION=false \
  --capture SHORT_AKID=Credentials.AccessKeyId --capture SHORT_SECRET=Credentials.SecretAccessKey \
  --capture SHORT_TOKEN=Credentials.SessionToken --capture SHORT_EXPIRATION=Credentials.Expiration \
  --desc 'issue 5: 2-second credentials from a server run with --min-session-duration 1s'
expect_success
expect Credentials.AccessKeyId re '^ASIA[A-Z2-7]{16}$'
expect Credentials.SessionToken present

conf_case sess-CreateUser iam CreateUser --params '{"UserName": "'"$SU"'"}' \
  --desc 'a user who will assume a role'
expect_success

conf_case sess-PutUserPolicy iam PutUserPolicy \
  --params '{"UserName": "'"$SU"'", "PolicyName": "assume", "PolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"'"$SR_ARN"'\"}]}"}' \
  --desc 'its policy allows sts:AssumeRole on the role'
expect_success

conf_case sess-CreateAccessKey iam CreateAccessKey --params '{"UserName": "'"$SU"'"}' \
  --capture SESS_AKID=AccessKey.AccessKeyId --capture SESS_SECRET=AccessKey.SecretAccessKey \
  --desc "the user's key"
expect_success

conf_case sess-CreateVirtualMFADevice iam CreateVirtualMFADevice --params '{"VirtualMFADeviceName": "'"$SU"'"}' \
  --capture MFA_SEED=VirtualMFADevice.Base32StringSeed --capture SESS_MFA_SERIAL=VirtualMFADevice.SerialNumber \
  --desc "the user's own MFA device"
expect_success
expect VirtualMFADevice.SerialNumber eq "arn:aws:iam::{ACCOUNT}:mfa/$SU"

conf_case sess-EnableMFADevice iam EnableMFADevice --before mfa_codes \
  --params '{"UserName": "'"$SU"'", "SerialNumber": "{SESS_MFA_SERIAL}", "AuthenticationCode1": "{MFA_CODE1}", "AuthenticationCode2": "{MFA_CODE2}"}' \
  --desc 'enabled with two consecutive codes'
expect_success

conf_case sess-CreateRole iam CreateRole \
  --params '{"RoleName": "'"$SR"'", "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}"}' \
  --capture SESS_ROLE_ID=Role.RoleId --desc 'a role whose trust policy requires MFA'
expect_success

conf_case sess-AssumeRole-without-MFA sts AssumeRole --akid '{SESS_AKID}' --secret '{SESS_SECRET}' \
  --params '{"RoleArn": "'"$SR_ARN"'", "RoleSessionName": "'"$SESSION"'"}' \
  --desc 'without MFA the trust policy does not allow it'
expect_error 403 AccessDenied "User: arn:aws:iam::{ACCOUNT}:user/$SU is not authorized to perform: sts:AssumeRole on resource: $SR_ARN"

# The CLIs: a profile that assumes the role, with the source profile's key and the MFA
# device; endpoint_url in both profiles reaches the CLI's own STS client (older CLIs: see
# clients/aws-cli.sh). The code is typed at the CLI's "Enter MFA code for …:" prompt.
PROFILES='[profile src]\naws_access_key_id = {SESS_AKID}\naws_secret_access_key = {SESS_SECRET}\nregion = {REGION}\nendpoint_url = {ENDPOINT}\n'
PROFILES+='[profile role]\nrole_arn = '$SR_ARN'\nsource_profile = src\nmfa_serial = {SESS_MFA_SERIAL}\nrole_session_name = '$SESSION'\nregion = {REGION}\nendpoint_url = {ENDPOINT}'
conf_case cli-profile-assume-role sts GetCallerIdentity --clients "$CLIS" --before mfa_next_code \
  --env "CONF_AWS_CONFIG=$PROFILES" --env CONF_AWS_PROFILE=role --env 'CONF_STDIN={MFA_NEXT}\n' \
  --desc 'the CLI assumes the role itself (role_arn + source_profile + mfa_serial) and calls GetCallerIdentity'
expect_success
expect Prompt  eq 'Enter MFA code for {SESS_MFA_SERIAL}:'
expect Arn     eq "arn:aws:sts::{ACCOUNT}:assumed-role/$SR/$SESSION"
expect UserId  eq "{SESS_ROLE_ID}:$SESSION"
expect Account eq '{ACCOUNT}'

# The SDKs (and curl): AssumeRole with the code, then the credentials.
conf_case sdk-AssumeRole-MFA sts AssumeRole --clients "$SDKS" --before mfa_next_code \
  --akid '{SESS_AKID}' --secret '{SESS_SECRET}' \
  --params '{"RoleArn": "'"$SR_ARN"'", "RoleSessionName": "'"$SESSION"'", "SerialNumber": "{SESS_MFA_SERIAL}", "TokenCode": "{MFA_NEXT}"}' \
  --capture SESSION_AKID=Credentials.AccessKeyId --capture SESSION_SECRET=Credentials.SecretAccessKey \
  --capture SESSION_TOKEN=Credentials.SessionToken \
  --desc 'AssumeRole with SerialNumber and TokenCode (the next 30-s step of the seed)'
expect_success
expect AssumedRoleUser.Arn           eq "arn:aws:sts::{ACCOUNT}:assumed-role/$SR/$SESSION"
expect AssumedRoleUser.AssumedRoleId eq "{SESS_ROLE_ID}:$SESSION"
expect Credentials.AccessKeyId       re '^ASIA[A-Z2-7]{16}$'
expect Credentials.SecretAccessKey   re '^[A-Za-z0-9/+]{40}$'
expect Credentials.SessionToken      present
expect Credentials.Expiration        re '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'

conf_case sdk-role-GetCallerIdentity sts GetCallerIdentity --clients "$SDKS" \
  --akid '{SESSION_AKID}' --secret '{SESSION_SECRET}' --token '{SESSION_TOKEN}' \
  --desc 'the assumed-role credentials'
expect_success
expect Arn    eq "arn:aws:sts::{ACCOUNT}:assumed-role/$SR/$SESSION"
expect UserId eq "{SESS_ROLE_ID}:$SESSION"

conf_case sdk-role-tampered-token sts GetCallerIdentity --clients "$SDKS" --before tamper_session_token \
  --akid '{SESSION_AKID}' --secret '{SESSION_SECRET}' --token '{TAMPERED_TOKEN}' \
  --desc 'the role session token with one base64 character in its middle changed'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

# The CLIs' own session credentials to tamper with: GetSessionToken with the user's key.
conf_case cli-GetSessionToken sts GetSessionToken --clients "$CLIS" --akid '{SESS_AKID}' --secret '{SESS_SECRET}' \
  --params '{"DurationSeconds": 900}' \
  --capture SESSION_AKID=Credentials.AccessKeyId --capture SESSION_SECRET=Credentials.SecretAccessKey \
  --capture SESSION_TOKEN=Credentials.SessionToken --desc "session credentials for the user"
expect_success
expect Credentials.AccessKeyId re '^ASIA[A-Z2-7]{16}$'

conf_case cli-session-GetCallerIdentity sts GetCallerIdentity --clients "$CLIS" \
  --akid '{SESSION_AKID}' --secret '{SESSION_SECRET}' --token '{SESSION_TOKEN}' \
  --desc 'the session credentials (AWS_SESSION_TOKEN)'
expect_success
expect Arn eq "arn:aws:iam::{ACCOUNT}:user/$SU"

conf_case cli-session-tampered-token sts GetCallerIdentity --clients "$CLIS" --before tamper_session_token \
  --akid '{SESSION_AKID}' --secret '{SESSION_SECRET}' --token '{TAMPERED_TOKEN}' \
  --desc 'the session token with one base64 character in its middle changed'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

# Clean up.
conf_case sess-DeactivateMFADevice iam DeactivateMFADevice \
  --params '{"UserName": "'"$SU"'", "SerialNumber": "{SESS_MFA_SERIAL}"}' --desc 'clean-up: deactivate the device'
expect_success
conf_case sess-DeleteVirtualMFADevice iam DeleteVirtualMFADevice --params '{"SerialNumber": "{SESS_MFA_SERIAL}"}' \
  --desc 'clean-up: delete the device'
expect_success
conf_case sess-DeleteUserPolicy iam DeleteUserPolicy --params '{"UserName": "'"$SU"'", "PolicyName": "assume"}' \
  --desc 'clean-up: the policy'
expect_success
conf_case sess-DeleteAccessKey iam DeleteAccessKey --params '{"UserName": "'"$SU"'", "AccessKeyId": "{SESS_AKID}"}' \
  --desc 'clean-up: the key'
expect_success
conf_case sess-DeleteUser iam DeleteUser --params '{"UserName": "'"$SU"'"}' --desc 'clean-up: the user'
expect_success
conf_case sess-DeleteRole iam DeleteRole --params '{"RoleName": "'"$SR"'"}' --desc 'clean-up: the role'
expect_success

conf_case expired-token sts GetCallerIdentity --before wait_short_expiry \
  --env 'CONF_ENDPOINT={SHORT_ENDPOINT}' --akid '{SHORT_AKID}' --secret '{SHORT_SECRET}' --token '{SHORT_TOKEN}' \
  --desc 'the 2-second credentials from short-GetSessionToken, a second after their Expiration'
expect_error 403 ExpiredToken "$MSG_EXPIRED_TOKEN"
