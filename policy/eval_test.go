package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	aliceA  = "arn:aws:iam::111122223333:user/alice"
	bobB    = "arn:aws:iam::444455556666:user/bob"
	devRole = "arn:aws:iam::111122223333:role/Dev"
	devSess = "arn:aws:sts::111122223333:assumed-role/Dev/sess"
	fedUser = "arn:aws:sts::111122223333:federated-user/fed"
	bucketK = "arn:aws:s3:::bucket/key"
)

func stmts(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }

func pol(t *testing.T, kind Kind, s string) *Policy {
	t.Helper()
	p, err := Parse(stmts(s), kind)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", s, err)
	}
	return p
}

func TestEvaluateRules(t *testing.T) {
	allowAll := `{"Effect":"Allow","Action":"*","Resource":"*"}`
	allowGet := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
	allowPut := `{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`
	denyGet := `{"Sid":"NoGet","Effect":"Deny","Action":"s3:Get*","Resource":"*"}`
	bucketPolicy := func(principal string) string {
		return `{"Sid":"Bucket","Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}`
	}
	type policies struct {
		identity []string
		boundary string
		session  []string // nil: none
		noPolicy bool     // session with an empty policy list
		resource string
		trust    bool
	}
	cases := []struct {
		name      string
		principal Principal
		action    string
		resource  string
		p         policies
		root      bool
		cross     bool
		want      Decision
		wantType  PolicyType
	}{
		{"default deny", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{}, false, false, ImplicitDeny, IdentityBased},
		{"identity allow", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}}, false, false, Allow, IdentityBased},
		{"explicit deny wins", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowAll, denyGet}}, false, false, ExplicitDeny, IdentityBased},
		{"deny in boundary", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, boundary: allowAll + "," + denyGet}, false, false, ExplicitDeny, PermissionsBoundary},
		{"boundary must allow", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, boundary: allowPut}, false, false, ImplicitDeny, PermissionsBoundary},
		{"boundary alone grants nothing", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{boundary: allowAll}, false, false, ImplicitDeny, IdentityBased},
		{"boundary intersects", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, boundary: allowGet}, false, false, Allow, IdentityBased},
		{"session policy intersects", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, session: []string{allowPut}}, false, false, ImplicitDeny, SessionPolicy},
		{"session policies are a union", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, session: []string{allowPut, allowGet}}, false, false, Allow, IdentityBased},
		{"no session policy inherits role", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}}, false, false, Allow, IdentityBased},
		{"federated user without policy", Principal{ARN: fedUser}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, noPolicy: true}, false, false, ImplicitDeny, SessionPolicy},
		{"deny in session policy", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{identity: []string{allowAll}, session: []string{allowAll + "," + denyGet}}, false, false, ExplicitDeny, SessionPolicy},
		{"root allowed", Principal{ARN: "arn:aws:iam::111122223333:root"}, "iam:CreateUser", aliceA, policies{}, true, false, Allow, NoPolicy},
		{"root denied by resource policy", Principal{ARN: "arn:aws:iam::111122223333:root"}, "s3:GetObject", bucketK, policies{resource: `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`}, true, false, ExplicitDeny, ResourceBased},
		// Same-account resource-based policies, per principal type.
		{"bucket policy names user", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + aliceA + `"}`), boundary: allowPut}, false, false, Allow, ResourceBased},
		{"bucket policy names account", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + acctA + `"}`)}, false, false, ImplicitDeny, IdentityBased},
		{"bucket policy names account root", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"arn:aws:iam::` + acctA + `:root"}`), identity: []string{allowGet}}, false, false, Allow, IdentityBased},
		{"bucket policy names session", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + devSess + `"}`), session: []string{allowPut}}, false, false, Allow, ResourceBased},
		{"bucket policy names role, session policy limits", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + devRole + `"}`), session: []string{allowPut}}, false, false, ImplicitDeny, SessionPolicy},
		{"bucket policy names role, boundary limits", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + devRole + `"}`), boundary: allowPut}, false, false, ImplicitDeny, PermissionsBoundary},
		{"bucket policy names role", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + devRole + `"}`)}, false, false, Allow, ResourceBased},
		{"bucket policy star for user", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`"*"`)}, false, false, Allow, ResourceBased},
		{"bucket policy star for session with session policy", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`"*"`), session: []string{allowPut}}, false, false, ImplicitDeny, SessionPolicy},
		{"bucket policy for anonymous", Principal{}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`"*"`)}, false, false, Allow, ResourceBased},
		{"bucket policy other user", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, false, false, ImplicitDeny, IdentityBased},
		{"bucket policy names federated user", Principal{ARN: fedUser, RoleARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + fedUser + `"}`), noPolicy: true}, false, false, Allow, ResourceBased},
		{"bucket policy names the federating user", Principal{ARN: fedUser, RoleARN: aliceA}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + aliceA + `"}`), noPolicy: true}, false, false, ImplicitDeny, SessionPolicy},
		// Cross-account: both sides.
		{"cross-account resource only", Principal{ARN: bobB}, "s3:GetObject", bucketK, policies{resource: bucketPolicy(`{"AWS":"` + acctB + `"}`)}, false, true, ImplicitDeny, IdentityBased},
		{"cross-account identity only", Principal{ARN: bobB}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}}, false, true, ImplicitDeny, ResourceBased},
		{"cross-account both", Principal{ARN: bobB}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}, resource: bucketPolicy(`{"AWS":"` + acctB + `"}`)}, false, true, Allow, ResourceBased},
		{"cross-account boundary", Principal{ARN: bobB}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}, boundary: allowPut, resource: bucketPolicy(`{"AWS":"` + bobB + `"}`)}, false, true, ImplicitDeny, PermissionsBoundary},
		// Trust policies.
		{"trust names user", Principal{ARN: aliceA}, "sts:AssumeRole", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":{"AWS":"` + aliceA + `"},"Action":"sts:AssumeRole"}`}, false, false, Allow, ResourceBased},
		{"trust names account, no identity", Principal{ARN: aliceA}, "sts:AssumeRole", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":{"AWS":"` + acctA + `"},"Action":"sts:AssumeRole"}`}, false, false, ImplicitDeny, IdentityBased},
		{"trust names account, identity allows", Principal{ARN: aliceA}, "sts:AssumeRole", devRole, policies{trust: true, identity: []string{`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/*"}`}, resource: `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"sts:AssumeRole"}`}, false, false, Allow, IdentityBased},
		{"trust must allow", Principal{ARN: aliceA}, "sts:AssumeRole", devRole, policies{trust: true, identity: []string{allowAll}, resource: `{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"sts:AssumeRole"}`}, false, false, ImplicitDeny, ResourceBased},
		{"trust cross-account needs identity", Principal{ARN: bobB}, "sts:AssumeRole", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":{"AWS":"` + bobB + `"},"Action":"sts:AssumeRole"}`}, false, true, ImplicitDeny, IdentityBased},
		{"trust cross-account", Principal{ARN: bobB}, "sts:AssumeRole", devRole, policies{trust: true, identity: []string{allowAll}, resource: `{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"sts:AssumeRole"}`}, false, true, Allow, ResourceBased},
		{"trust names role for its sessions", Principal{ARN: devSess, RoleARN: devRole}, "sts:AssumeRole", "arn:aws:iam::111122223333:role/Other", policies{trust: true, resource: `{"Effect":"Allow","Principal":{"AWS":"` + devRole + `"},"Action":"sts:AssumeRole"}`}, false, false, Allow, ResourceBased},
		{"web identity", Principal{Federated: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "sts:AssumeRoleWithWebIdentity", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`}, false, false, Allow, ResourceBased},
		{"service principal", Principal{Service: "ec2.amazonaws.com"}, "sts:AssumeRole", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}`}, false, false, Allow, ResourceBased},
		{"trust explicit deny", Principal{ARN: aliceA}, "sts:AssumeRole", devRole, policies{trust: true, resource: `{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"` + aliceA + `"},"Action":"sts:*"}`}, false, false, ExplicitDeny, ResourceBased},
		// NotPrincipal with Deny.
		{"NotPrincipal excludes", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}, resource: `{"Effect":"Deny","NotPrincipal":{"AWS":"` + aliceA + `"},"Action":"s3:*","Resource":"*"}`}, false, false, Allow, IdentityBased},
		{"NotPrincipal denies others", Principal{ARN: devSess, RoleARN: devRole}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}, resource: `{"Effect":"Deny","NotPrincipal":{"AWS":"` + aliceA + `"},"Action":"s3:*","Resource":"*"}`}, false, false, ExplicitDeny, ResourceBased},
		{"NotPrincipal always denies a principal with a boundary", Principal{ARN: aliceA}, "s3:GetObject", bucketK, policies{identity: []string{allowGet}, boundary: allowAll, resource: `{"Effect":"Deny","NotPrincipal":{"AWS":"` + aliceA + `"},"Action":"s3:*","Resource":"*"}`}, false, false, ExplicitDeny, ResourceBased},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &Input{IsRoot: tc.root, CrossAccount: tc.cross}
			for _, s := range tc.p.identity {
				in.Identity = append(in.Identity, pol(t, Identity, s))
			}
			if tc.p.boundary != "" {
				in.Boundary = pol(t, Boundary, tc.p.boundary)
			}
			for _, s := range tc.p.session {
				in.Session = append(in.Session, pol(t, Session, s))
			}
			if tc.p.noPolicy {
				in.Session = []*Policy{}
			}
			if tc.p.resource != "" {
				k := Resource
				if tc.p.trust {
					k = Trust
				}
				in.Resource = pol(t, k, tc.p.resource)
			}
			req := &Request{Principal: tc.principal, Action: tc.action, Resource: tc.resource}
			got := Evaluate(req, in)
			if got.Decision != tc.want || got.Type != tc.wantType {
				t.Errorf("Evaluate = %v by %q, want %v by %q", got.Decision, got.Type, tc.want, tc.wantType)
			}
		})
	}
}

func TestWildcardsAndNot(t *testing.T) {
	cases := []struct {
		name     string
		stmt     string
		action   string
		resource string
		want     bool
	}{
		{"action case-insensitive", `{"Effect":"Allow","Action":"IAM:listaccesskeys","Resource":"*"}`, "iam:ListAccessKeys", "*", true},
		{"action wildcard", `{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"}`, "iam:ListAccessKeys", "*", true},
		{"action question", `{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}`, "s3:GetObject", "*", true},
		{"action question one char", `{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}`, "s3:PutObject", "*", false},
		{"action other service", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, "iam:GetUser", "*", false},
		{"NotAction", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`, "s3:GetObject", "*", true},
		{"NotAction excluded", `{"Effect":"Allow","NotAction":["iam:*","s3:*"],"Resource":"*"}`, "s3:GetObject", "*", false},
		{"resource case-sensitive", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:user/Bob"}`, "iam:GetUser", "arn:aws:iam::111122223333:user/bob", false},
		{"resource path wildcard", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:user/division_abc/*"}`, "iam:GetUser", "arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/bob", true},
		{"resource account wildcard", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/*"}`, "iam:GetUser", aliceA, true},
		{"resource region wildcard matches empty", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:*:*:*"}`, "s3:GetObject", bucketK, true},
		{"resource wildcard stays in its field", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::1*3:user/x"}`, "iam:GetUser", "arn:aws:iam::1:2:3:user/x", false},
		{"resource short pattern", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::*"}`, "s3:GetObject", bucketK, true},
		{"NotResource", `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::secret/*"}`, "s3:GetObject", bucketK, true},
		{"NotResource excluded", `{"Effect":"Allow","Action":"*","NotResource":["arn:aws:s3:::secret/*","arn:aws:s3:::bucket/*"]}`, "s3:GetObject", bucketK, false},
		{"resource variable", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}`, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/f", true},
		{"resource variable other user", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}`, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/f", false},
		{"resource variable default", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}`, "s3:GetObject", "arn:aws:s3:::bucket/shared/f", true},
		{"resource variable value not a wildcard", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/dept}/f"}`, "s3:GetObject", "arn:aws:s3:::bucket/x/f", false},
		{"resource escape", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/${*}"}`, "s3:GetObject", "arn:aws:s3:::bucket/*", true},
		{"resource escape is literal", `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/${*}"}`, "s3:GetObject", "arn:aws:s3:::bucket/x", false},
		{"unresolved variable in NotResource", `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::bucket/${aws:userid}/*"}`, "s3:GetObject", "arn:aws:s3:::bucket/x", false},
		{"unresolvable NotResource of another service", `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::111122223333:user/${aws:userid}"}`, "s3:GetObject", bucketK, true},
	}
	ctx := NewContext(map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/dept": {"*"}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pol(t, Identity, tc.stmt)
			got := Evaluate(&Request{Action: tc.action, Resource: tc.resource, Context: ctx}, &Input{Identity: []*Policy{p}}).Decision == Allow
			if got != tc.want {
				t.Errorf("%s on %s: allowed = %v, want %v", tc.action, tc.resource, got, tc.want)
			}
		})
	}
}

func TestVersion2008HasNoVariables(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}}`
	p, err := Parse(doc, InlineUser)
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(map[string][]string{"aws:username": {"alice"}})
	for res, want := range map[string]bool{"arn:aws:s3:::b/alice": false, "arn:aws:s3:::b/${aws:username}": true} {
		got := Evaluate(&Request{Action: "s3:GetObject", Resource: res, Context: ctx}, &Input{Identity: []*Policy{p}}).Decision == Allow
		if got != want {
			t.Errorf("2008-10-17 policy on %s: allowed = %v, want %v", res, got, want)
		}
	}
}

func TestAccessDeniedMessage(t *testing.T) {
	const res = "arn:aws:iam::111122223333:user/carol"
	cases := []struct {
		r      Result
		action string
		want   string
	}{
		{Result{Type: IdentityBased}, "iam:CreateUser", "User: " + aliceA + " is not authorized to perform: iam:CreateUser on resource: " + res + " because no identity-based policy allows the iam:CreateUser action"},
		{Result{Type: PermissionsBoundary}, "iam:CreateUser", "User: " + aliceA + " is not authorized to perform: iam:CreateUser on resource: " + res + " because no permissions boundary allows the iam:CreateUser action"},
		{Result{Type: SessionPolicy}, "iam:CreateUser", "User: " + aliceA + " is not authorized to perform: iam:CreateUser on resource: " + res + " because no session policy allows the iam:CreateUser action"},
		{Result{Type: ResourceBased}, "iam:CreateUser", "User: " + aliceA + " is not authorized to perform: iam:CreateUser on resource: " + res + " because no resource-based policy allows the iam:CreateUser action"},
		{Result{Decision: ExplicitDeny, Type: IdentityBased}, "iam:DeleteUser", "User: " + aliceA + " is not authorized to perform: iam:DeleteUser on resource: " + res + " with an explicit deny in an identity-based policy"},
		{Result{Decision: ExplicitDeny, Type: PermissionsBoundary}, "iam:DeleteUser", "User: " + aliceA + " is not authorized to perform: iam:DeleteUser on resource: " + res + " with an explicit deny in a permissions boundary"},
		{Result{Decision: ExplicitDeny, Type: SessionPolicy}, "iam:DeleteUser", "User: " + aliceA + " is not authorized to perform: iam:DeleteUser on resource: " + res + " with an explicit deny in a session policy"},
		{Result{Decision: ExplicitDeny, Type: ResourceBased}, "iam:DeleteUser", "User: " + aliceA + " is not authorized to perform: iam:DeleteUser on resource: " + res + " with an explicit deny in a resource-based policy"},
		{Result{Type: ResourceBased}, "sts:AssumeRole", "User: " + aliceA + " is not authorized to perform: sts:AssumeRole on resource: " + res},
	}
	for _, tc := range cases {
		if got := AccessDeniedMessage(aliceA, tc.action, res, tc.r); got != tc.want {
			t.Errorf("AccessDeniedMessage(%v) =\n%q, want\n%q", tc.r, got, tc.want)
		}
	}
	if got := AccessDeniedMessage("", "s3:GetObject", "", Result{Type: IdentityBased}); got != "User: anonymous is not authorized to perform: s3:GetObject because no identity-based policy allows the s3:GetObject action" {
		t.Errorf("anonymous message = %q", got)
	}
}

func TestExplain(t *testing.T) {
	id := pol(t, Identity, `{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
		{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}`)
	bd := pol(t, Boundary, `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"}`)
	req := &Request{Principal: Principal{ARN: aliceA}, Action: "s3:GetObject", Resource: bucketK, Context: ContextMap{}}
	r, x := Explain(req, &Input{Identity: []*Policy{id}, Boundary: bd})
	if r.Decision != ImplicitDeny || r != Evaluate(req, &Input{Identity: []*Policy{id}, Boundary: bd}) {
		t.Fatalf("Explain result %+v differs from Evaluate", r)
	}
	want := &Explanation{
		Decision:           "implicitDeny",
		DecidedBy:          "identity-based policy",
		Matched:            []MatchedStatement{},
		MissingContextKeys: []string{"aws:MultiFactorAuthPresent", "aws:PrincipalTag/team"},
	}
	if diff := cmp.Diff(want, x); diff != "" {
		t.Errorf("Explain mismatch (-want +got):\n%s", diff)
	}
	req.Action = "s3:DeleteObject"
	r, x = Explain(req, &Input{Identity: []*Policy{id}})
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"decision":"explicitDeny","decidedBy":"identity-based policy","decisiveStatement":{"policyType":"identity-based policy","policyIndex":0,"statementIndex":1,"sid":"NoDelete","effect":"Deny"},"matchedStatements":[{"policyType":"identity-based policy","policyIndex":0,"statementIndex":1,"sid":"NoDelete","effect":"Deny"}],"missingContextValues":[]}`
	if string(b) != wantJSON || r.Statement.Sid != "NoDelete" {
		t.Errorf("Explain JSON =\n%s\nwant\n%s", b, wantJSON)
	}
}

func TestPrincipalAccount(t *testing.T) {
	for arn, want := range map[string]string{
		aliceA: acctA, devSess: acctA, "arn:aws:iam::111122223333:root": acctA, "": "", "arn:aws:iam": "",
	} {
		p := Principal{ARN: arn}
		if got := p.account(); got != want {
			t.Errorf("account(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestContextHelpers(t *testing.T) {
	ctx := ContextMap{}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.FixedZone("x", 3600))
	ctx.Set(KeyCurrentTime, FormatTime(now))
	ctx.Set(KeyEpochTime, FormatEpoch(now))
	ctx.SetTags(KeyPrincipalTagPrefix, map[string]string{"Team": "dev"})
	want := ContextMap{"aws:currenttime": {"2026-11-26T11:00:00Z"}, "aws:epochtime": {"1795690800"}, "aws:principaltag/team": {"dev"}}
	if diff := cmp.Diff(want, ctx); diff != "" {
		t.Errorf("context (-want +got):\n%s", diff)
	}
	p := pol(t, Identity, `{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"dev"},"DateGreaterThan":{"aws:EpochTime":"2026-11-26T10:59:59Z"}}}`)
	if r := Evaluate(&Request{Action: "s3:GetObject", Resource: "*", Context: ctx}, &Input{Identity: []*Policy{p}}); r.Decision != Allow {
		t.Errorf("Evaluate = %v, want allowed", r.Decision)
	}
}
