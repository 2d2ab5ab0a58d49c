package policy

import (
	"strconv"
	"time"
)

// Global condition keys the server puts in a request's [Context]
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
// Key names are case-insensitive; these are AWS's spellings.
const (
	KeyUsername               = "aws:username"               // IAM users only
	KeyUserID                 = "aws:userid"                 // GetCallerIdentity's UserId
	KeyPrincipalArn           = "aws:PrincipalArn"           // the role ARN for role sessions
	KeyPrincipalAccount       = "aws:PrincipalAccount"       // 12-digit account id
	KeyPrincipalType          = "aws:PrincipalType"          // see the PrincipalType constants
	KeyPrincipalTagPrefix     = "aws:PrincipalTag/"          // + tag key; principal and session tags
	KeySourceIP               = "aws:SourceIp"               // caller's IP address
	KeyCurrentTime            = "aws:CurrentTime"            // [FormatTime]
	KeyEpochTime              = "aws:EpochTime"              // [FormatEpoch]
	KeySecureTransport        = "aws:SecureTransport"        // "true" or "false"
	KeyMultiFactorAuthPresent = "aws:MultiFactorAuthPresent" // temporary credentials only
	KeyMultiFactorAuthAge     = "aws:MultiFactorAuthAge"     // seconds since MFA; only if MFA was used
	KeyTokenIssueTime         = "aws:TokenIssueTime"         // temporary credentials only
	KeyRequestedRegion        = "aws:RequestedRegion"        // "us-east-1" for IAM
	KeyUserAgent              = "aws:UserAgent"              // User-Agent header
	KeySourceIdentity         = "aws:SourceIdentity"         // set by sts:SetSourceIdentity
	KeyRequestTagPrefix       = "aws:RequestTag/"            // + tag key; tags in the request
	KeyTagKeys                = "aws:TagKeys"                // multivalued: tag keys in the request
	KeyResourceTagPrefix      = "aws:ResourceTag/"           // + tag key; tags on the resource
	KeyExternalID             = "sts:ExternalId"             // AssumeRole ExternalId
	KeyRoleSessionName        = "sts:RoleSessionName"        // AssumeRole RoleSessionName
	KeySTSSourceIdentity      = "sts:SourceIdentity"         // AssumeRole SourceIdentity
	KeyTransitiveTagKeys      = "sts:TransitiveTagKeys"      // multivalued
)

// Values of aws:PrincipalType.
const (
	PrincipalTypeUser          = "User"
	PrincipalTypeAssumedRole   = "AssumedRole"
	PrincipalTypeFederatedUser = "FederatedUser"
	PrincipalTypeAccount       = "Account" // the root user
	PrincipalTypeAnonymous     = "Anonymous"
)

// FormatTime formats t as AWS writes date keys such as aws:CurrentTime
// and aws:TokenIssueTime: ISO 8601 in UTC, to the second.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// FormatEpoch formats t as aws:EpochTime: seconds since the Unix epoch.
func FormatEpoch(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// SetTags sets one key per tag, prefix + tag key (for example
// [KeyPrincipalTagPrefix]), each with the tag's value.
func (m ContextMap) SetTags(prefix string, tags map[string]string) {
	for k, v := range tags {
		m.Set(prefix+k, v)
	}
}
