# shellcheck shell=bash
# Issue 2, beyond the five required cases: what real clients also send.

conf_case wrong-region sts GetCallerIdentity --env CONF_REGION=ap-southeast-2 \
  --desc 'a client configured for another region signs with that region (server: us-east-1)'
expect_error 403 SignatureDoesNotMatch "Credential should be scoped to a valid region, not 'ap-southeast-2'. "

conf_case presigned-GetCallerIdentity sts GetCallerIdentity --signing presigned:60 --clients boto3 \
  --desc 'a presigned GET URL (generate_presigned_url), as EKS aws-iam-authenticator uses it'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case presigned-wrong-secret sts GetCallerIdentity --signing presigned:60 --secret '{BAD_SECRET}' \
  --clients boto3 --desc 'a presigned GET URL signed with another secret'
expect_error 403 SignatureDoesNotMatch "$MSG_SIGNATURE"

conf_case GET-query-string sts GetCallerIdentity --env CONF_METHOD=GET --clients curl \
  --desc 'GET /?Action=GetCallerIdentity&Version=2011-06-15, header-signed'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case accept-json sts GetCallerIdentity --env CONF_ACCEPT=application/json --clients curl \
  --desc 'Accept: application/json gets the JSON mirror of the XML answer'
expect_success
expect Content-Type re '^application/json'
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'
expect UserId eq '{ACCOUNT}'

conf_case accept-json-error sts GetCallerIdentity --signing unsigned --env CONF_ACCEPT=application/json \
  --clients curl --desc 'Accept: application/json, and the error in JSON'
expect Content-Type re '^application/json'
expect_error 403 MissingAuthenticationToken "$MSG_MISSING_AUTH"

conf_case wrong-service sts GetCallerIdentity --env CONF_SIGN_SERVICE=iam --clients curl \
  --desc 'an STS action signed for service iam'
expect_error 403 SignatureDoesNotMatch "Credential should be scoped to correct service: 'sts'. "

conf_case invalid-action sts NoSuchAction --clients curl \
  --desc 'an Action STS does not have'
expect_error 400 InvalidAction 'Could not find operation NoSuchAction for version 2011-06-15'

conf_case stale-session-token sts GetCallerIdentity --token 'FwoGZXIvYXdzEBYaDLeftoverSessionToken' \
  --desc 'the root key with a leftover session token (AWS_SESSION_TOKEN from an old session)'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"
