# shellcheck shell=bash
# Issue 7: CloudTrail LookupEvents on the JSON 1.1 protocol through the clients that
# have a CloudTrail client (the CLIs and boto3; curl speaks only the query protocol
# here, and the JS driver bundles only STS and IAM). The event is found by the user
# it names, and CloudTrailEvent is the record's JSON text.
U='ct-{CLIENT}-{RUN}'
CT_CLIENTS='aws-v1 aws-v2 boto3'

conf_case ct-CreateUser iam CreateUser --params '{"UserName": "'"$U"'"}' --clients "$CT_CLIENTS" \
  --desc 'a mutating call for the trail'
expect_success

conf_case ct-LookupEvents cloudtrail LookupEvents --clients "$CT_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": "'"$U"'"}], "MaxResults": 5}' \
  --desc 'lookup-events by ResourceName finds the CreateUser event'
expect_success
expect Events.0.EventName                 eq CreateUser
expect Events.0.EventSource               eq iam.amazonaws.com
expect Events.0.ReadOnly                  eq false
expect Events.0.Username                  eq root
expect Events.0.Resources.0.ResourceType  eq AWS::IAM::User
expect Events.0.Resources.0.ResourceName  eq "$U"
expect Events.0.CloudTrailEvent           re '"eventName":"CreateUser".*"requestParameters":\{"userName":"ct-'
expect Events.1.EventName                 absent

conf_case ct-LookupEvents-unknown-key cloudtrail LookupEvents --clients "$CT_CLIENTS" \
  --akid '{UNKNOWN_AKID}' --secret '{BAD_SECRET}' \
  --desc 'an unknown key: the JSON protocol form of InvalidClientTokenId'
expect_error 400 UnrecognizedClientException 'The security token included in the request is invalid'

conf_case ct-LookupEvents-two-attributes cloudtrail LookupEvents --clients "$CT_CLIENTS" \
  --params '{"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]}' \
  --desc 'CloudTrail takes one lookup attribute'
expect_error 400 InvalidLookupAttributesException 'You can specify only one lookup attribute.'

conf_case ct-DeleteUser iam DeleteUser --params '{"UserName": "'"$U"'"}' --clients "$CT_CLIENTS" \
  --desc 'clean-up: delete the user'
expect_success
