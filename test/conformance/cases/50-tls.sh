# shellcheck shell=bash
# Issue 14: the same calls over HTTPS, against `castellan serve --tls-cert` with a test
# CA's certificate (the TLS run, lib/tls.sh), every client trusting that CA alone. The
# run also checks each client refuses the server without the CA (tls-untrusted-ca).

conf_case tls-GetCallerIdentity sts GetCallerIdentity --server tls \
  --desc 'TLS run: the root key over https (aws --ca-bundle, boto3 verify=, curl --cacert, JS https.Agent ca)'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

# The CLIs are the slow clients (seconds a call): over TLS each makes the two calls that
# prove its two ways of trusting a CA (--ca-bundle above, AWS_CA_BUNDLE below) and the
# refusal without it; the session cases run through the SDKs and curl.
conf_case tls-GetSessionToken sts GetSessionToken --server tls --clients 'boto3 js curl' --params '{"DurationSeconds": 900}' \
  --capture TLS_AKID=Credentials.AccessKeyId --capture TLS_SECRET=Credentials.SecretAccessKey \
  --capture TLS_TOKEN=Credentials.SessionToken --desc 'TLS run: session credentials over https'
expect_success
expect Credentials.AccessKeyId re '^ASIA[A-Z2-7]{16}$'
expect Credentials.SessionToken present

conf_case tls-session-GetCallerIdentity sts GetCallerIdentity --server tls --clients 'boto3 js curl' \
  --akid '{TLS_AKID}' --secret '{TLS_SECRET}' --token '{TLS_TOKEN}' \
  --desc 'TLS run: the session credentials from tls-GetSessionToken, used over https'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case tls-iam-ListUsers iam ListUsers --server tls --env CONF_CA_VIA=env \
  --desc 'TLS run: an IAM read over https (no users yet), the CLIs and boto3 given the CA as AWS_CA_BUNDLE'
expect_success
expect Users present # [] from the SDKs, empty from curl's XML
