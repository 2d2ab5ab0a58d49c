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
	Key   string `json:"k"`
	Value string `json:"v"`
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
// Its JSON names are short and empty fields are left out: the token travels
// in every request it signs, and the sealed format is versioned by the
// token package, so the names are part of that format.
type Session struct {
	// Issuer is the STS API that created the session: GetSessionToken,
	// AssumeRole, AssumeRoleWithWebIdentity, GetFederationToken.
	Issuer string `json:"is,omitempty"`
	// AccountID and PrincipalID say whose identity the session derives from.
	AccountID   string `json:"a,omitempty"`
	PrincipalID string `json:"p,omitempty"`  // AIDA… (user), account id (root), AROA… (role), ACCT:name (federated)
	UserName    string `json:"un,omitempty"` // IAM user name for GetSessionToken of a user
	UserARN     string `json:"ua,omitempty"` // that user's ARN
	RoleARN     string `json:"ra,omitempty"`
	RoleName    string `json:"rn,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	SessionName string `json:"sn,omitempty"`
	// FederatedName is GetFederationToken's Name.
	FederatedName string `json:"fn,omitempty"`
	// WebIdentity carries the claims of AssumeRoleWithWebIdentity.
	WebIdentityProvider string `json:"wp,omitempty"`
	WebIdentitySubject  string `json:"ws,omitempty"`
	WebIdentityAudience string `json:"wa,omitempty"`

	SourceIdentity    string    `json:"si,omitempty"`
	Policy            string    `json:"po,omitempty"` // inline session policy, verbatim
	PolicyARNs        []string  `json:"pa,omitempty"` // managed session policies
	HasSessionPolicy  bool      `json:"hp,omitempty"` // a session policy was passed (even if it allows nothing)
	Tags              []Tag     `json:"t,omitempty"`
	TransitiveTagKeys []string  `json:"tt,omitempty"`
	MFA               bool      `json:"m,omitempty"`
	MFAAuthTime       time.Time `json:"mt,omitzero"`
	IssuedAt          time.Time `json:"ia,omitzero"`
	Expires           time.Time `json:"ex,omitzero"`
	Region            string    `json:"r,omitempty"`
	// TokenVersion is 1 for global-endpoint tokens (refused in opt-in
	// regions) and 2 for tokens valid everywhere.
	TokenVersion int `json:"v,omitempty"`
	ChainDepth   int `json:"cd,omitempty"`
	// Origins are the principal ARNs (user, root, role) whose credentials
	// led to this session, outermost first: the caller of the issuing API
	// and, for a chained session, its caller's origins. Revoking any of
	// them revokes this session.
	Origins []string `json:"og,omitempty"`
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
