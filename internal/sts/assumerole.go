package sts

import (
	"bytes"
	"compress/flate"
	"context"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/policy"
)

// Role is a role as AssumeRole needs it.
type Role struct {
	ARN                string
	ID                 string // AROA…
	Name               string
	AccountID          string
	MaxSessionDuration time.Duration
	Tags               []identity.Tag
	Trust              *policy.Policy
}

// RoleFinder finds a role by ARN. A role that does not exist is any error
// wrapping awserr.NoSuchEntity; STS turns it into AccessDenied, as AWS
// does not reveal whether a role exists.
type RoleFinder interface {
	FindRole(ctx context.Context, arn string) (*Role, error)
}

// TrustEvaluator evaluates a call against the caller's policies plus a
// resource (trust) policy.
type TrustEvaluator interface {
	Evaluate(ctx context.Context, call *identity.Call, c *authz.Check) error
}

// SessionPolicies compiles the session policies passed to AssumeRole*.
type SessionPolicies interface {
	SessionPolicy(ctx context.Context, arn string) (*policy.Policy, error)
	CompileSessionPolicy(doc string) (*policy.Policy, error)
}

// Tag is a session tag in a request.
type Tag struct {
	Key   string
	Value string
}

// PolicyDescriptor names a managed session policy.
type PolicyDescriptor struct {
	Arn string `query:"arn"`
}

// AssumeRoleInput is the input of AssumeRole.
type AssumeRoleInput struct {
	RoleArn           string
	RoleSessionName   string
	PolicyArns        []PolicyDescriptor
	Policy            *string
	DurationSeconds   *int32
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalID        string `query:"ExternalId"`
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
}

// AssumedRoleUser names the session.
type AssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId" json:"AssumedRoleId"`
	Arn           string
}

// AssumeRoleOutput is the result of AssumeRole.
type AssumeRoleOutput struct {
	Credentials      *Credentials
	AssumedRoleUser  *AssumedRoleUser
	PackedPolicySize *int   `xml:",omitempty" json:",omitempty"`
	SourceIdentity   string `xml:",omitempty" json:",omitempty"`
}

// packedAllowance is the packed-size budget that PackedPolicySize is a
// percentage of: session policies and tags are compressed together, as AWS
// does, and must fit.
const packedAllowance = 1024

// AssumeRole issues credentials for a role session after the role's trust
// policy (and, for principals named only through their account, their own
// identity policies) allow the caller.
func (s *Service) AssumeRole(ctx context.Context, call *identity.Call, in *AssumeRoleInput) (*AssumeRoleOutput, error) {
	p := call.Caller
	now := call.Time.UTC().Truncate(time.Second)
	denied := awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, in.RoleArn)
	role, err := s.roles.FindRole(ctx, in.RoleArn)
	if err != nil {
		if awsErr, ok := awserr.As(err); ok && awsErr.Code == awserr.NoSuchEntity {
			return nil, denied.WithCause(err)
		}
		return nil, err
	}
	// Request shape rules, before the trust policy.
	if err := checkTags(in.Tags, in.TransitiveTagKeys, p.Session); err != nil {
		return nil, err
	}
	chained := p.Session != nil && p.Session.RoleARN != ""
	d := duration(in.DurationSeconds, defaultRoleSession)
	if in.DurationSeconds != nil {
		if chained && d > chainedRoleSession {
			return nil, awserr.Errorf(awserr.ValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		if d > role.MaxSessionDuration {
			return nil, awserr.Errorf(awserr.ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
	}
	if strings.HasPrefix(strings.ToLower(in.SourceIdentity), "aws:") {
		return nil, awserr.Errorf(awserr.ValidationError, "1 validation error detected: Value '%s' at 'sourceIdentity' failed to satisfy constraint: Member must not start with 'aws:'", in.SourceIdentity)
	}
	sourceIdentity := in.SourceIdentity
	if p.Session != nil && p.Session.SourceIdentity != "" {
		if in.SourceIdentity != "" && in.SourceIdentity != p.Session.SourceIdentity {
			return nil, awserr.Errorf(awserr.AccessDenied, "The source identity %s cannot be changed: it was set to %s earlier in the role chain.", in.SourceIdentity, p.Session.SourceIdentity)
		}
		sourceIdentity = p.Session.SourceIdentity
	}

	sess := &identity.Session{
		Issuer:      "AssumeRole",
		Origins:     originsOf(p),
		AccountID:   role.AccountID,
		PrincipalID: role.ID,
		RoleARN:     role.ARN,
		RoleName:    role.Name,
		RoleID:      role.ID,
		SessionName: in.RoleSessionName,
		IssuedAt:    now,
		Region:      call.Region,
	}
	if err := s.checkMFA(ctx, call, in.SerialNumber, in.TokenCode, sess); err != nil {
		return nil, err
	}

	// The trust policy sees the caller's context plus the request's.
	extra := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalID != "" {
		extra["sts:ExternalId"] = []string{in.ExternalID}
	}
	if sourceIdentity != "" {
		extra["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	if sess.MFA {
		extra["aws:MultiFactorAuthPresent"] = []string{"true"}
		extra["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	for _, t := range in.Tags {
		extra["aws:RequestTag/"+t.Key] = []string{t.Value}
		extra["aws:TagKeys"] = append(extra["aws:TagKeys"], t.Key)
	}
	if len(in.TransitiveTagKeys) > 0 {
		extra["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	// The role's tags are iam:ResourceTag/* (and aws:ResourceTag/*), as the
	// Service Authorization Reference lists for sts:AssumeRole.
	for _, t := range role.Tags {
		extra["iam:ResourceTag/"+t.Key] = []string{t.Value}
		extra["aws:ResourceTag/"+t.Key] = []string{t.Value}
	}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" && (p.Session == nil || p.Session.SourceIdentity == "") {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		c := &authz.Check{Action: action, Resource: role.ARN, Extra: extra, ResourcePolicy: role.Trust, CrossAccount: role.AccountID != p.AccountID}
		if err := s.trust.Evaluate(ctx, call, c); err != nil {
			if e, ok := awserr.As(err); ok && e.Code == awserr.AccessDenied {
				// AWS answers AssumeRole denials in the classic form.
				return nil, awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, role.ARN).
					WithAuthorizationMessage(e.AuthorizationMessage)
			}
			return nil, err
		}
	}

	// Session policies, validated and measured.
	packed, err := s.sessionPolicies(ctx, in.Policy, in.PolicyArns, in.Tags, sess)
	if err != nil {
		return nil, err
	}

	// Tags: the role's, then transitive ones from the calling session, then
	// the request's (session tags override principal tags with the same key).
	sess.Tags = mergeTags(role.Tags, inheritedTransitive(p.Session), in.Tags)
	sess.TransitiveTagKeys = append(inheritedTransitiveKeys(p.Session), in.TransitiveTagKeys...)
	sess.SourceIdentity = sourceIdentity
	if chained {
		sess.ChainDepth = p.Session.ChainDepth + 1
	}
	sess.Expires = now.Add(d)
	sess.TokenVersion = s.tokenVersion(ctx, call, sess.AccountID)
	creds, err := s.issue(sess)
	if err != nil {
		return nil, err
	}
	out := &AssumeRoleOutput{
		Credentials:     creds,
		AssumedRoleUser: &AssumedRoleUser{AssumedRoleID: role.ID + ":" + in.RoleSessionName, Arn: "arn:aws:sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + in.RoleSessionName},
		SourceIdentity:  sourceIdentity,
	}
	if in.Policy != nil || len(in.PolicyArns) > 0 || len(in.Tags) > 0 {
		out.PackedPolicySize = &packed
	}
	return out, nil
}

// sessionPolicies validates the inline and managed session policies, records
// them in sess and returns the packed size (percent of the allowance).
func (s *Service) sessionPolicies(ctx context.Context, doc *string, arns []PolicyDescriptor, tags []Tag, sess *identity.Session) (int, error) {
	var packed bytes.Buffer
	if doc != nil {
		if _, err := policy.Parse(*doc, policy.Session); err != nil {
			return 0, err
		}
		sess.Policy = *doc
		sess.HasSessionPolicy = true
		packed.WriteString(compact(*doc))
	}
	for _, a := range arns {
		if _, err := s.policies.SessionPolicy(ctx, a.Arn); err != nil {
			return 0, err
		}
		sess.PolicyARNs = append(sess.PolicyARNs, a.Arn)
		sess.HasSessionPolicy = true
		packed.WriteString(a.Arn)
	}
	for _, t := range tags {
		packed.WriteString(t.Key)
		packed.WriteString(t.Value)
	}
	size := packedSize(packed.Bytes())
	if size > 100 {
		return 0, awserr.Errorf(awserr.PackedPolicyTooLarge, "Packed policy consumes %d%% of allotted space, please use smaller policy.", size)
	}
	return size, nil
}

// packedSize is the percentage of the allowance the compressed session data uses.
func packedSize(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return (out.Len()*100 + packedAllowance - 1) / packedAllowance
}

// compact drops insignificant whitespace, as AWS's packing does.
func compact(doc string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range doc {
		switch {
		case inString:
			b.WriteRune(r)
			if escaped {
				escaped = false
			} else if r == '\\' {
				escaped = true
			} else if r == '"' {
				inString = false
			}
		case r == '"':
			inString = true
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkTags applies AWS's session-tag rules.
func checkTags(tags []Tag, transitive []string, caller *identity.Session) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return awserr.Errorf(awserr.InvalidParameterValue, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return awserr.Errorf(awserr.InvalidParameterValue, "The specified transitive tag key must be included in the requested tags.")
		}
	}
	for _, k := range inheritedTransitiveKeys(caller) {
		if seen[strings.ToLower(k)] {
			return awserr.Errorf(awserr.InvalidParameterValue, "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
		}
	}
	return nil
}

func inheritedTransitiveKeys(s *identity.Session) []string {
	if s == nil {
		return nil
	}
	return s.TransitiveTagKeys
}

func inheritedTransitive(s *identity.Session) []identity.Tag {
	if s == nil || len(s.TransitiveTagKeys) == 0 {
		return nil
	}
	var out []identity.Tag
	for _, t := range s.Tags {
		for _, k := range s.TransitiveTagKeys {
			if strings.EqualFold(t.Key, k) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// mergeTags layers tag sets; a later layer replaces a key (case-insensitively).
func mergeTags(role, inherited []identity.Tag, request []Tag) []identity.Tag {
	var out []identity.Tag
	set := func(t identity.Tag) {
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				return
			}
		}
		out = append(out, t)
	}
	for _, t := range role {
		set(t)
	}
	for _, t := range inherited {
		set(t)
	}
	for _, t := range request {
		set(identity.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}
