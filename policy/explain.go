package policy

import "sort"

// Explanation says why a request was allowed or denied: the decision, the
// statements that applied and the condition keys the policies asked for
// that the request did not have. It encodes to JSON for "why was I denied"
// (an encoded authorization message, `castellan policy explain`, IAM's
// simulator). Policy indexes refer to the slices of the [Input].
type Explanation struct {
	Decision string `json:"decision"` // "allowed", "explicitDeny" or "implicitDeny"
	// DecidedBy is the policy type that decided, as in AWS's messages
	// ("identity-based policy", "permissions boundary", …); empty for
	// the root user.
	DecidedBy string `json:"decidedBy,omitempty"`
	// Decisive is the statement that decided (the Deny, or the Allow that
	// granted access); nil for an implicit deny.
	Decisive *MatchedStatement `json:"decisiveStatement,omitempty"`
	// Matched lists every statement that applied to the request, in
	// evaluation order (identity, boundary, session, resource).
	Matched []MatchedStatement `json:"matchedStatements"`
	// MissingContextKeys lists, sorted, the condition keys (and policy
	// variables) used by statements whose action and resource matched but
	// which the request context lacked.
	MissingContextKeys []string `json:"missingContextValues"`
}

// MatchedStatement is a statement that applied to a request. Use
// [Policy.StatementPosition] for its place in the document (IAM's
// simulator reports StartPosition and EndPosition).
type MatchedStatement struct {
	PolicyType string `json:"policyType"` // e.g. "identity-based policy"
	StatementRef
	Effect string `json:"effect"` // "Allow" or "Deny"
}

// trace records what Explain reports.
type trace struct {
	matchedStmts []MatchedStatement
	missingKeys  map[string]bool
}

func (t *trace) matched(ref StatementRef, deny bool) {
	eff := "Allow"
	if deny {
		eff = "Deny"
	}
	t.matchedStmts = append(t.matchedStmts, MatchedStatement{PolicyType: ref.Type.String(), StatementRef: ref, Effect: eff})
}

func (t *trace) missing(key string) {
	if t.missingKeys == nil {
		t.missingKeys = map[string]bool{}
	}
	t.missingKeys[key] = true
}

// Explain evaluates like [Evaluate] and also reports the statements that
// applied and the missing context keys. It allocates; call it on the deny
// path or for simulation, not for every request.
func Explain(req *Request, in *Input) (Result, *Explanation) {
	tr := &trace{}
	e := evaluator{req: req, ctx: req.Context, tr: tr, vendor: vendorOf(req.Action)}
	r := e.run(in)
	x := &Explanation{
		Decision:           r.Decision.String(),
		DecidedBy:          r.Type.String(),
		Matched:            tr.matchedStmts,
		MissingContextKeys: []string{},
	}
	if x.Matched == nil {
		x.Matched = []MatchedStatement{}
	}
	if r.Decision != ImplicitDeny && r.Type != NoPolicy {
		eff := "Allow"
		if r.Decision == ExplicitDeny {
			eff = "Deny"
		}
		x.Decisive = &MatchedStatement{PolicyType: r.Type.String(), StatementRef: r.Statement, Effect: eff}
	}
	for k := range tr.missingKeys {
		x.MissingContextKeys = append(x.MissingContextKeys, k)
	}
	sort.Strings(x.MissingContextKeys)
	return r, x
}
