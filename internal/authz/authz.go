// Package authz authorises every authenticated call with the IAM policy
// engine: it names the action and resource AWS uses for the operation,
// builds the request context (aws:*, sts:* condition keys), gathers the
// caller's identity policies, permissions boundary and session policies
// (internal/perm, the loader IAM's simulator uses too), and evaluates them
// with the policy package. A denial becomes AWS's
// AccessDenied with the exact message form, plus an encoded authorization
// message that explains it.
package authz

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/perm"
	"github.com/castellan-sts/castellan/policy"
)

// Policies is where the caller's policies come from (the IAM service).
type Policies = perm.Principals

// Sealer seals authorization messages.
type Sealer interface {
	SealMessage(plaintext []byte) (string, error)
}

// Authorizer evaluates calls against IAM policies.
type Authorizer struct {
	policies Policies
	sealer   Sealer
	log      *slog.Logger
}

// New returns an Authorizer.
func New(p Policies, s Sealer, log *slog.Logger) *Authorizer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{policies: p, sealer: s, log: log}
}

// Params reads a request parameter by its query name ("" when absent).
type Params func(name string) string

// Check is one authorisation question.
type Check struct {
	Action   string // "iam:CreateUser"
	Resource string // ARN, or "*"
	// Extra condition keys of the operation (sts:ExternalId, aws:RequestTag/…).
	Extra map[string][]string
	// Resource-based or trust policy, if the resource has one.
	ResourcePolicy *policy.Policy
	// CrossAccount when the resource is in another account.
	CrossAccount bool
	// ResourceAccount is the resource's account (for messages); optional.
}

// Input gathers the policies that apply to the caller.
func (a *Authorizer) Input(ctx context.Context, p *identity.Principal) (*policy.Input, error) {
	return perm.Input(ctx, a.policies, p)
}

// PolicyPrincipal describes the caller for Principal matching.
func PolicyPrincipal(p *identity.Principal) policy.Principal {
	pp := policy.Principal{ARN: p.ARN, Account: p.AccountID}
	if p.Session != nil && p.Session.RoleARN != "" {
		pp.RoleARN = p.Session.RoleARN
	}
	if p.Type == identity.WebIdentityUser && p.Session != nil {
		pp.Federated = p.Session.WebIdentityProvider
		pp.ARN = ""
	}
	return pp
}

// Context builds the global condition keys of a call (reference §5.3).
func Context(call *identity.Call, extra map[string][]string) policy.ContextMap {
	p := call.Caller
	m := policy.ContextMap{}
	now := call.Time.UTC()
	m.Set("aws:CurrentTime", now.Format(time.RFC3339))
	m.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	m.Set("aws:SecureTransport", strconv.FormatBool(call.SecureTransport))
	if call.SourceIP != "" {
		m.Set("aws:SourceIp", call.SourceIP)
	}
	if call.UserAgent != "" {
		m.Set("aws:UserAgent", call.UserAgent)
	}
	if call.Region != "" {
		m.Set("aws:RequestedRegion", call.Region)
	}
	if p != nil {
		m.Set("aws:PrincipalArn", p.PrincipalARN)
		m.Set("aws:PrincipalAccount", p.AccountID)
		m.Set("aws:userid", p.UserID)
		m.Set("aws:PrincipalType", principalType(p))
		if p.Type == identity.IAMUser && p.UserName != "" {
			m.Set("aws:username", p.UserName)
		}
		for _, t := range p.Tags {
			m.Set("aws:PrincipalTag/"+t.Key, t.Value)
		}
		if s := p.Session; s != nil {
			m.Set("aws:TokenIssueTime", s.IssuedAt.UTC().Format(time.RFC3339))
			m.Set("aws:MultiFactorAuthPresent", strconv.FormatBool(s.MFA))
			if s.MFA {
				m.Set("aws:MultiFactorAuthAge", strconv.FormatInt(int64(now.Sub(s.MFAAuthTime)/time.Second), 10))
			}
			if s.SourceIdentity != "" {
				m.Set("aws:SourceIdentity", s.SourceIdentity)
			}
		}
	}
	for k, v := range extra {
		m.Set(k, v...)
	}
	return m
}

func principalType(p *identity.Principal) string {
	switch p.Type {
	case identity.Root:
		return "Account"
	case identity.IAMUser:
		return "User"
	case identity.AssumedRole, identity.WebIdentityUser:
		return "AssumedRole"
	case identity.FederatedUser:
		return "FederatedUser"
	}
	return "Anonymous"
}

// Evaluate decides a check for a call and returns nil or AWS's AccessDenied
// (with the encoded explanation attached).
func (a *Authorizer) Evaluate(ctx context.Context, call *identity.Call, c *Check) error {
	in, err := a.Input(ctx, call.Caller)
	if err != nil {
		return err
	}
	in.Resource = c.ResourcePolicy
	in.CrossAccount = c.CrossAccount
	req := &policy.Request{
		Principal: PolicyPrincipal(call.Caller),
		Action:    c.Action,
		Resource:  c.Resource,
		Context:   Context(call, c.Extra),
	}
	res := policy.Evaluate(req, in)
	if res.Allowed() {
		return nil
	}
	return a.deny(ctx, call, req, in, res)
}

// Message is the decoded form of an encoded authorization message, as
// DecodeAuthorizationMessage returns it.
type Message struct {
	Allowed      bool                `json:"allowed"`
	ExplicitDeny bool                `json:"explicitDeny"`
	MatchedStmts *policy.Explanation `json:"matchedStatements"`
	Failures     []string            `json:"failures,omitempty"`
	Context      MessageContext      `json:"context"`
	// Policies names the policies the indexes refer to (policynames.go).
	Policies *MessagePolicies `json:"policies,omitempty"`
}

// MessageContext is the request part of a Message.
type MessageContext struct {
	Principal  MessagePrincipal    `json:"principal"`
	Action     string              `json:"action"`
	Resource   string              `json:"resource"`
	Conditions map[string][]string `json:"conditions"`
}

// MessagePrincipal names the caller in a Message.
type MessagePrincipal struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
}

func (a *Authorizer) deny(ctx context.Context, call *identity.Call, req *policy.Request, in *policy.Input, res policy.Result) error {
	e := awserr.Errorf(awserr.AccessDenied, "%s", policy.AccessDeniedMessage(call.Caller.ARN, req.Action, req.Resource, res))
	if a.sealer == nil {
		return e
	}
	_, expl := policy.Explain(req, in)
	msg := Message{
		Allowed:      false,
		ExplicitDeny: res.Decision == policy.ExplicitDeny,
		MatchedStmts: expl,
		Context: MessageContext{
			Principal:  MessagePrincipal{ID: call.Caller.UserID, ARN: call.Caller.ARN},
			Action:     req.Action,
			Resource:   req.Resource,
			Conditions: contextForMessage(req.Context),
		},
		Policies: a.messagePolicies(ctx, call.Caller, in),
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return e
	}
	sealed, err := a.sealer.SealMessage(b)
	if err != nil {
		a.log.Warn("sealing authorization message", "err", err)
		return e
	}
	return e.WithAuthorizationMessage(sealed)
}

func contextForMessage(c policy.Context) map[string][]string {
	m, ok := c.(policy.ContextMap)
	if !ok {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		if strings.EqualFold(k, "aws:useragent") {
			continue
		}
		out[k] = v
	}
	return out
}
