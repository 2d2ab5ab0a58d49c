package policy

import (
	"net/url"
	"strings"
)

// Kind says where a document is used. Validation rules and size quotas
// differ by kind; evaluation does not depend on it, except that a [Trust]
// policy given as [Input.Resource] is evaluated with trust-policy rules.
type Kind int

const (
	// Identity is a managed policy (CreatePolicy, CreatePolicyVersion):
	// no Principal, Version 2012-10-17 required.
	Identity Kind = iota
	// Resource is a resource-based policy (for example a bucket or key
	// policy): Principal or NotPrincipal required.
	Resource
	// Trust is a role trust policy (AssumeRolePolicyDocument): Principal
	// required; no NotPrincipal, Resource or NotResource; only sts actions.
	Trust
	// Boundary is a managed policy used as a permissions boundary; the same
	// rules as Identity.
	Boundary
	// Session is a session policy passed to AssumeRole*, GetFederationToken:
	// no Principal; Version may be omitted.
	Session
	// InlineUser is a user's inline policy (PutUserPolicy): no Principal;
	// Version may be omitted (then 2008-10-17, without policy variables).
	InlineUser
	// InlineRole is a role's inline policy (PutRolePolicy).
	InlineRole
	// InlineGroup is a group's inline policy (PutGroupPolicy).
	InlineGroup
)

var kindNames = [...]string{"Identity", "Resource", "Trust", "Boundary", "Session", "InlineUser", "InlineRole", "InlineGroup"}

// String returns the kind's name, e.g. "Trust".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + itoa(int(k)) + ")"
}

func (k Kind) identityLike() bool {
	switch k {
	case Identity, Boundary, Session, InlineUser, InlineRole, InlineGroup:
		return true
	}
	return false
}

// Version values of the policy language.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed, validated and compiled policy document. It is
// immutable and safe for concurrent use.
type Policy struct {
	text    string
	kind    Kind
	version string // "" when the document has no Version
	id      string
	stmts   []statement
}

// Text returns the document exactly as it was given to [Parse].
func (p *Policy) Text() string { return p.text }

// URLEncoded returns the document as IAM returns stored documents
// (GetPolicyVersion, GetRolePolicy, Role.AssumeRolePolicyDocument, …):
// percent-encoded per RFC 3986, with spaces as %20.
func (p *Policy) URLEncoded() string { return URLEncode(p.text) }

// URLEncode percent-encodes doc as IAM encodes policy documents in its
// responses: every byte other than the RFC 3986 unreserved characters is
// escaped, and a space becomes %20.
func URLEncode(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the document's Version element ("" when absent).
func (p *Policy) Version() string { return p.version }

// ID returns the document's Id element.
func (p *Policy) ID() string { return p.id }

// NumStatements returns the number of statements in the document.
func (p *Policy) NumStatements() int { return len(p.stmts) }

// Sid returns the Sid of statement i (0-based; "" when it has none).
func (p *Policy) Sid(i int) string { return p.stmts[i].sid }

// Position is a place in a policy document, as IAM's simulator reports
// statement positions (StartPosition, EndPosition): 1-based line and
// column, columns counted in characters.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// StatementPosition returns where statement i (0-based) starts and ends in
// the document: the positions of its opening and closing braces.
func (p *Policy) StatementPosition(i int) (start, end Position) {
	s := &p.stmts[i]
	return position(p.text, s.start), position(p.text, s.end)
}

func position(text string, off int) Position {
	pos := Position{Line: 1, Column: 1}
	for _, r := range text[:off] {
		if r == '\n' {
			pos.Line++
			pos.Column = 1
			continue
		}
		pos.Column++
	}
	return pos
}

// statement is a compiled statement.
type statement struct {
	start, end   int // byte offsets of the statement's braces in the text
	sid          string
	deny         bool
	notAction    bool
	actions      []pattern
	vendors      []string // lower-case literal vendors of actions; nil with anyVendor
	anyVendor    bool     // some action pattern matches several vendors
	notResource  bool
	anyResource  bool // no Resource element (trust policies)
	resources    []pattern
	principal    *principalSet
	notPrincipal bool
	conds        []condition
}
