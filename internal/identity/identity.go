// Package identity describes who is calling: the authenticated principal,
// the temporary session it may carry, and the request facts (region, source
// address, time) that services, policies and the audit trail need. It holds
// data only.
package identity

import (
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
)

// Type is the kind of principal, named as CloudTrail's userIdentity.type.
type Type string

// Principal types.
const (
	Root            Type = "Root"
	IAMUser         Type = "IAMUser"
	AssumedRole     Type = "AssumedRole"
	FederatedUser   Type = "FederatedUser"
	WebIdentityUser Type = "WebIdentityUser"
	Anonymous       Type = "Anonymous"
)

// Tag is a principal or session tag.
type Tag struct {
	Key   string
	Value string
}

// Principal is an authenticated caller.
type Principal struct {
	Type      Type
	AccountID string
	// ARN is the caller's ARN as GetCallerIdentity reports it
	// (arn:aws:iam::ACCT:root, …:user/path/name, arn:aws:sts::ACCT:assumed-role/R/S).
	ARN string
	// UserID is GetCallerIdentity's UserId (account id, AIDA…, AROA…:session, ACCT:name).
	UserID string
	// UserName is the IAM user name for IAMUser principals and for
	// GetSessionToken sessions of users; empty otherwise.
	UserName string
	// PrincipalARN is aws:PrincipalArn: the role ARN for role sessions, the
	// user or root ARN otherwise.
	PrincipalARN string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// Tags are the principal's tags (user or role tags, overridden by session tags).
	Tags []Tag
	// Session is set when the request was signed with temporary credentials.
	Session *Session
}

// IsRoot reports whether p is the account's root user (with long-term or
// session credentials of the root).
func (p *Principal) IsRoot() bool { return p != nil && p.Type == Root }

// Session is the context sealed into a temporary credential's session token.
type Session struct {
	// Issuer is the STS API that created the session: GetSessionToken,
	// AssumeRole, AssumeRoleWithWebIdentity, GetFederationToken.
	Issuer string
	// AccountID and PrincipalID say whose identity the session derives from.
	AccountID   string
	PrincipalID string // AIDA… (user), account id (root), AROA… (role), ACCT:name (federated)
	UserName    string // IAM user name for GetSessionToken of a user
	UserARN     string // that user's ARN
	RoleARN     string
	RoleName    string
	RoleID      string
	SessionName string
	// FederatedName is GetFederationToken's Name.
	FederatedName string
	// WebIdentity carries the claims of AssumeRoleWithWebIdentity.
	WebIdentityProvider string
	WebIdentitySubject  string
	WebIdentityAudience string

	SourceIdentity    string
	Policy            string   // inline session policy, verbatim
	PolicyARNs        []string // managed session policies
	HasSessionPolicy  bool     // a session policy was passed (even if it allows nothing)
	Tags              []Tag
	TransitiveTagKeys []string
	MFA               bool
	MFAAuthTime       time.Time
	IssuedAt          time.Time
	Expires           time.Time
	Region            string
	// TokenVersion is 1 for global-endpoint tokens (refused in opt-in
	// regions) and 2 for tokens valid everywhere.
	TokenVersion int
	ChainDepth   int
	// Secret is the temporary secret access key. It is sealed into the
	// token separately, never marshalled with the session.
	Secret secret.String `json:"-"`
}

// Call is one authenticated request as services see it: who, from where,
// when and in which region.
type Call struct {
	Caller    *Principal
	RequestID string
	Region    string
	SourceIP  string
	UserAgent string
	Time      time.Time
	// SecureTransport is aws:SecureTransport.
	SecureTransport bool
}
