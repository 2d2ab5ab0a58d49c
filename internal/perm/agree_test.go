package perm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/perm"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/policy"
)

// This file is the differential test of issue 13 item 7: for a
// deterministic random world of users (with and without groups, inline and
// attached policies, boundaries) and roles, and many requests with varied
// condition keys, IAM's SimulatePrincipalPolicy must reach the decision the
// authorizer of real requests reaches. The simulator is given exactly the
// request context the authorizer builds (ContextEntries), so any
// difference is in the policies each path gathered.

const (
	account = "123456789012"
	// seed fixes the world and the requests: a failure reproduces.
	seed  = 13
	cases = 1500
)

var rootCall = &identity.Call{Caller: &identity.Principal{Type: identity.Root, AccountID: account, ARN: "arn:aws:iam::" + account + ":root"}}

// The vocabulary the generated policies and requests draw from.
var (
	actions = []string{
		"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "iam:ListUsers", "iam:GetUser",
		"iam:CreateUser", "sqs:SendMessage", "ec2:RunInstances", "dynamodb:GetItem",
	}
	actionPatterns = append([]string{"s3:*", "s3:Get*", "iam:List*", "iam:*User", "sqs:*", "*"}, actions...)
	resources      = []string{
		"*", "arn:aws:s3:::data/reports/q1.csv", "arn:aws:s3:::logs/app.log",
		"arn:aws:iam::" + account + ":user/u3", "arn:aws:iam::" + account + ":user/u7",
		"arn:aws:sqs:us-east-1:" + account + ":jobs",
	}
	resourcePatterns = []string{
		"*", "*", "*", "*", "arn:aws:s3:::data/*", "arn:aws:s3:::*", "arn:aws:iam::" + account + ":user/${aws:username}",
		"arn:aws:sqs:*:" + account + ":*",
	}
	// AWS managed policies the world attaches (identity) and uses as
	// boundaries.
	awsIdentity = []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/IAMReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonSQSFullAccess"}
	awsBoundary = []string{"arn:aws:iam::aws:policy/PowerUserAccess"}
)

// condition returns a random condition block over the keys the requests
// vary, or nil.
func condition(r *rand.Rand) map[string]map[string]any {
	switch r.IntN(18) {
	case 0:
		return map[string]map[string]any{"StringEquals": {"aws:username": fmt.Sprintf("u%d", r.IntN(12))}}
	case 1:
		return map[string]map[string]any{"StringEquals": {"aws:PrincipalTag/team": []string{"red", "blue"}[r.IntN(2)]}}
	case 2:
		return map[string]map[string]any{"StringEquals": {"aws:RequestTag/env": []string{"prod", "dev"}[r.IntN(2)]}}
	case 3:
		return map[string]map[string]any{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
	case 4:
		return map[string]map[string]any{"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
	case 5:
		return map[string]map[string]any{"Bool": {"aws:MultiFactorAuthPresent": "true"}}
	case 6:
		return map[string]map[string]any{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
	case 7:
		return map[string]map[string]any{"DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"}}
	case 8:
		return map[string]map[string]any{"Null": {"aws:RequestTag/env": "true"}}
	}
	return nil
}

// document returns a random policy of 1 to 3 statements; deny is the
// chance of a Deny statement. A boundary starts with a broad Allow, so
// that what it adds is mostly its Denies and its narrower Allows.
func document(r *rand.Rand, deny float64, boundary bool) string {
	type stmt struct {
		Effect    string
		Action    string
		Resource  string
		Condition map[string]map[string]any `json:",omitempty"`
	}
	var st []stmt
	if boundary {
		st = append(st, stmt{Effect: "Allow", Action: []string{"*", "s3:*", "iam:*", "sqs:*"}[r.IntN(4)], Resource: "*"})
	}
	for range 1 + r.IntN(3) {
		s := stmt{Effect: "Allow", Action: actionPatterns[r.IntN(len(actionPatterns))], Resource: resourcePatterns[r.IntN(len(resourcePatterns))], Condition: condition(r)}
		if r.Float64() < deny {
			s.Effect = "Deny"
		}
		st = append(st, s)
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": st})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// principal is one generated user or role and what it was given.
type principal struct {
	kind string // user, role
	name string
	id   string
	arn  string
	tags []identity.Tag
	// What the world gave it, for the counts the test reports.
	groups, inline, attached int
	boundary                 bool
}

type world struct {
	svc        *iam.Service
	principals []principal
}

// must(f())(t) is f's result, or the test's end.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// newWorld builds the accounts' managed policies, groups, users and roles.
func newWorld(t *testing.T, r *rand.Rand) *world {
	ctx := t.Context()
	box := must(secret.NewBox(make([]byte, secret.MasterKeySize)))(t)
	st := must(sqlite.Open(ctx, sqlite.MemoryPath, box))(t)
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: account, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	svc := iam.New(iam.Config{Store: st, Account: account})
	w := &world{svc: svc}

	var managed, boundaries []string
	for i := range 8 {
		out := must(svc.CreatePolicy(ctx, rootCall, &iam.CreatePolicyInput{PolicyName: fmt.Sprintf("m%d", i), PolicyDocument: document(r, 0.35, false)}))(t)
		managed = append(managed, out.Policy.Arn)
	}
	managed = append(managed, awsIdentity...)
	for i := range 3 {
		// Boundaries mostly allow broadly, so what they leave out is
		// visible; some deny outright.
		out := must(svc.CreatePolicy(ctx, rootCall, &iam.CreatePolicyInput{PolicyName: fmt.Sprintf("b%d", i), PolicyDocument: document(r, 0.5, true)}))(t)
		boundaries = append(boundaries, out.Policy.Arn)
	}
	boundaries = append(boundaries, awsBoundary...)
	attach := func() string { return managed[r.IntN(len(managed))] }

	const groups = 6
	for g := range groups {
		name := fmt.Sprintf("g%d", g)
		must(svc.CreateGroup(ctx, rootCall, &iam.CreateGroupInput{GroupName: name}))(t)
		if r.IntN(2) == 0 {
			must(svc.PutGroupPolicy(ctx, rootCall, &iam.PutGroupPolicyInput{GroupName: name, PolicyName: "gp", PolicyDocument: document(r, 0.3, false)}))(t)
		}
		if r.IntN(2) == 0 {
			must(svc.AttachGroupPolicy(ctx, rootCall, &iam.AttachGroupPolicyInput{GroupName: name, PolicyArn: attach()}))(t)
		}
	}
	tags := func() []iam.Tag {
		switch r.IntN(3) {
		case 0:
			return []iam.Tag{{Key: "team", Value: "red"}}
		case 1:
			return []iam.Tag{{Key: "team", Value: "blue"}}
		}
		return nil
	}
	idTags := func(ts []iam.Tag) []identity.Tag {
		var out []identity.Tag
		for _, t := range ts {
			out = append(out, identity.Tag{Key: t.Key, Value: t.Value})
		}
		return out
	}
	// give puts inline policies and attaches managed ones to a principal.
	give := func(p *principal, put func(name, doc string), att func(arn string)) {
		p.inline = 1 + r.IntN(3)
		for i := range p.inline {
			put(fmt.Sprintf("p%d", i), document(r, 0.3, false))
		}
		seen := map[string]bool{}
		for range r.IntN(3) {
			if a := attach(); !seen[a] {
				seen[a] = true
				att(a)
				p.attached++
			}
		}
	}
	for u := range 12 {
		name := fmt.Sprintf("u%d", u)
		in := &iam.CreateUserInput{UserName: name, Tags: tags()}
		if r.IntN(5) < 2 {
			in.PermissionsBoundary = boundaries[r.IntN(len(boundaries))]
		}
		out := must(svc.CreateUser(ctx, rootCall, in))(t)
		p := principal{kind: "user", name: name, id: out.User.UserId, arn: out.User.Arn, tags: idTags(in.Tags), boundary: in.PermissionsBoundary != ""}
		for g := range groups {
			if r.IntN(4) == 0 {
				must(svc.AddUserToGroup(ctx, rootCall, &iam.GroupMembershipInput{GroupName: fmt.Sprintf("g%d", g), UserName: name}))(t)
				p.groups++
			}
		}
		give(&p, func(pn, doc string) {
			must(svc.PutUserPolicy(ctx, rootCall, &iam.PutUserPolicyInput{UserName: name, PolicyName: pn, PolicyDocument: doc}))(t)
		}, func(arn string) {
			must(svc.AttachUserPolicy(ctx, rootCall, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: arn}))(t)
		})
		w.principals = append(w.principals, p)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`
	for i := range 6 {
		name := fmt.Sprintf("r%d", i)
		in := &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust, Tags: tags()}
		if r.IntN(5) < 2 {
			in.PermissionsBoundary = boundaries[r.IntN(len(boundaries))]
		}
		out := must(svc.CreateRole(ctx, rootCall, in))(t)
		p := principal{kind: "role", name: name, id: out.Role.RoleId, arn: out.Role.Arn, tags: idTags(in.Tags), boundary: in.PermissionsBoundary != ""}
		give(&p, func(pn, doc string) {
			must(svc.PutRolePolicy(ctx, rootCall, &iam.PutRolePolicyInput{RoleName: name, PolicyName: pn, PolicyDocument: doc}))(t)
		}, func(arn string) {
			must(svc.AttachRolePolicy(ctx, rootCall, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: arn}))(t)
		})
		w.principals = append(w.principals, p)
	}
	return w
}

// call is an authenticated request of p as the authenticator would
// describe it: a user with a long-term key or a GetSessionToken session
// (with or without MFA), or an assumed-role session.
func (p principal) call(r *rand.Rand) *identity.Call {
	now := []time.Time{time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)}[r.IntN(2)]
	c := &identity.Call{
		Time:            now,
		SourceIP:        []string{"10.1.2.3", "192.0.2.7", "203.0.113.9"}[r.IntN(3)],
		Region:          "us-east-1",
		SecureTransport: true,
	}
	mfa := r.IntN(2) == 0
	switch p.kind {
	case "user":
		c.Caller = &identity.Principal{Type: identity.IAMUser, AccountID: account, ARN: p.arn, PrincipalARN: p.arn, UserID: p.id, UserName: p.name, Tags: p.tags}
		if r.IntN(2) == 0 {
			c.Caller.Session = &identity.Session{Issuer: "GetSessionToken", AccountID: account, PrincipalID: p.id, UserName: p.name, UserARN: p.arn,
				MFA: mfa, MFAAuthTime: now.Add(-time.Minute), IssuedAt: now.Add(-time.Minute)}
		}
	case "role":
		sessionARN := "arn:aws:sts::" + account + ":assumed-role/" + p.name + "/s"
		c.Caller = &identity.Principal{Type: identity.AssumedRole, AccountID: account, ARN: sessionARN, PrincipalARN: p.arn, UserID: p.id + ":s", Tags: p.tags,
			Session: &identity.Session{Issuer: "AssumeRole", AccountID: account, PrincipalID: p.id, RoleARN: p.arn, RoleName: p.name, RoleID: p.id, SessionName: "s",
				MFA: mfa, MFAAuthTime: now.Add(-time.Minute), IssuedAt: now.Add(-time.Minute)}}
	}
	return c
}

// contextType is the ContextKeyType a client would declare for a key.
func contextType(key string) string {
	switch key {
	case "aws:sourceip":
		return "ip"
	case "aws:multifactorauthpresent", "aws:securetransport":
		return "boolean"
	case "aws:currenttime", "aws:tokenissuetime":
		return "date"
	case "aws:epochtime", "aws:multifactorauthage":
		return "numeric"
	}
	return "string"
}

// enforced is the authorizer's decision, in the simulator's words.
func enforced(ctx context.Context, t *testing.T, az *authz.Authorizer, call *identity.Call, action, resource string, extra map[string][]string) string {
	t.Helper()
	err := az.Evaluate(ctx, call, &authz.Check{Action: action, Resource: resource, Extra: extra})
	if err == nil {
		return "allowed"
	}
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != awserr.AccessDenied {
		t.Fatalf("Evaluate(%s, %s) = %v, want nil or AccessDenied", action, resource, err)
	}
	if strings.Contains(ae.Message, " with an explicit deny in ") {
		return "explicitDeny"
	}
	return "implicitDeny"
}

// simulated is SimulatePrincipalPolicy's decision for the same request,
// given the authorizer's request context as ContextEntries.
func simulated(ctx context.Context, t *testing.T, svc *iam.Service, p principal, call *identity.Call, action, resource string, extra map[string][]string) string {
	t.Helper()
	cm := authz.Context(call, extra)
	keys := make([]string, 0, len(cm))
	for k := range cm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: p.arn, ActionNames: []string{action}}
	if resource != "*" {
		in.ResourceArns = []string{resource}
	}
	for _, k := range keys {
		in.ContextEntries = append(in.ContextEntries, iam.ContextEntry{ContextKeyName: k, ContextKeyValues: cm[k], ContextKeyType: contextType(k)})
	}
	out, err := svc.SimulatePrincipalPolicy(ctx, rootCall, in)
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy(%s, %s, %s) = %v", p.arn, action, resource, err)
	}
	if len(out.EvaluationResults) != 1 {
		t.Fatalf("SimulatePrincipalPolicy returned %d results, want 1", len(out.EvaluationResults))
	}
	return out.EvaluationResults[0].EvalDecision
}

// decisive reports which kinds of gathered policy the decision depends on:
// for each of the boundary, group policies and AWS managed policies,
// whether leaving them out (what a gathering path that forgot them would
// do) changes the decision. The test requires each to decide enough cases,
// so a path that drops one fails it.
func decisive(ctx context.Context, t *testing.T, svc *iam.Service, call *identity.Call, action, resource string, extra map[string][]string) map[string]bool {
	t.Helper()
	set, err := svc.PrincipalPolicies(ctx, call.Caller)
	if err != nil {
		t.Fatal(err)
	}
	req := &policy.Request{Principal: authz.PolicyPrincipal(call.Caller), Action: action, Resource: resource, Context: authz.Context(call, extra)}
	decide := func(drop func(perm.Source) bool, boundary *policy.Policy) policy.Decision {
		in := &policy.Input{Boundary: boundary}
		for i, p := range set.Identity {
			if !drop(set.Sources[i]) {
				in.Identity = append(in.Identity, p)
			}
		}
		return policy.Evaluate(req, in).Decision
	}
	keep := func(perm.Source) bool { return false }
	all := decide(keep, set.Boundary)
	return map[string]bool{
		"boundary":    set.Boundary != nil && decide(keep, nil) != all,
		"group":       decide(func(s perm.Source) bool { return s.Type == perm.Group }, set.Boundary) != all,
		"aws-managed": decide(func(s perm.Source) bool { return s.Type == perm.AWSManaged }, set.Boundary) != all,
	}
}

func TestSimulatorAgreesWithEnforcement(t *testing.T) {
	ctx := t.Context()
	r := rand.New(rand.NewPCG(seed, seed))
	w := newWorld(t, r)
	az := authz.New(w.svc, nil, nil)

	counts, decides := map[string]int{}, map[string]int{}
	var withGroups, withBoundary, roles, mismatches int
	for i := range cases {
		p := w.principals[r.IntN(len(w.principals))]
		call := p.call(r)
		action := actions[r.IntN(len(actions))]
		resource := resources[r.IntN(len(resources))]
		var extra map[string][]string
		if v := r.IntN(3); v < 2 {
			extra = map[string][]string{"aws:RequestTag/env": {[]string{"prod", "dev"}[v]}}
		}
		want := enforced(ctx, t, az, call, action, resource, extra)
		got := simulated(ctx, t, w.svc, p, call, action, resource, extra)
		counts[want]++
		for k, v := range decisive(ctx, t, w.svc, call, action, resource, extra) {
			if v {
				decides[k]++
			}
		}
		if p.groups > 0 {
			withGroups++
		}
		if p.boundary {
			withBoundary++
		}
		if p.kind == "role" {
			roles++
		}
		if got != want {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("case %d: %s %s (groups %d, inline %d, attached %d, boundary %v) %s on %s, context %v: simulator says %s, enforcement %s",
					i, p.kind, p.name, p.groups, p.inline, p.attached, p.boundary, action, resource, authz.Context(call, extra), got, want)
			}
		}
	}
	t.Logf("%d cases: %d allowed, %d explicit denies, %d implicit denies; %d of principals with groups, %d with a boundary, %d of roles; decided by the boundary %d, by group policies %d, by AWS managed policies %d; %d mismatches",
		cases, counts["allowed"], counts["explicitDeny"], counts["implicitDeny"], withGroups, withBoundary, roles,
		decides["boundary"], decides["group"], decides["aws-managed"], mismatches)
	if mismatches > 0 {
		t.Fatalf("%d of %d cases disagree", mismatches, cases)
	}
	// Each decision must be common, or agreement could be trivial (every
	// case an implicit deny agrees whatever was gathered).
	for _, d := range []string{"allowed", "explicitDeny", "implicitDeny"} {
		if counts[d]*10 < cases {
			t.Errorf("%s in %d of %d cases, want at least 10%%", d, counts[d], cases)
		}
	}
	// And each kind of policy a gathering path could forget must decide
	// enough cases for the forgetting to show.
	for what, n := range decides {
		if n*50 < cases {
			t.Errorf("the %s policies decide %d of %d cases, want at least 2%%", what, n, cases)
		}
	}
	for what, n := range map[string]int{"users with groups": withGroups, "principals with a boundary": withBoundary, "roles": roles} {
		if n*10 < cases {
			t.Errorf("%s in %d of %d cases, want at least 10%%", what, n, cases)
		}
	}
}
