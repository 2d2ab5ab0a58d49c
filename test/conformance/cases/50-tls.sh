# shellcheck shell=bash
# Issue 14: the same calls over HTTPS, against `castellan serve --tls-cert` with a test
# CA's certificate (the TLS run, lib/tls.sh), every client trusting that CA alone. The
# run also checks each client refuses the server without the CA (tls-untrusted-ca).

conf_case tls-GetCallerIdentity sts GetCallerIdentity --server tls \
  --desc 'TLS run: the root key over https (aws --ca-bundle, boto3 verify=, curl --cacert, JS https.Agent ca)'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case tls-AWS_CA_BUNDLE sts GetCallerIdentity --server tls --clients 'aws-v1 aws-v2 boto3' \
  --env CONF_CA_VIA=env --desc 'TLS run: the CA given as AWS_CA_BUNDLE, as the documentation says'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case tls-GetSessionToken sts GetSessionToken --server tls --params '{"DurationSeconds": 900}' \
  --capture TLS_AKID=Credentials.AccessKeyId --capture TLS_SECRET=Credentials.SecretAccessKey \
  --capture TLS_TOKEN=Credentials.SessionToken --desc 'TLS run: session credentials over https'
expect_success
expect Credentials.AccessKeyId re '^ASIA[A-Z2-7]{16}$'
expect Credentials.SessionToken present

conf_case tls-session-GetCallerIdentity sts GetCallerIdentity --server tls \
  --akid '{TLS_AKID}' --secret '{TLS_SECRET}' --token '{TLS_TOKEN}' \
  --desc 'TLS run: the session credentials from tls-GetSessionToken, used over https'
expect_success
expect Arn eq 'arn:aws:iam::{ACCOUNT}:root'

conf_case tls-iam-ListUsers iam ListUsers --server tls --desc 'TLS run: an IAM read over https (no users yet)'
expect_success
expect Users present # [] from the SDKs, empty from curl's XML
