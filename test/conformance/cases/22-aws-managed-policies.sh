# shellcheck shell=bash
# Issue 15: AWS managed policies as tutorials use them. A user gets ReadOnlyAccess
# (arn:aws:iam::aws:policy/ReadOnlyAccess) attached; with its own key a read succeeds
# and a write is refused with AWS's text naming the action. GetPolicy reports the
# attachment; AWS's policies cannot be deleted, whoever asks.
MU='conf-ro-{CLIENT}-{RUN}'
RO='arn:aws:iam::aws:policy/ReadOnlyAccess'
ADMIN='arn:aws:iam::aws:policy/AdministratorAccess'

conf_case ro-CreateUser iam CreateUser --params '{"UserName": "'"$MU"'"}' \
  --desc 'a user for ReadOnlyAccess'
expect_success

conf_case ro-CreateAccessKey iam CreateAccessKey --params '{"UserName": "'"$MU"'"}' \
  --capture RO_AKID=AccessKey.AccessKeyId --capture RO_SECRET=AccessKey.SecretAccessKey \
  --desc "the user's key"
expect_success

conf_case ro-AttachUserPolicy iam AttachUserPolicy --params '{"UserName": "'"$MU"'", "PolicyArn": "'"$RO"'"}' \
  --desc 'attach-user-policy --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess'
expect_success

conf_case ro-GetPolicy iam GetPolicy --params '{"PolicyArn": "'"$RO"'"}' \
  --desc 'the AWS managed policy, with the attachment counted'
expect_success
expect Policy.PolicyName       eq ReadOnlyAccess
expect Policy.Arn              eq "$RO"
expect Policy.Path             eq /
expect Policy.DefaultVersionId re '^v[0-9]+$'
expect Policy.AttachmentCount  eq 1
expect Policy.IsAttachable     re '^([Tt]rue)$'

conf_case ro-read iam ListAttachedUserPolicies --params '{"UserName": "'"$MU"'"}' \
  --akid '{RO_AKID}' --secret '{RO_SECRET}' --desc 'a read with the user key succeeds'
expect_success
expect AttachedPolicies.0.PolicyArn eq "$RO"

conf_case ro-write iam CreateUser --params '{"UserName": "'"$MU"'-not"}' \
  --akid '{RO_AKID}' --secret '{RO_SECRET}' --desc 'a write with the user key is denied, naming the action'
expect_error 403 AccessDenied "User: arn:aws:iam::{ACCOUNT}:user/$MU is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/$MU-not because no identity-based policy allows the iam:CreateUser action"

conf_case ro-DeletePolicy-aws iam DeletePolicy --params '{"PolicyArn": "'"$ADMIN"'"}' \
  --desc "AWS's own policies cannot be deleted, even by the root"
expect_error 403 AccessDenied "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: iam:DeletePolicy on resource: policy $ADMIN"

conf_case ro-CreatePolicyVersion-aws iam CreatePolicyVersion \
  --params '{"PolicyArn": "'"$ADMIN"'", "PolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}' \
  --desc "AWS's own policies cannot be versioned, even by the root"
expect_error 403 AccessDenied "User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: iam:CreatePolicyVersion on resource: policy $ADMIN"

conf_case ro-ListEntitiesForPolicy iam ListEntitiesForPolicy --params '{"PolicyArn": "'"$RO"'", "EntityFilter": "User"}' \
  --desc 'Terraform reads who has the AWS policy: the user just attached'
expect_success
expect PolicyUsers.0.UserName eq "$MU"
expect PolicyGroups.0 absent
expect PolicyRoles.0 absent

# Clean up.
conf_case ro-DetachUserPolicy iam DetachUserPolicy --params '{"UserName": "'"$MU"'", "PolicyArn": "'"$RO"'"}' \
  --desc 'clean-up: detach'
expect_success

conf_case ro-DeleteAccessKey iam DeleteAccessKey --params '{"UserName": "'"$MU"'", "AccessKeyId": "{RO_AKID}"}' \
  --desc 'clean-up: delete the key'
expect_success

conf_case ro-DeleteUser iam DeleteUser --params '{"UserName": "'"$MU"'"}' \
  --desc 'clean-up: delete the user'
expect_success
