package policy

import (
	"slices"
	"strings"
)

// Principal describes the caller of a request, for matching the Principal
// and NotPrincipal elements of resource-based and trust policies.
type Principal struct {
	// ARN is the caller as AWS names it in AccessDenied messages and
	// GetCallerIdentity: an IAM user ARN, an assumed-role session ARN
	// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION), a federated-user ARN,
	// or the account root ARN (arn:aws:iam::ACCT:root). Empty for an
	// anonymous caller.
	ARN string
	// RoleARN is, for an assumed-role session, the ARN of the role with its
	// path (the aws:PrincipalArn value); for a federated-user session
	// (GetFederationToken), the ARN of the IAM user who federated. A trust
	// or resource policy that names it matches the session, limited by the
	// boundary and session policies as AWS documents.
	RoleARN string
	// Account is the caller's account id. When empty it is taken from ARN.
	Account string
	// Federated is the identity provider of a web-identity or SAML caller:
	// an oidc-provider or saml-provider ARN, or a host such as
	// "accounts.google.com". It matches "Federated" principals.
	Federated string
	// Service is set when an AWS service principal (for example
	// "ec2.amazonaws.com") is the caller. It matches "Service" principals.
	Service string
	// CanonicalUser is the caller's canonical user id, if any.
	CanonicalUser string
}

// isSession reports a temporary-session caller (assumed role or federated
// user).
func (p *Principal) isSession() bool {
	return p.RoleARN != "" || strings.Contains(p.ARN, ":assumed-role/") || strings.Contains(p.ARN, ":federated-user/")
}

// account returns the caller's account id.
func (p *Principal) account() string {
	if p.Account != "" {
		return p.Account
	}
	return arnAccount(p.ARN)
}

// arnAccount returns the fifth field of an ARN without allocating.
func arnAccount(s string) string {
	start := 0
	for f := 0; f < 4; f++ {
		i := strings.IndexByte(s[start:], ':')
		if i < 0 {
			return ""
		}
		start += i + 1
	}
	end := strings.IndexByte(s[start:], ':')
	if end < 0 {
		return ""
	}
	return s[start : start+end]
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	all       bool     // "*" or {"AWS":"*"}
	accounts  []string // 12-digit ids, from "ACCT" or "arn:…:iam::ACCT:root"
	arns      []string // user, role, session and federated-user ARNs
	federated []string
	service   []string
	canonical []string
}

// principalMatch says which entry matched; the evaluation rules for
// resource-based policies depend on it.
type principalMatch uint8

const (
	pmNone       principalMatch = iota
	pmAll                       // "*"
	pmAccount                   // account id or root ARN
	pmRole                      // the role ARN of an assumed-role session
	pmDirect                    // the caller's own ARN (user, session, federated user)
	pmService                   // a service principal
	pmFederated                 // an identity provider
	pmAllSession                // "*" matching a role session
)

func compilePrincipal(v *jvalue) *principalSet {
	ps := &principalSet{}
	if v.kind == jString {
		ps.all = true
		return ps
	}
	for _, m := range v.obj {
		l, _ := stringList(&m.val)
		for _, s := range l {
			switch m.name {
			case "AWS":
				switch {
				case s == "*":
					ps.all = true
				case isAccountID(s):
					ps.accounts = append(ps.accounts, s)
				case strings.HasSuffix(s, ":root") && isAccountID(arnAccount(s)):
					ps.accounts = append(ps.accounts, arnAccount(s))
				default:
					ps.arns = append(ps.arns, s)
				}
			case "Federated":
				ps.federated = append(ps.federated, s)
			case "Service":
				if s == "*" {
					ps.all = true
				}
				ps.service = append(ps.service, s)
			case "CanonicalUser":
				ps.canonical = append(ps.canonical, s)
			}
		}
	}
	return ps
}

// match reports how p matches the set.
func (ps *principalSet) match(p *Principal) principalMatch {
	if ps.all {
		return pmAll
	}
	if p.ARN != "" {
		for _, a := range ps.arns {
			if a == p.ARN {
				return pmDirect
			}
		}
	}
	if p.RoleARN != "" {
		for _, a := range ps.arns {
			if a == p.RoleARN {
				return pmRole
			}
		}
	}
	if acct := p.account(); acct != "" && p.Service == "" && p.Federated == "" {
		for _, a := range ps.accounts {
			if a == acct {
				return pmAccount
			}
		}
	}
	if p.Federated != "" {
		for _, f := range ps.federated {
			if f == p.Federated {
				return pmFederated
			}
		}
	}
	if p.Service != "" {
		for _, s := range ps.service {
			if s == p.Service {
				return pmService
			}
		}
	}
	if p.CanonicalUser != "" {
		for _, c := range ps.canonical {
			if c == p.CanonicalUser {
				return pmDirect
			}
		}
	}
	return pmNone
}

// PrincipalARNs returns the user and role ARNs named in the policy's
// Principal and NotPrincipal "AWS" entries, in document order, without
// duplicates. IAM checks at write time that they exist (see
// [InvalidPrincipalError]).
func (p *Policy) PrincipalARNs() []string {
	var out []string
	for i := range p.stmts {
		ps := p.stmts[i].principal
		if ps == nil {
			continue
		}
		for _, a := range ps.arns {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// InvalidPrincipalError returns AWS's MalformedPolicyDocument error for a
// principal that does not exist, for example
// `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/nobody"`.
func InvalidPrincipalError(principal string) *Error {
	return malformed(`Invalid principal in policy: "AWS":"` + principal + `"`)
}
