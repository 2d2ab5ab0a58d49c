package policy

import (
	"strings"
	"time"
)

// Context supplies the condition keys of a request (aws:username,
// aws:PrincipalTag/team, aws:CurrentTime, s3:prefix, …). Condition keys
// are case-insensitive: the evaluator always asks with the key in lower
// case, so implementations store lower-case keys. A key with several values
// (aws:TagKeys) returns them all.
type Context interface {
	// Values returns the values of key (lower case). ok is false when the
	// request has no such key.
	Values(key string) (values []string, ok bool)
}

// ContextMap is a [Context] backed by a map whose keys are lower case. Use
// [ContextMap.Set] or [NewContext] to fill it, so keys are normalised.
type ContextMap map[string][]string

// NewContext returns a ContextMap holding kv with its keys lower-cased.
func NewContext(kv map[string][]string) ContextMap {
	m := make(ContextMap, len(kv))
	for k, v := range kv {
		m[strings.ToLower(k)] = v
	}
	return m
}

// Values implements [Context].
func (m ContextMap) Values(key string) ([]string, bool) {
	v, ok := m[key]
	return v, ok
}

// Set sets the values of key, lower-casing the key.
func (m ContextMap) Set(key string, values ...string) {
	m[strings.ToLower(key)] = values
}

// Request is what is being authorised.
type Request struct {
	Principal Principal
	// Action is the service-prefixed action, e.g. "iam:CreateUser".
	Action string
	// Resource is the ARN of the resource acted on ("*" for actions that
	// take none).
	Resource string
	// Context holds the request's condition keys; nil means none.
	Context Context
}

// Input is the set of policies that apply to a request, gathered by the
// caller.
type Input struct {
	// Identity holds the caller's identity-based policies: for an IAM user
	// its inline and attached policies and those of its groups; for a role
	// session, the role's.
	Identity []*Policy
	// Boundary is the caller's permissions boundary; nil means none.
	Boundary *Policy
	// Session holds the session policies of a temporary session (the
	// inline Policy and the PolicyArns passed to AssumeRole*,
	// GetFederationToken). nil means the session has no session policy (a
	// role session then has its role's permissions). A non-nil empty slice
	// means a session whose permissions are limited to nothing, such as a
	// federated user created without a policy: nothing is allowed except
	// by a resource-based policy that names the session.
	Session []*Policy
	// Resource is the resource-based policy of the resource, or the role's
	// trust policy for sts:AssumeRole*; nil means none. A policy parsed as
	// [Trust] is evaluated as a trust policy: it must itself allow the
	// caller.
	Resource *Policy
	// IsRoot says the caller is the root user of its account: allowed
	// everything in its own account unless explicitly denied.
	IsRoot bool
	// CrossAccount says the resource belongs to another account than the
	// caller. Access then needs both the caller's policies and the
	// resource-based (or trust) policy.
	CrossAccount bool
}

// Decision is the outcome of an evaluation.
type Decision uint8

const (
	// ImplicitDeny: no policy allowed the request (the default).
	ImplicitDeny Decision = iota
	// Allow: the request is allowed.
	Allow
	// ExplicitDeny: a Deny statement applied.
	ExplicitDeny
)

// String returns the decision as IAM's simulator names it: "allowed",
// "implicitDeny" or "explicitDeny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// PolicyType says which kind of policy a statement or a decision belongs to.
type PolicyType uint8

const (
	// NoPolicy is the zero PolicyType (an allow of the account root).
	NoPolicy PolicyType = iota
	// IdentityBased: a user's, group's or role's policy.
	IdentityBased
	// ResourceBased: a resource-based or role trust policy.
	ResourceBased
	// PermissionsBoundary: a permissions boundary.
	PermissionsBoundary
	// SessionPolicy: a session policy.
	SessionPolicy
)

var policyTypeNames = [...]string{"", "identity-based policy", "resource-based policy", "permissions boundary", "session policy"}
var policyTypeArticles = [...]string{"", "an", "a", "a", "a"}

// String returns the name AWS uses in AccessDenied messages, e.g.
// "identity-based policy" or "permissions boundary".
func (t PolicyType) String() string {
	if int(t) < len(policyTypeNames) {
		return policyTypeNames[t]
	}
	return ""
}

// StatementRef identifies a statement of the evaluated [Input].
type StatementRef struct {
	Type      PolicyType `json:"-"`
	Policy    int        `json:"policyIndex"`    // index in Input.Identity or Input.Session; 0 for the boundary and resource policy
	Statement int        `json:"statementIndex"` // index in the policy's statements
	Sid       string     `json:"sid,omitempty"`
}

// Result is the outcome of [Evaluate].
type Result struct {
	Decision Decision
	// Type is the policy type that decided: for ExplicitDeny the type of
	// the denying policy; for ImplicitDeny the type that lacked an Allow
	// (the one AWS names in "because no … allows"); for Allow the type
	// whose Allow granted access (NoPolicy for the account root).
	Type PolicyType
	// Statement is the decisive statement: the Deny for ExplicitDeny, the
	// granting Allow for Allow; zero for ImplicitDeny.
	Statement StatementRef
}

// Allowed reports whether the decision is Allow.
func (r Result) Allowed() bool { return r.Decision == Allow }

// Evaluate decides req against the policies in in, following AWS's
// evaluation logic for one account (and its cross-account rule):
//
//  1. A Deny statement that applies, in any policy, is an ExplicitDeny.
//  2. The root user of the account is allowed (same account).
//  3. A role trust policy must itself allow the caller; a cross-account
//     request needs a resource-based policy that allows it.
//  4. A same-account resource-based policy that names the caller (user,
//     session, or "*") allows, whatever the other policies say; one that
//     names the caller's role still needs the boundary and session
//     policies to allow; one that names the account defers to identity
//     policies.
//  5. Otherwise an identity-based policy must allow, and so must the
//     permissions boundary and a session policy when there are any.
//
// sts:GetCallerIdentity is always allowed, as AWS documents. Service and
// resource control policies are not modelled.
//
// Evaluate does not allocate for policies whose variable expansions fit in
// 512 bytes. It is safe for concurrent use.
func Evaluate(req *Request, in *Input) Result {
	e := evaluator{req: req, ctx: req.Context, vendor: vendorOf(req.Action)}
	return e.run(in)
}

// getCallerIdentity is the one action AWS allows whatever the policies say
// ("No permissions are required to perform this operation", STS API
// reference, GetCallerIdentity).
const getCallerIdentity = "sts:GetCallerIdentity"

// evaluator holds one evaluation; tr is nil except for Explain.
type evaluator struct {
	req         *Request
	vendor      string // the request action's service prefix
	ctx         Context
	tr          *trace
	unresolved  bool // a policy variable could not be resolved
	cache       [4]cachedKey
	next        int
	dateRaw     string
	dateVal     time.Time
	dateOK      bool
	hasBoundary bool
}

// vendorOf returns the service prefix of an action ("iam" for
// "iam:CreateUser").
func vendorOf(action string) string {
	if i := strings.IndexByte(action, ':'); i >= 0 {
		return action[:i]
	}
	return action
}

// vendorMatch reports whether the request's service prefix v can match one
// of the statement's actions.
func (s *statement) vendorMatch(v string) bool {
	for _, w := range s.vendors {
		if len(w) == len(v) && asciiEqualFold(w, v) {
			return true
		}
	}
	return false
}

func (e *evaluator) values(key string) ([]string, bool) {
	if e.ctx == nil {
		return nil, false
	}
	// Policies test the same few keys again and again: remember the
	// last lookups.
	for i := range e.cache {
		if c := &e.cache[i]; c.set && c.key == key {
			return c.vals, c.ok
		}
	}
	v, ok := e.ctx.Values(key)
	e.cache[e.next] = cachedKey{key: key, vals: v, ok: ok, set: true}
	e.next = (e.next + 1) % len(e.cache)
	return v, ok
}

type cachedKey struct {
	key     string
	vals    []string
	ok, set bool
}

func (e *evaluator) missing(key string) {
	if e.tr != nil {
		e.tr.missing(key)
	}
}

// setResult summarises one kind of policy.
type setResult struct {
	allow, deny       bool
	allowRef, denyRef sref
	// grants records, for resource policies, the principal matches of
	// the Allow statements that applied (one bit per principalMatch),
	// with the first statement of each.
	grants   uint16
	grantRef [8]sref
}

// sref is a compact statement reference used during evaluation.
type sref struct {
	p, i int32
	s    *statement
}

func (r sref) ref(t PolicyType) StatementRef {
	if r.s == nil {
		return StatementRef{}
	}
	return StatementRef{Type: t, Policy: int(r.p), Statement: int(r.i), Sid: r.s.sid}
}

func (e *evaluator) evalPolicy(r *setResult, t PolicyType, idx int, p *Policy) {
	for i := range p.stmts {
		s := &p.stmts[i]
		pm, ok := e.applies(s, t == ResourceBased)
		if !ok {
			continue
		}
		ref := sref{p: int32(idx), i: int32(i), s: s}
		if e.tr != nil {
			e.tr.matched(ref.ref(t), s.deny)
		}
		if s.deny {
			if !r.deny {
				r.deny, r.denyRef = true, ref
			}
			continue
		}
		if !r.allow {
			r.allow, r.allowRef = true, ref
		}
		if r.grants&(1<<pm) == 0 {
			r.grants |= 1 << pm
			r.grantRef[pm] = ref
		}
	}
}

// applies reports whether statement s applies to the request.
func (e *evaluator) applies(s *statement, resourcePolicy bool) (principalMatch, bool) {
	req := e.req
	hit := false
	if s.anyVendor || s.vendorMatch(e.vendor) {
		for i := range s.actions {
			if s.actions[i].matchFold(req.Action) {
				hit = true
				break
			}
		}
	}
	if hit == s.notAction {
		return pmNone, false
	}
	if !s.anyResource {
		hit = false
		e.unresolved = false
		for i := range s.resources {
			if e.matchResource(&s.resources[i], req.Resource) {
				hit = true
				break
			}
		}
		if hit == s.notResource {
			return pmNone, false
		}
		if s.notResource && e.unresolved {
			// "If AWS cannot resolve a variable, this might cause the
			// entire statement to be invalid": a NotResource whose
			// pattern cannot be resolved does not apply. A pattern that
			// cannot match whatever the variable's value (another
			// service, account or IAM resource type) is a plain
			// non-match and does not get here.
			return pmNone, false
		}
	}
	pm := pmNone
	if s.principal != nil {
		pm = s.principal.match(&req.Principal)
		if pm == pmAll && req.Principal.isSession() {
			// "*" names a role session only through its role: the
			// session policies still apply.
			pm = pmAllSession
		}
		if s.notPrincipal {
			// AWS: a Deny with NotPrincipal always applies to a
			// principal that has a permissions boundary.
			if pm != pmNone && !e.hasBoundary {
				return pmNone, false
			}
			pm = pmAccount
		} else if pm == pmNone {
			return pmNone, false
		}
	}
	ok := true
	for i := range s.conds {
		if !s.conds[i].eval(e) {
			ok = false
			if e.tr == nil {
				break
			}
		}
	}
	return pm, ok
}

func (e *evaluator) matchResource(p *pattern, res string) bool {
	if p.any {
		return true
	}
	if p.segs == nil {
		if !p.wild {
			return p.text == res
		}
		if !strings.HasPrefix(res, p.prefix) {
			return false
		}
		if p.prefixOnly {
			return true
		}
		return matchARN(p.text, res)
	}
	var arr [maxVarBuf]byte
	b, ok := e.expand(p, arr[:0])
	if !ok {
		// Could the pattern match at all? Its literal text before the
		// first variable must agree with the resource's first five
		// fields (partition, service, region, account); if not, the
		// variable does not matter.
		if arnPrefixCompatible(p.segs[0].text, res) {
			e.unresolved = true
		}
		return false
	}
	return matchARN(b, res)
}

// arnPrefixCompatible reports whether the literal prefix pre of a pattern
// (the text before its first variable) can still lead to a match of res.
func arnPrefixCompatible(pre, res string) bool {
	pi, si := 0, 0
	for f := 0; f < 5; f++ {
		pe := indexColon(pre, pi)
		if pe < 0 {
			return true // the variable is in this field: anything goes
		}
		se := indexColon(res, si)
		if se < 0 || !glob(pre[pi:pe], res[si:se], false) {
			return false
		}
		pi, si = pe+1, se+1
	}
	// IAM resources start with their type (user/, role/, …): a different
	// type cannot match.
	if f := strings.SplitN(pre, ":", 4); len(f) == 4 && f[2] == "iam" {
		if pt := strings.IndexByte(pre[pi:], '/'); pt >= 0 {
			typ := pre[pi : pi+pt+1]
			if strings.IndexByte(typ, 0xff) < 0 && strings.IndexByte(typ, 0xfe) < 0 && !strings.HasPrefix(res[si:], typ) {
				return false
			}
		}
	}
	return true
}

// matchValue matches request value rv against a string or ARN condition
// value under the positive operator op.
func (e *evaluator) matchValue(p *pattern, op opKind, rv string) bool {
	if p.segs == nil {
		return matchText(p.text, op, rv)
	}
	var arr [maxVarBuf]byte
	b, ok := e.expand(p, arr[:0])
	if !ok {
		e.unresolved = true
		return false
	}
	return matchText(b, op, rv)
}

func matchText[P byteseq](p P, op opKind, rv string) bool {
	switch op {
	case opStringEquals:
		return string(p) == rv
	case opStringEqualsIgnoreCase:
		return equalFold(p, rv)
	case opStringLike:
		return glob(p, rv, false)
	case opArnEquals, opArnLike:
		return matchARN(p, rv)
	}
	return false
}

func equalFold[P byteseq](p P, s string) bool {
	return strings.EqualFold(string(p), s)
}

// expand substitutes the policy variables of p into buf. It fails when a
// variable without default has no single value.
func (e *evaluator) expand(p *pattern, buf []byte) ([]byte, bool) {
	for i := range p.segs {
		seg := &p.segs[i]
		buf = append(buf, seg.text...)
		if seg.key == "" {
			continue
		}
		vals, ok := e.values(seg.key)
		switch {
		case ok && len(vals) == 1 && safeValue(vals[0]):
			buf = append(buf, vals[0]...)
		case seg.hasDef:
			buf = append(buf, seg.def...)
		default:
			e.missing(seg.keyRaw)
			return buf, false
		}
	}
	return buf, true
}

// safeValue rejects values holding the wildcard marker bytes (invalid
// UTF-8), which would otherwise act as wildcards once substituted.
func safeValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == mStar || v[i] == mQuest {
			return false
		}
	}
	return true
}

func (e *evaluator) run(in *Input) Result {
	if len(e.req.Action) == len(getCallerIdentity) && asciiEqualFold(e.req.Action, getCallerIdentity) {
		return Result{Decision: Allow}
	}
	e.hasBoundary = in.Boundary != nil
	var id, bd, ss, rs setResult
	for i, p := range in.Identity {
		if p != nil {
			e.evalPolicy(&id, IdentityBased, i, p)
		}
	}
	if in.Boundary != nil {
		e.evalPolicy(&bd, PermissionsBoundary, 0, in.Boundary)
	}
	for i, p := range in.Session {
		if p != nil {
			e.evalPolicy(&ss, SessionPolicy, i, p)
		}
	}
	if in.Resource != nil {
		e.evalPolicy(&rs, ResourceBased, 0, in.Resource)
	}
	switch {
	case id.deny:
		return Result{Decision: ExplicitDeny, Type: IdentityBased, Statement: id.denyRef.ref(IdentityBased)}
	case bd.deny:
		return Result{Decision: ExplicitDeny, Type: PermissionsBoundary, Statement: bd.denyRef.ref(PermissionsBoundary)}
	case ss.deny:
		return Result{Decision: ExplicitDeny, Type: SessionPolicy, Statement: ss.denyRef.ref(SessionPolicy)}
	case rs.deny:
		return Result{Decision: ExplicitDeny, Type: ResourceBased, Statement: rs.denyRef.ref(ResourceBased)}
	}
	boundaryOK := in.Boundary == nil || bd.allow
	sessionOK := in.Session == nil || ss.allow
	identity := func() Result {
		switch {
		case in.IsRoot:
			return Result{Decision: Allow}
		case !id.allow:
			return Result{Type: IdentityBased}
		case !boundaryOK:
			return Result{Type: PermissionsBoundary}
		case !sessionOK:
			return Result{Type: SessionPolicy}
		}
		return Result{Decision: Allow, Type: IdentityBased, Statement: id.allowRef.ref(IdentityBased)}
	}
	resourceGrant := Result{Decision: Allow, Type: ResourceBased, Statement: rs.allowRef.ref(ResourceBased)}
	trust := in.Resource != nil && in.Resource.kind == Trust
	if in.CrossAccount || trust {
		if !rs.allow {
			if in.CrossAccount && !trust {
				if r := identity(); r.Decision != Allow {
					return r
				}
			}
			return Result{Type: ResourceBased}
		}
		if in.CrossAccount {
			if r := identity(); r.Decision != Allow {
				return r
			}
			return resourceGrant
		}
	}
	if rs.allow {
		// Same account: what a resource-based Allow grants on its own
		// depends on the principal it names (AWS's table "Resource-based
		// policies and implicit denies in other policy types").
		grant := func(pm principalMatch) Result {
			return Result{Decision: Allow, Type: ResourceBased, Statement: rs.grantRef[pm].ref(ResourceBased)}
		}
		has := func(pm principalMatch) bool { return rs.grants&(1<<pm) != 0 }
		switch {
		case has(pmDirect):
			// The user or the session itself: not limited by implicit
			// denies in identity, boundary or session policies.
			return grant(pmDirect)
		case has(pmAll):
			return grant(pmAll)
		case has(pmService):
			return grant(pmService)
		case has(pmFederated):
			return grant(pmFederated)
		case has(pmAllSession) && sessionOK:
			// "*" reaches a session through its role or user: the
			// session policies still limit it.
			return grant(pmAllSession)
		case has(pmRole) && boundaryOK && sessionOK:
			// The role ARN: limited by the boundary and session policies.
			return grant(pmRole)
		}
		if r := identity(); r.Decision == Allow {
			return r
		}
		switch {
		case has(pmAllSession) || has(pmRole):
			if !sessionOK {
				return Result{Type: SessionPolicy}
			}
			if !boundaryOK {
				return Result{Type: PermissionsBoundary}
			}
		}
	}
	return identity()
}
