package policy

import "strings"

// AccessDeniedMessage returns AWS's AccessDenied message for a denied
// request, for example
//
//	User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/alice because no identity-based policy allows the iam:CreateUser action
//	User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/alice with an explicit deny in an identity-based policy
//
// The "on resource:" part is left out when resource is empty. For
// sts:AssumeRole* AWS gives no reason (the trust-policy form):
//
//	User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/admin
//
// An empty principal is written "anonymous".
func AccessDeniedMessage(principal, action, resource string, r Result) string {
	if principal == "" {
		principal = "anonymous"
	}
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(principal)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "" {
		b.WriteString(" on resource: ")
		b.WriteString(resource)
	}
	if strings.HasPrefix(strings.ToLower(action), "sts:assumerole") {
		return b.String()
	}
	t := r.Type
	if t == NoPolicy {
		t = IdentityBased
	}
	switch r.Decision {
	case ExplicitDeny:
		b.WriteString(" with an explicit deny in ")
		b.WriteString(policyTypeArticles[t])
		b.WriteString(" ")
		b.WriteString(t.String())
	case ImplicitDeny:
		b.WriteString(" because no ")
		b.WriteString(t.String())
		b.WriteString(" allows the ")
		b.WriteString(action)
		b.WriteString(" action")
	default:
		return ""
	}
	return b.String()
}
