package iam

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/perm"
	"github.com/castellan-sts/castellan/policy"
)

// This file is IAM's policy simulator: SimulatePrincipalPolicy,
// SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and
// GetContextKeysForCustomPolicy. The simulator evaluates with the same
// policy engine that authorises real requests (policy.Explain), over the
// request context the caller describes in ContextEntries only: as in AWS,
// no key is filled in automatically, and the keys the policies ask for but
// the simulation lacks come back in MissingContextValues.

const (
	// maxSimulationPairs bounds the action × resource evaluations of one
	// simulation request (IAM documents no quota; every pair costs one
	// full evaluation).
	maxSimulationPairs = 10000
	// maxSimulationPolicies bounds the documents a caller may pass in
	// PolicyInputList (and in each SCP level).
	maxSimulationPolicies = 100
)

// Values of Statement.SourcePolicyType (the model's PolicySourceType).
const (
	sourceUser        = perm.User        // a user's inline policy
	sourceGroup       = perm.Group       // a group's inline policy
	sourceRole        = perm.Role        // a role's inline policy
	sourceAWSManaged  = perm.AWSManaged  // arn:aws:iam::aws:policy/…
	sourceUserManaged = perm.UserManaged // a customer managed policy
	sourceResource    = "resource"       // the ResourcePolicy
	sourceNone        = "none"           // a document passed in the request
)

// ContextEntry is one condition key and its values for a simulation.
type ContextEntry struct {
	ContextKeyName   string
	ContextKeyValues []string
	ContextKeyType   string
}

// PolicyIdentifier names policies to leave out of SimulatePrincipalPolicy
// (a union: exactly one member is set).
type PolicyIdentifier struct {
	PolicyType             string
	PolicyArn              string
	InlinePolicyIdentifier *InlinePolicyIdentifier
}

// InlinePolicyIdentifier names inline policies by name and owner; the
// owner's name may use * (at most one) and ?.
type InlinePolicyIdentifier struct {
	PolicyName     string
	AttachmentType string // user, group, role
	AttachmentName string
}

// OrderedOrganizationPolicy is one level of an Organizations hierarchy:
// its service control policies.
type OrderedOrganizationPolicy struct {
	ServiceControlPolicyInputList []string
}

// SimulatePrincipalPolicyInput is SimulatePrincipalPolicy's request.
type SimulatePrincipalPolicyInput struct {
	PolicySourceArn                    string
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	PolicyExclusionList                []PolicyIdentifier
	ActionNames                        []string
	ResourceArns                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerArn                          string
	ContextEntries                     []ContextEntry
	ResourceHandlingOption             string
	MaxItems                           *int32
	Marker                             string
}

// SimulateCustomPolicyInput is SimulateCustomPolicy's request.
type SimulateCustomPolicyInput struct {
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	OrderedOrganizationPolicyInputList []OrderedOrganizationPolicy
	ActionNames                        []string
	ResourceArns                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerArn                          string
	ContextEntries                     []ContextEntry
	ResourceHandlingOption             string
	MaxItems                           *int32
	Marker                             string
}

// SimulatePolicyOutput is the result of both simulations.
type SimulatePolicyOutput struct {
	EvaluationResults []EvaluationResult `xml:"EvaluationResults>member"`
	Paging
}

// EvaluationResult is the decision for one action on one resource.
type EvaluationResult struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string                             // allowed, explicitDeny, implicitDeny
	MatchedStatements                 []Statement                        `xml:"MatchedStatements>member"`
	MissingContextValues              []string                           `xml:"MissingContextValues>member"`
	OrganizationsDecisionDetail       *OrganizationsDecisionDetail       `xml:",omitempty"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `xml:",omitempty"`
	ResourceSpecificResults           memberList[ResourceSpecificResult] `xml:",omitempty"`
}

// ResourceSpecificResult is the decision for one of the ResourceArns.
type ResourceSpecificResult struct {
	EvalResourceName                  string
	EvalResourceDecision              string
	MatchedStatements                 []Statement                        `xml:"MatchedStatements>member"`
	MissingContextValues              []string                           `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `xml:",omitempty"`
}

// Statement locates a statement that decided a simulation.
type Statement struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    Position
	EndPosition      Position
}

// Position is a 1-based line and column in a policy document.
type Position struct {
	Line   int
	Column int
}

// OrganizationsDecisionDetail says whether the SCPs allow the action.
type OrganizationsDecisionDetail struct{ AllowedByOrganizations bool }

// PermissionsBoundaryDecisionDetail says whether the boundary allows it.
type PermissionsBoundaryDecisionDetail struct{ AllowedByPermissionsBoundary bool }

// GetContextKeysForPrincipalPolicyInput is its request.
type GetContextKeysForPrincipalPolicyInput struct {
	PolicySourceArn string
	PolicyInputList []string
}

// GetContextKeysForCustomPolicyInput is its request.
type GetContextKeysForCustomPolicyInput struct {
	PolicyInputList []string
}

// GetContextKeysForPolicyOutput lists the condition keys and policy
// variables the policies use, in order of first appearance.
type GetContextKeysForPolicyOutput struct {
	ContextKeyNames []string `xml:"ContextKeyNames>member"`
}

// simPolicy is a compiled policy with the names the simulator reports.
type simPolicy struct {
	p   *policy.Policy
	id  string // Statement.SourcePolicyId
	typ string // Statement.SourcePolicyType
	// For PolicyExclusionList.
	managedARN string // managed policies
	owner      string // inline: user, group or role
	ownerName  string
	name       string
	boundary   bool
}

// simulation is everything an evaluation needs except the action and
// resource.
type simulation struct {
	identity     []simPolicy
	boundary     *simPolicy
	resource     *simPolicy
	scps         [][]simPolicy // levels, root first
	principal    policy.Principal
	ctx          policy.ContextMap
	crossAccount bool
}

// SimulatePrincipalPolicy simulates the policies of a user (with its
// groups'), group or role, plus any passed in the request.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, _ *identity.Call, in *SimulatePrincipalPolicyInput) (*SimulatePolicyOutput, error) {
	if err := checkSimulationSize(in.ActionNames, in.ResourceArns, in.PolicyInputList); err != nil {
		return nil, err
	}
	ent, err := s.policySource(ctx, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	sim := &simulation{}
	for _, sp := range ent.policies {
		if excluded(sp, in.PolicyExclusionList) {
			continue
		}
		if sp.boundary {
			sim.boundary = &sp
			continue
		}
		sim.identity = append(sim.identity, sp)
	}
	extra, err := inputPolicies("PolicyInputList", in.PolicyInputList, policy.InlineUser)
	if err != nil {
		return nil, err
	}
	sim.identity = append(sim.identity, extra...)
	if err := sim.setBoundary(in.PermissionsBoundaryPolicyInputList); err != nil {
		return nil, err
	}
	caller := in.CallerArn
	if caller == "" && ent.kind != "group" {
		caller = in.PolicySourceArn
	}
	if in.ResourcePolicy != "" && caller == "" {
		return nil, awserr.Errorf(awserr.InvalidInput, "CallerArn is required when a ResourcePolicy is specified and PolicySourceArn is a group.")
	}
	if err := sim.setResource(in.ResourcePolicy, caller, in.ResourceOwner, s.account); err != nil {
		return nil, err
	}
	if sim.ctx, err = simulationContext(in.ContextEntries); err != nil {
		return nil, err
	}
	return sim.page(in.ActionNames, in.ResourceArns, in.Marker, in.MaxItems)
}

// SimulateCustomPolicy simulates the documents passed in the request.
func (s *Service) SimulateCustomPolicy(_ context.Context, _ *identity.Call, in *SimulateCustomPolicyInput) (*SimulatePolicyOutput, error) {
	if err := checkSimulationSize(in.ActionNames, in.ResourceArns, in.PolicyInputList); err != nil {
		return nil, err
	}
	for _, a := range in.ActionNames {
		if strings.ContainsAny(a, "*?") {
			return nil, awserr.Errorf(awserr.InvalidInput, "Actions in ActionNames must not contain wildcards: %s", a)
		}
	}
	sim := &simulation{}
	var err error
	if sim.identity, err = inputPolicies("PolicyInputList", in.PolicyInputList, policy.InlineUser); err != nil {
		return nil, err
	}
	if err := sim.setBoundary(in.PermissionsBoundaryPolicyInputList); err != nil {
		return nil, err
	}
	for i, level := range in.OrderedOrganizationPolicyInputList {
		name := "OrderedOrganizationPolicyInputList." + strconv.Itoa(i+1) + ".ServiceControlPolicyInputList"
		if len(level.ServiceControlPolicyInputList) > maxSimulationPolicies {
			return nil, awserr.Errorf(awserr.InvalidInput, "%s must have at most %d policies.", name, maxSimulationPolicies)
		}
		scps, err := inputPolicies(name, level.ServiceControlPolicyInputList, policy.Identity)
		if err != nil {
			return nil, err
		}
		sim.scps = append(sim.scps, scps)
	}
	if in.ResourcePolicy != "" && in.CallerArn == "" {
		return nil, awserr.Errorf(awserr.InvalidInput, "CallerArn is required when a ResourcePolicy is specified.")
	}
	if err := sim.setResource(in.ResourcePolicy, in.CallerArn, in.ResourceOwner, s.account); err != nil {
		return nil, err
	}
	if sim.ctx, err = simulationContext(in.ContextEntries); err != nil {
		return nil, err
	}
	return sim.page(in.ActionNames, in.ResourceArns, in.Marker, in.MaxItems)
}

// GetContextKeysForPrincipalPolicy lists the context keys used by the
// policies of a user (and its groups), group or role, and by the
// documents passed in the request.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, _ *identity.Call, in *GetContextKeysForPrincipalPolicyInput) (*GetContextKeysForPolicyOutput, error) {
	if len(in.PolicyInputList) > maxSimulationPolicies {
		return nil, awserr.Errorf(awserr.InvalidInput, "PolicyInputList must have at most %d policies.", maxSimulationPolicies)
	}
	ent, err := s.policySource(ctx, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	extra, err := inputPolicies("PolicyInputList", in.PolicyInputList, policy.InlineUser)
	if err != nil {
		return nil, err
	}
	var ks keySet
	for _, sp := range append(ent.policies, extra...) {
		ks.addPolicy(sp.p)
	}
	return &GetContextKeysForPolicyOutput{ContextKeyNames: ks.list()}, nil
}

// GetContextKeysForCustomPolicy lists the context keys used by the
// documents passed in the request.
func (s *Service) GetContextKeysForCustomPolicy(_ context.Context, _ *identity.Call, in *GetContextKeysForCustomPolicyInput) (*GetContextKeysForPolicyOutput, error) {
	if len(in.PolicyInputList) > maxSimulationPolicies {
		return nil, awserr.Errorf(awserr.InvalidInput, "PolicyInputList must have at most %d policies.", maxSimulationPolicies)
	}
	ps, err := inputPolicies("PolicyInputList", in.PolicyInputList, policy.InlineUser)
	if err != nil {
		return nil, err
	}
	var ks keySet
	for _, sp := range ps {
		ks.addPolicy(sp.p)
	}
	return &GetContextKeysForPolicyOutput{ContextKeyNames: ks.list()}, nil
}

func checkSimulationSize(actions, resources, docs []string) error {
	if len(docs) > maxSimulationPolicies {
		return awserr.Errorf(awserr.InvalidInput, "PolicyInputList must have at most %d policies.", maxSimulationPolicies)
	}
	n := len(actions) * max(len(resources), 1)
	if n > maxSimulationPairs {
		return awserr.Errorf(awserr.InvalidInput, "The simulation has %d action and resource combinations; at most %d are allowed.", n, maxSimulationPairs)
	}
	for _, a := range actions {
		vendor, name, ok := strings.Cut(a, ":")
		if !ok || vendor == "" || name == "" {
			return awserr.Errorf(awserr.InvalidInput, "Invalid action name %s: actions must have the form service:action.", a)
		}
	}
	return nil
}

// inputPolicies parses documents passed in a simulation request; their
// SourcePolicyId is "<member>.<n>", as IAM names them.
func inputPolicies(member string, docs []string, kind policy.Kind) ([]simPolicy, error) {
	out := make([]simPolicy, 0, len(docs))
	for i, doc := range docs {
		id := member + "." + strconv.Itoa(i+1)
		p, err := policy.Parse(doc, kind)
		if err != nil {
			return nil, invalidSimulationPolicy(id, err)
		}
		out = append(out, simPolicy{p: p, id: id, typ: sourceNone})
	}
	return out, nil
}

func invalidSimulationPolicy(id string, err error) error {
	msg := err.Error()
	if pe, ok := errors.AsType[*policy.Error](err); ok {
		msg = pe.Message
	}
	return awserr.Errorf(awserr.InvalidInput, "Invalid policy %s: %s", id, msg)
}

func (sim *simulation) setBoundary(docs []string) error {
	if len(docs) > 1 {
		return awserr.Errorf(awserr.InvalidInput, "Only one permissions boundary policy can be specified in PermissionsBoundaryPolicyInputList.")
	}
	if len(docs) == 0 {
		return nil
	}
	ps, err := inputPolicies("PermissionsBoundaryPolicyInputList", docs, policy.Boundary)
	if err != nil {
		return err
	}
	sim.boundary = &ps[0]
	return nil
}

// setResource adds the resource policy, the caller its Principal element
// is matched against and whether the resource is in another account.
func (sim *simulation) setResource(doc, caller, owner, account string) error {
	sim.principal = policy.Principal{ARN: caller, Account: account}
	if acct := arnAccount(caller); acct != "" {
		sim.principal.Account = acct
	}
	if owner != "" {
		o := owner
		if a := arnAccount(owner); a != "" {
			o = a
		}
		if len(o) != 12 || strings.Trim(o, "0123456789") != "" {
			return awserr.Errorf(awserr.InvalidInput, "Invalid ResourceOwner %s: give an account id or arn:aws:iam::ACCOUNT:root.", owner)
		}
		sim.crossAccount = o != sim.principal.Account
	}
	if doc == "" {
		return nil
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		return invalidSimulationPolicy("ResourcePolicy", err)
	}
	sim.resource = &simPolicy{p: p, id: "ResourcePolicy", typ: sourceResource}
	return nil
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// simulationContext builds the request context from ContextEntries,
// checking each value against its declared type.
func simulationContext(entries []ContextEntry) (policy.ContextMap, error) {
	if err := checkContextEntries(entries); err != nil {
		return nil, err
	}
	m := policy.ContextMap{}
	for _, e := range entries {
		if e.ContextKeyName == "" {
			return nil, awserr.Errorf(awserr.InvalidInput, "ContextKeyName is required in every ContextEntries member.")
		}
		typ := e.ContextKeyType
		if len(e.ContextKeyValues) > 1 && typ != "" && !strings.HasSuffix(typ, "List") {
			return nil, awserr.Errorf(awserr.InvalidInput, "Context key %s of type %s takes one value; use %sList for several.", e.ContextKeyName, typ, typ)
		}
		for _, v := range e.ContextKeyValues {
			if !validContextValue(strings.TrimSuffix(typ, "List"), v) {
				return nil, awserr.Errorf(awserr.InvalidInput, "Invalid value %s for context key %s of type %s.", v, e.ContextKeyName, typ)
			}
		}
		m.Set(e.ContextKeyName, append([]string(nil), e.ContextKeyValues...)...)
	}
	return m, nil
}

func validContextValue(typ, v string) bool {
	switch typ {
	case "numeric":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case "boolean":
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "ip":
		if _, err := netip.ParsePrefix(v); err == nil {
			return true
		}
		_, err := netip.ParseAddr(v)
		return err == nil
	case "date":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04", "2006-01-02"} {
			if _, err := time.Parse(layout, v); err == nil {
				return true
			}
		}
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	}
	return true // string, binary (base64 is compared as text) and untyped
}

// page evaluates every action on every resource ("*" when none are given)
// and returns the page the marker asks for.
func (sim *simulation) page(actions, resources []string, marker string, maxItems *int32) (*SimulatePolicyOutput, error) {
	type pair struct{ action, resource string }
	perResource := len(resources) > 0
	if !perResource {
		resources = []string{"*"}
	}
	pairs := make([]pair, 0, len(actions)*len(resources))
	for _, a := range actions {
		for _, r := range resources {
			pairs = append(pairs, pair{a, r})
		}
	}
	pg, paging, err := pageSlice(pairs, marker, maxItems)
	if err != nil {
		return nil, err
	}
	if err := sim.checkWork(len(pg)); err != nil {
		return nil, err
	}
	out := &SimulatePolicyOutput{EvaluationResults: make([]EvaluationResult, 0, len(pg)), Paging: paging}
	for _, p := range pg {
		r := sim.evaluate(p.action, p.resource)
		if perResource {
			r.ResourceSpecificResults = memberList[ResourceSpecificResult]{{
				EvalResourceName:                  r.EvalResourceName,
				EvalResourceDecision:              r.EvalDecision,
				MatchedStatements:                 r.MatchedStatements,
				MissingContextValues:              r.MissingContextValues,
				PermissionsBoundaryDecisionDetail: r.PermissionsBoundaryDecisionDetail,
			}}
		}
		out.EvaluationResults = append(out.EvaluationResults, r)
	}
	return out, nil
}

// evaluate decides one action on one resource.
func (sim *simulation) evaluate(action, resource string) EvaluationResult {
	in := &policy.Input{CrossAccount: sim.crossAccount}
	for _, sp := range sim.identity {
		in.Identity = append(in.Identity, sp.p)
	}
	if sim.boundary != nil {
		in.Boundary = sim.boundary.p
	}
	if sim.resource != nil {
		in.Resource = sim.resource.p
	}
	req := &policy.Request{Principal: sim.principal, Action: action, Resource: resource, Context: sim.ctx}
	res, x := policy.Explain(req, in)
	decision := res.Decision
	deny := decision == policy.ExplicitDeny
	missing := append([]string{}, x.MissingContextKeys...)

	var stmts []Statement
	boundaryAllow, boundaryDeny := false, false
	for _, m := range x.Matched {
		if m.Type == policy.PermissionsBoundary {
			if m.Effect == "Deny" {
				boundaryDeny = true
			} else {
				boundaryAllow = true
			}
		}
		// The statements that decided: the Denies of an explicit deny, the
		// Allows of an allow; none for an implicit deny (what was missing is
		// in the decision details).
		if decision == policy.ImplicitDeny || deny != (m.Effect == "Deny") {
			continue
		}
		if sp := sim.source(m.StatementRef); sp != nil {
			stmts = append(stmts, statementOut(sp, m.Statement))
		}
	}

	r := EvaluationResult{EvalActionName: action, EvalResourceName: resource}
	if sim.boundary != nil {
		r.PermissionsBoundaryDecisionDetail = &PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: boundaryAllow && !boundaryDeny}
	}
	if sim.scps != nil {
		allowed := true
		for li, level := range sim.scps {
			lin := &policy.Input{}
			for _, sp := range level {
				lin.Identity = append(lin.Identity, sp.p)
			}
			lres, lx := policy.Explain(req, lin)
			missing = append(missing, lx.MissingContextKeys...)
			switch lres.Decision {
			case policy.ExplicitDeny:
				allowed = false
				if !deny {
					deny, decision, stmts = true, policy.ExplicitDeny, nil
				}
				if lres.Statement.Policy < len(sim.scps[li]) {
					stmts = append(stmts, statementOut(&sim.scps[li][lres.Statement.Policy], lres.Statement.Statement))
				}
			case policy.ImplicitDeny:
				allowed = false
				if decision == policy.Allow {
					decision, stmts = policy.ImplicitDeny, nil
				}
			}
		}
		r.OrganizationsDecisionDetail = &OrganizationsDecisionDetail{AllowedByOrganizations: allowed}
	}
	r.EvalDecision = decision.String()
	r.MatchedStatements = stmts
	r.MissingContextValues = dedupFold(missing)
	return r
}

// source finds the simulated policy a matched statement belongs to.
func (sim *simulation) source(ref policy.StatementRef) *simPolicy {
	switch ref.Type {
	case policy.IdentityBased:
		if ref.Policy < len(sim.identity) {
			return &sim.identity[ref.Policy]
		}
	case policy.PermissionsBoundary:
		return sim.boundary
	case policy.ResourceBased:
		return sim.resource
	}
	return nil
}

func statementOut(sp *simPolicy, i int) Statement {
	start, end := sp.p.StatementPosition(i)
	return Statement{
		SourcePolicyId:   sp.id,
		SourcePolicyType: sp.typ,
		StartPosition:    Position{Line: start.Line, Column: start.Column},
		EndPosition:      Position{Line: end.Line, Column: end.Column},
	}
}

// dedupFold removes case-insensitive duplicates, keeping order.
func dedupFold(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		lk := strings.ToLower(k)
		if !seen[lk] {
			seen[lk] = true
			out = append(out, k)
		}
	}
	return out
}

// policySourceEntity is a user, group or role with its policies.
type policySourceEntity struct {
	kind     string // user, group, role
	policies []simPolicy
}

// policySource loads the policies of the user, group or role an ARN names
// with perm.Gather, the loader authorization uses: for a user, its inline
// and attached policies, its groups' and its permissions boundary (marked
// boundary).
func (s *Service) policySource(ctx context.Context, arn string) (*policySourceEntity, error) {
	prefix := "arn:aws:iam::" + s.account + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	kind, pathName, _ := strings.Cut(rest, "/")
	if !ok || pathName == "" || (kind != "user" && kind != "group" && kind != "role") {
		if strings.HasPrefix(arn, "arn:") && arnAccount(arn) != s.account && arnAccount(arn) != "" {
			return nil, awserr.Errorf(awserr.NoSuchEntity, "The entity %s cannot be found.", arn)
		}
		return nil, awserr.Errorf(awserr.InvalidInput, "Invalid ARN %s: PolicySourceArn must name a user, group or role of this account.", arn)
	}
	i := strings.LastIndexByte(pathName, '/')
	path, name := "/"+pathName[:i+1], pathName[i+1:]
	notFound := awserr.Errorf(awserr.NoSuchEntity, "The %s with name %s cannot be found.", kind, name)
	e := perm.Entity{Kind: kind, AccountID: s.account}
	switch kind {
	case "user":
		u, err := s.st.GetUser(ctx, s.account, name)
		if isNotFound(err) || (err == nil && u.Path != path) {
			return nil, notFound
		}
		if err != nil {
			return nil, err
		}
		e.ID, e.Name, e.PermissionsBoundary = u.ID, u.Name, u.PermissionsBoundary
	case "group":
		g, err := s.st.GetGroup(ctx, s.account, name)
		if isNotFound(err) || (err == nil && g.Path != path) {
			return nil, notFound
		}
		if err != nil {
			return nil, err
		}
		e.ID, e.Name = g.ID, g.Name
	case "role":
		r, err := s.st.GetRole(ctx, s.account, name)
		if isNotFound(err) || (err == nil && r.Path != path) {
			return nil, notFound
		}
		if err != nil {
			return nil, err
		}
		e.ID, e.Name, e.PermissionsBoundary = r.ID, r.Name, r.PermissionsBoundary
	}
	set, err := perm.Gather(ctx, s.permStore(), e)
	if err != nil {
		return nil, err
	}
	ent := &policySourceEntity{kind: kind, policies: make([]simPolicy, 0, len(set.Identity)+1)}
	for i, p := range set.Identity {
		ent.policies = append(ent.policies, simSource(p, set.Sources[i], false))
	}
	if set.Boundary != nil {
		ent.policies = append(ent.policies, simSource(set.Boundary, set.BoundarySource, true))
	}
	return ent, nil
}

// simSource is a gathered policy as the simulator reports it.
func simSource(p *policy.Policy, src perm.Source, boundary bool) simPolicy {
	return simPolicy{p: p, id: src.ID, typ: src.Type, managedARN: src.ManagedARN,
		owner: src.Owner, ownerName: src.OwnerName, name: src.Name, boundary: boundary}
}

// excluded reports whether a PolicyExclusionList entry names sp.
func excluded(sp simPolicy, list []PolicyIdentifier) bool {
	for _, id := range list {
		switch {
		case id.PolicyType != "":
			switch id.PolicyType {
			case "inline":
				if sp.owner != "" {
					return true
				}
			case "aws-managed", "user-managed":
				if sp.managedARN != "" && !sp.boundary && sp.typ == id.PolicyType {
					return true
				}
			case "permission-boundary":
				if sp.boundary {
					return true
				}
			}
		case id.PolicyArn != "":
			if sp.managedARN != "" && policy.Match(id.PolicyArn, sp.managedARN, false) {
				return true
			}
		case id.InlinePolicyIdentifier != nil:
			ii := id.InlinePolicyIdentifier
			if sp.owner == ii.AttachmentType && sp.name == ii.PolicyName && policy.Match(ii.AttachmentName, sp.ownerName, false) {
				return true
			}
		}
	}
	return false
}
