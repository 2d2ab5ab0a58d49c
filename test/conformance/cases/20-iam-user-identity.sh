# shellcheck shell=bash
# Issue 2 §6: GetCallerIdentity for an IAM user (ARN with its path, UserId = AIDA…),
# with the user and its key made through each client's own IAM calls. The name uses
# every punctuation mark IAM allows (+=,.@-), which each client must encode.
U='conf-{CLIENT}-{RUN}+=,.@'

conf_case iam-CreateUser iam CreateUser \
  --params '{"UserName": "'"$U"'", "Path": "/conformance/"}' \
  --capture USER_ID=User.UserId --desc 'the root key creates a user with a path'
expect_success
expect User.UserName eq "$U"
expect User.Path     eq '/conformance/'
expect User.Arn      eq "arn:aws:iam::{ACCOUNT}:user/conformance/$U"
expect User.UserId   re '^AIDA[A-Z2-7]{12,}$'

conf_case iam-CreateAccessKey iam CreateAccessKey --params '{"UserName": "'"$U"'"}' \
  --capture USER_AKID=AccessKey.AccessKeyId --capture USER_SECRET=AccessKey.SecretAccessKey \
  --desc "an access key for the user"
expect_success
expect AccessKey.UserName        eq "$U"
expect AccessKey.AccessKeyId     re '^AKIA[A-Z2-7]{16}$'
expect AccessKey.SecretAccessKey re '^[A-Za-z0-9/+]{40}$'
expect AccessKey.Status          eq Active

conf_case iam-GetUser-GET iam GetUser --params '{"UserName": "'"$U"'"}' --env CONF_METHOD=GET \
  --clients curl --desc 'GET with a query string to canonicalise (sorted, %-encoded)'
expect_success
expect User.Arn eq "arn:aws:iam::{ACCOUNT}:user/conformance/$U"

conf_case user-GetCallerIdentity sts GetCallerIdentity --akid '{USER_AKID}' --secret '{USER_SECRET}' \
  --desc "the user's key: user ARN with the path, UserId = the user's AIDA id"
expect_success
expect Arn     eq "arn:aws:iam::{ACCOUNT}:user/conformance/$U"
expect UserId  eq '{USER_ID}'
expect Account eq '{ACCOUNT}'

conf_case user-wrong-secret sts GetCallerIdentity --akid '{USER_AKID}' --secret '{BAD_SECRET}' \
  --desc "the user's key id with another secret"
expect_error 403 SignatureDoesNotMatch "$MSG_SIGNATURE"

# Clean up, so that a run against a long-lived server leaves nothing behind.
conf_case iam-DeleteAccessKey iam DeleteAccessKey \
  --params '{"UserName": "'"$U"'", "AccessKeyId": "{USER_AKID}"}' \
  --desc 'clean-up: delete the key'
expect_success

conf_case iam-DeleteUser iam DeleteUser --params '{"UserName": "'"$U"'"}' \
  --desc 'clean-up: delete the user'
expect_success
