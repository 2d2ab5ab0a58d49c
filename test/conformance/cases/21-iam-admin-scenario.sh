# shellcheck shell=bash
# Issue 3: the admin scenario. The root key creates a user, a group (with the user in it),
# a role, a managed policy (attached to the user), a virtual MFA device (enabled with two
# consecutive codes from its seed, oathtool), a login profile and two access keys; a
# third key is refused; the user's keys work until deactivated or deleted; DeleteUser
# is refused while any of that remains. Everything is deleted at the end.
AU='conf-adm-{CLIENT}-{RUN}'
AG='conf-grp-{CLIENT}-{RUN}'
AR='conf-role-{CLIENT}-{RUN}'
AP='conf-pol-{CLIENT}-{RUN}'
AP_ARN='arn:aws:iam::{ACCOUNT}:policy/'$AP
RE_ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}'

conf_case adm-CreateUser iam CreateUser --params '{"UserName": "'"$AU"'"}' \
  --capture ADM_USER_ID=User.UserId --desc 'issue 3: the admin creates a user'
expect_success
expect User.Arn    eq "arn:aws:iam::{ACCOUNT}:user/$AU"
expect User.UserId re '^AIDA[A-Z2-7]{12,}$'
expect User.CreateDate re "$RE_ISO"

conf_case adm-CreateGroup iam CreateGroup --params '{"GroupName": "'"$AG"'"}' \
  --desc 'a group'
expect_success
expect Group.Arn     eq "arn:aws:iam::{ACCOUNT}:group/$AG"
expect Group.GroupId re '^AGPA[A-Z2-7]{12,}$'

conf_case adm-AddUserToGroup iam AddUserToGroup --params '{"GroupName": "'"$AG"'", "UserName": "'"$AU"'"}' \
  --desc 'the user joins the group'
expect_success

conf_case adm-GetGroup iam GetGroup --params '{"GroupName": "'"$AG"'"}' \
  --desc 'the group lists the user'
expect_success
expect Users.0.UserName eq "$AU"
expect Users.1.UserName absent

conf_case adm-CreateRole iam CreateRole \
  --params '{"RoleName": "'"$AR"'", "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"},\"Action\":\"sts:AssumeRole\"}]}"}' \
  --desc 'a role the account may assume'
expect_success
expect Role.Arn    eq "arn:aws:iam::{ACCOUNT}:role/$AR"
expect Role.RoleId re '^AROA[A-Z2-7]{12,}$'

conf_case adm-CreatePolicy iam CreatePolicy \
  --params '{"PolicyName": "'"$AP"'", "PolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\",\"Resource\":\"arn:aws:iam::{ACCOUNT}:user/'"$AU"'\"}]}"}' \
  --desc 'a managed policy'
expect_success
expect Policy.Arn              eq "$AP_ARN"
expect Policy.PolicyId         re '^ANPA[A-Z2-7]{12,}$'
expect Policy.DefaultVersionId eq v1

conf_case adm-AttachUserPolicy iam AttachUserPolicy --params '{"UserName": "'"$AU"'", "PolicyArn": "'"$AP_ARN"'"}' \
  --desc 'attached to the user'
expect_success

conf_case adm-CreateVirtualMFADevice iam CreateVirtualMFADevice --params '{"VirtualMFADeviceName": "'"$AU"'"}' \
  --capture MFA_SEED=VirtualMFADevice.Base32StringSeed --capture ADM_MFA_SERIAL=VirtualMFADevice.SerialNumber \
  --desc 'a virtual MFA device (the seed: base64 of base32)'
expect_success
expect VirtualMFADevice.SerialNumber     eq "arn:aws:iam::{ACCOUNT}:mfa/$AU"
expect VirtualMFADevice.Base32StringSeed present

conf_case adm-EnableMFADevice iam EnableMFADevice --before mfa_codes \
  --params '{"UserName": "'"$AU"'", "SerialNumber": "{ADM_MFA_SERIAL}", "AuthenticationCode1": "{MFA_CODE1}", "AuthenticationCode2": "{MFA_CODE2}"}' \
  --desc 'enabled with two consecutive codes (oathtool, previous and current 30-s step)'
expect_success

conf_case adm-ListMFADevices iam ListMFADevices --params '{"UserName": "'"$AU"'"}' \
  --desc 'the device is the user'"'"'s'
expect_success
expect MFADevices.0.SerialNumber eq '{ADM_MFA_SERIAL}'
expect MFADevices.0.UserName     eq "$AU"
expect MFADevices.0.EnableDate   re "$RE_ISO"

conf_case adm-CreateLoginProfile iam CreateLoginProfile \
  --params '{"UserName": "'"$AU"'", "Password": "Conf-{RUN}-pw1!"}' \
  --desc 'a console password meeting the default policy'
expect_success
expect LoginProfile.UserName eq "$AU"
expect LoginProfile.CreateDate re "$RE_ISO"

conf_case adm-CreateAccessKey-1 iam CreateAccessKey --params '{"UserName": "'"$AU"'"}' \
  --capture ADM_AKID1=AccessKey.AccessKeyId --capture ADM_SECRET1=AccessKey.SecretAccessKey \
  --desc 'the first access key'
expect_success
expect AccessKey.AccessKeyId     re '^AKIA[A-Z2-7]{16}$'
expect AccessKey.SecretAccessKey re '^[A-Za-z0-9/+]{40}$'
expect AccessKey.Status          eq Active

conf_case adm-CreateAccessKey-2 iam CreateAccessKey --params '{"UserName": "'"$AU"'"}' \
  --capture ADM_AKID2=AccessKey.AccessKeyId --capture ADM_SECRET2=AccessKey.SecretAccessKey \
  --desc 'the second access key'
expect_success
expect AccessKey.AccessKeyId re '^AKIA[A-Z2-7]{16}$'

conf_case adm-CreateAccessKey-3 iam CreateAccessKey --params '{"UserName": "'"$AU"'"}' \
  --desc 'a third key: over the quota of 2'
expect_error 409 LimitExceeded 'Cannot exceed quota for AccessKeysPerUser: 2'

conf_case adm-key1-GetCallerIdentity sts GetCallerIdentity --akid '{ADM_AKID1}' --secret '{ADM_SECRET1}' \
  --desc "the user's first key"
expect_success
expect Arn    eq "arn:aws:iam::{ACCOUNT}:user/$AU"
expect UserId eq '{ADM_USER_ID}'

conf_case adm-key2-GetCallerIdentity sts GetCallerIdentity --akid '{ADM_AKID2}' --secret '{ADM_SECRET2}' \
  --desc "the user's second key"
expect_success
expect Arn eq "arn:aws:iam::{ACCOUNT}:user/$AU"

conf_case adm-UpdateAccessKey-Inactive iam UpdateAccessKey \
  --params '{"UserName": "'"$AU"'", "AccessKeyId": "{ADM_AKID1}", "Status": "Inactive"}' \
  --desc 'the first key deactivated'
expect_success

conf_case adm-inactive-key sts GetCallerIdentity --akid '{ADM_AKID1}' --secret '{ADM_SECRET1}' \
  --desc 'the inactive key is refused'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

conf_case adm-DeleteAccessKey-2 iam DeleteAccessKey \
  --params '{"UserName": "'"$AU"'", "AccessKeyId": "{ADM_AKID2}"}' \
  --desc 'the second key deleted'
expect_success

conf_case adm-deleted-key sts GetCallerIdentity --akid '{ADM_AKID2}' --secret '{ADM_SECRET2}' \
  --desc 'the deleted key is refused'
expect_error 403 InvalidClientTokenId "$MSG_INVALID_TOKEN"

conf_case adm-ListAccessKeys iam ListAccessKeys --params '{"UserName": "'"$AU"'"}' \
  --desc 'the inactive key remains (and counts)'
expect_success
expect AccessKeyMetadata.0.AccessKeyId eq '{ADM_AKID1}'
expect AccessKeyMetadata.0.Status      eq Inactive
expect AccessKeyMetadata.1.AccessKeyId absent

# DeleteUser while the user has an (inactive) key, a managed policy, a group, a login
# profile and an MFA device: the server names the first in its order (access keys).
conf_case adm-DeleteUser-conflict iam DeleteUser --params '{"UserName": "'"$AU"'"}' \
  --desc 'DeleteUser with every kind of dependent'
expect_error 409 DeleteConflict 'Cannot delete entity, must delete access keys first.'
expect Message re '^Cannot delete entity, must '

# Clean up, and DeleteUser once more when only the MFA device is left.
conf_case adm-DeleteAccessKey-1 iam DeleteAccessKey \
  --params '{"UserName": "'"$AU"'", "AccessKeyId": "{ADM_AKID1}"}' --desc 'clean-up: the first key'
expect_success
conf_case adm-DetachUserPolicy iam DetachUserPolicy --params '{"UserName": "'"$AU"'", "PolicyArn": "'"$AP_ARN"'"}' \
  --desc 'clean-up: detach the policy'
expect_success
conf_case adm-RemoveUserFromGroup iam RemoveUserFromGroup --params '{"GroupName": "'"$AG"'", "UserName": "'"$AU"'"}' \
  --desc 'clean-up: leave the group'
expect_success
conf_case adm-DeleteLoginProfile iam DeleteLoginProfile --params '{"UserName": "'"$AU"'"}' \
  --desc 'clean-up: the login profile'
expect_success
conf_case adm-DeleteUser-mfa-conflict iam DeleteUser --params '{"UserName": "'"$AU"'"}' \
  --desc 'DeleteUser with only the MFA device left'
expect_error 409 DeleteConflict 'Cannot delete entity, must delete MFA device first.'
conf_case adm-DeactivateMFADevice iam DeactivateMFADevice \
  --params '{"UserName": "'"$AU"'", "SerialNumber": "{ADM_MFA_SERIAL}"}' --desc 'clean-up: deactivate the device'
expect_success
conf_case adm-DeleteVirtualMFADevice iam DeleteVirtualMFADevice --params '{"SerialNumber": "{ADM_MFA_SERIAL}"}' \
  --desc 'clean-up: delete the device'
expect_success
conf_case adm-DeleteUser iam DeleteUser --params '{"UserName": "'"$AU"'"}' --desc 'clean-up: the user'
expect_success
conf_case adm-DeleteGroup iam DeleteGroup --params '{"GroupName": "'"$AG"'"}' --desc 'clean-up: the group'
expect_success
conf_case adm-DeletePolicy iam DeletePolicy --params '{"PolicyArn": "'"$AP_ARN"'"}' --desc 'clean-up: the policy'
expect_success
conf_case adm-DeleteRole iam DeleteRole --params '{"RoleName": "'"$AR"'"}' --desc 'clean-up: the role'
expect_success
