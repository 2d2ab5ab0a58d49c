# shellcheck shell=bash
# AWS's exact texts shared by the case files (../shared/reference/aws-reference.md §3.1).

MSG_SIGNATURE='The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
MSG_INVALID_TOKEN='The security token included in the request is invalid.'
MSG_MISSING_AUTH='Request is missing Authentication Token'
TS='[0-9]{8}T[0-9]{6}Z' # an X-Amz-Date in a message
