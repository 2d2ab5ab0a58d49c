package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// This file drives IAM's policy simulator (SimulatePrincipalPolicy,
// SimulateCustomPolicy, GetContextKeysFor*Policy) through the SDK, over
// the same cases policy_enforcement_test.go enforces.

// simResult is the comparable summary of one EvaluationResult.
type simResult struct {
	Action, Resource, Decision string
	Matched                    []string // "SourcePolicyId/SourcePolicyType@line:col-line:col"
	Missing                    []string
	Boundary                   string // "", "true", "false"
	Orgs                       string
}

func summarize(rs []iamtypes.EvaluationResult) []simResult {
	out := make([]simResult, 0, len(rs))
	for _, r := range rs {
		s := simResult{Action: aws.ToString(r.EvalActionName), Resource: aws.ToString(r.EvalResourceName), Decision: string(r.EvalDecision),
			Matched: statements(r.MatchedStatements), Missing: r.MissingContextValues}
		if r.PermissionsBoundaryDecisionDetail != nil {
			s.Boundary = boolText(r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary)
		}
		if r.OrganizationsDecisionDetail != nil {
			s.Orgs = boolText(r.OrganizationsDecisionDetail.AllowedByOrganizations)
		}
		out = append(out, s)
	}
	return out
}

func statements(ss []iamtypes.Statement) []string {
	out := []string{}
	for _, st := range ss {
		s := aws.ToString(st.SourcePolicyId) + "/" + string(st.SourcePolicyType)
		if st.StartPosition != nil && st.EndPosition != nil {
			s += "@" + itoa(st.StartPosition.Line) + ":" + itoa(st.StartPosition.Column) + "-" + itoa(st.EndPosition.Line) + ":" + itoa(st.EndPosition.Column)
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int32) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func ctxEntry(key string, typ iamtypes.ContextKeyTypeEnum, values ...string) iamtypes.ContextEntry {
	return iamtypes.ContextEntry{ContextKeyName: aws.String(key), ContextKeyType: typ, ContextKeyValues: values}
}

func diffResults(t *testing.T, what string, got []iamtypes.EvaluationResult, want []simResult) {
	t.Helper()
	if d := cmp.Diff(want, summarize(got)); d != "" {
		t.Errorf("%s: results differ (-want +got):\n%s", what, d)
	}
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()
	user := func(n string) string { return "arn:aws:iam::" + acct + ":user/" + n }
	sim := func(in *iam.SimulatePrincipalPolicyInput) []iamtypes.EvaluationResult {
		t.Helper()
		out, err := root.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			t.Fatalf("SimulatePrincipalPolicy(%s, %v): %v", aws.ToString(in.PolicySourceArn), in.ActionNames, err)
		}
		return out.EvaluationResults
	}

	// gina: a group's inline and managed policies, her own inline policy.
	e.newUser(t, "gina")
	_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")})
	must0(t, err)
	_, err = root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(allow(`"iam:ListUsers"`, "*"))})
	must0(t, err)
	listRoles := e.createPolicy(t, "ListRoles", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Action\": \"iam:ListRoles\",\n    \"Resource\": \"*\"\n  }\n}")
	_, err = root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String(listRoles)})
	must0(t, err)
	_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("gina")})
	must0(t, err)
	e.putUserPolicy(t, "gina", "own", `{"Version":"2012-10-17","Statement":[
{"Sid":"OwnKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
{"Sid":"MFA","Effect":"Allow","Action":"iam:CreateGroup","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
{"Sid":"IP","Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
{"Sid":"Tags","Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
{"Sid":"Team","Effect":"Allow","Action":"iam:GetGroup","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
{"Sid":"NotDelete","Effect":"Allow","NotAction":["iam:Delete*","iam:Create*","iam:List*","iam:GetGroup"],"NotResource":"arn:aws:iam::*:user/admin"}]}`)

	t.Run("Sources", func(t *testing.T) {
		got := sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"iam:ListUsers", "iam:ListRoles", "iam:DeleteUser"}})
		diffResults(t, "gina", got, []simResult{
			{Action: "iam:ListUsers", Resource: "*", Decision: "allowed", Matched: []string{"group_readers_list-users/group@1:38-1:95"}, Missing: []string{}},
			{Action: "iam:ListRoles", Resource: "*", Decision: "allowed", Matched: []string{"ListRoles/user-managed@3:16-7:3"}, Missing: []string{}},
			{Action: "iam:DeleteUser", Resource: "*", Decision: "implicitDeny", Matched: []string{}, Missing: []string{}},
		})
		if got[0].ResourceSpecificResults != nil {
			t.Errorf("ResourceSpecificResults without ResourceArns = %v, want none", got[0].ResourceSpecificResults)
		}
	})

	t.Run("Conditions", func(t *testing.T) {
		own := "user_gina_own/user@"
		got := sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")),
			ActionNames: []string{"iam:CreateAccessKey"}, ResourceArns: []string{user("gina"), user("vic")}})
		diffResults(t, "no context", got, []simResult{
			{Action: "iam:CreateAccessKey", Resource: user("gina"), Decision: "implicitDeny", Matched: []string{}, Missing: []string{"aws:username"}},
			{Action: "iam:CreateAccessKey", Resource: user("vic"), Decision: "implicitDeny", Matched: []string{}, Missing: []string{"aws:username"}},
		})
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")),
			ActionNames: []string{"iam:CreateAccessKey"}, ResourceArns: []string{user("gina"), user("vic")},
			ContextEntries: []iamtypes.ContextEntry{ctxEntry("aws:username", iamtypes.ContextKeyTypeEnumString, "gina")}})
		diffResults(t, "aws:username", got, []simResult{
			{Action: "iam:CreateAccessKey", Resource: user("gina"), Decision: "allowed", Matched: []string{own + "2:1-2:137"}, Missing: []string{}},
			{Action: "iam:CreateAccessKey", Resource: user("vic"), Decision: "implicitDeny", Matched: []string{}, Missing: []string{}},
		})
		rs := got[0].ResourceSpecificResults
		if len(rs) != 1 || aws.ToString(rs[0].EvalResourceName) != user("gina") || rs[0].EvalResourceDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			t.Errorf("ResourceSpecificResults = %+v", rs)
		}

		cases := []struct {
			name    string
			action  string
			entries []iamtypes.ContextEntry
			want    string
			missing []string
		}{
			{"mfa absent", "iam:CreateGroup", nil, "implicitDeny", []string{"aws:MultiFactorAuthPresent"}},
			{"mfa false", "iam:CreateGroup", []iamtypes.ContextEntry{ctxEntry("aws:MultiFactorAuthPresent", iamtypes.ContextKeyTypeEnumBoolean, "false")}, "implicitDeny", []string{}},
			{"mfa true", "iam:CreateGroup", []iamtypes.ContextEntry{ctxEntry("aws:multifactorauthpresent", iamtypes.ContextKeyTypeEnumBoolean, "true")}, "allowed", []string{}},
			{"ip absent", "iam:ListPolicies", nil, "implicitDeny", []string{"aws:SourceIp"}},
			{"ip in range", "iam:ListPolicies", []iamtypes.ContextEntry{ctxEntry("aws:SourceIp", iamtypes.ContextKeyTypeEnumIp, "127.0.0.1")}, "allowed", []string{}},
			{"ip outside", "iam:ListPolicies", []iamtypes.ContextEntry{ctxEntry("aws:SourceIp", iamtypes.ContextKeyTypeEnumIp, "10.1.2.3")}, "implicitDeny", []string{}},
			{"tags", "iam:CreateUser", []iamtypes.ContextEntry{ctxEntry("aws:RequestTag/team", iamtypes.ContextKeyTypeEnumString, "blue"),
				ctxEntry("aws:TagKeys", iamtypes.ContextKeyTypeEnumStringList, "team")}, "allowed", []string{}},
			{"extra tag key", "iam:CreateUser", []iamtypes.ContextEntry{ctxEntry("aws:RequestTag/team", iamtypes.ContextKeyTypeEnumString, "blue"),
				ctxEntry("aws:TagKeys", iamtypes.ContextKeyTypeEnumStringList, "team", "cost")}, "implicitDeny", []string{}},
			{"principal tag", "iam:GetGroup", []iamtypes.ContextEntry{ctxEntry("aws:PrincipalTag/team", iamtypes.ContextKeyTypeEnumString, "blue")}, "allowed", []string{}},
			{"principal tag red", "iam:GetGroup", []iamtypes.ContextEntry{ctxEntry("aws:PrincipalTag/team", iamtypes.ContextKeyTypeEnumString, "red")}, "implicitDeny", []string{}},
		}
		for _, tc := range cases {
			got := sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{tc.action}, ContextEntries: tc.entries})
			if string(got[0].EvalDecision) != tc.want || !cmp.Equal(got[0].MissingContextValues, tc.missing) {
				t.Errorf("%s: %s, missing %v; want %s, missing %v", tc.name, got[0].EvalDecision, got[0].MissingContextValues, tc.want, tc.missing)
			}
		}

		// NotAction / NotResource.
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"iam:GetUser", "iam:DeleteRole"},
			ResourceArns: []string{user("bob"), user("admin")}})
		var decisions []string
		for _, r := range got {
			decisions = append(decisions, string(r.EvalDecision))
		}
		if want := "allowed implicitDeny implicitDeny implicitDeny"; strings.Join(decisions, " ") != want {
			t.Errorf("NotAction/NotResource decisions = %v, want %s", decisions, want)
		}
	})

	// bea: iam:* with a deny, cut down by a boundary that denies too.
	e.newUser(t, "bea")
	e.putUserPolicy(t, "bea", "admin", `{"Version":"2012-10-17","Statement":[
  {"Sid":"Admin","Effect":"Allow","Action":"iam:*","Resource":"*"},
  {"Sid":"KeepAlice","Effect":"Deny","Action":"iam:DeleteUser","Resource":"arn:aws:iam::*:user/alice"}]}`)
	boundary := e.createPolicy(t, "ReadOnlyBoundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:ListAccessKeys","Resource":"*"}]}`)
	_, err = root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bea"), PermissionsBoundary: aws.String(boundary)})
	must0(t, err)

	t.Run("BoundaryAndDeny", func(t *testing.T) {
		got := sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("bea")),
			ActionNames: []string{"iam:ListUsers", "iam:CreateUser", "iam:ListAccessKeys", "iam:DeleteUser"}, ResourceArns: []string{user("alice")}})
		admin, bd := "user_bea_admin/user@", "ReadOnlyBoundary/user-managed@"
		diffResults(t, "bea", got, []simResult{
			{Action: "iam:ListUsers", Resource: user("alice"), Decision: "allowed", Matched: []string{admin + "2:3-2:66", bd + "1:38-1:104"}, Missing: []string{}, Boundary: "true"},
			{Action: "iam:CreateUser", Resource: user("alice"), Decision: "implicitDeny", Matched: []string{}, Missing: []string{}, Boundary: "false"},
			{Action: "iam:ListAccessKeys", Resource: user("alice"), Decision: "explicitDeny", Matched: []string{bd + "1:106-1:167"}, Missing: []string{}, Boundary: "false"},
			{Action: "iam:DeleteUser", Resource: user("alice"), Decision: "explicitDeny", Matched: []string{admin + "3:3-3:102"}, Missing: []string{}, Boundary: "false"},
		})

		// A boundary passed in the request replaces the attached one;
		// PolicyInputList adds documents.
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("bea")), ActionNames: []string{"iam:CreateUser", "iam:CreateGroup"},
			PermissionsBoundaryPolicyInputList: []string{allow(`"iam:Create*"`, "*")},
			PolicyInputList:                    []string{`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:CreateGroup","Resource":"*"}}`}})
		diffResults(t, "bea with request policies", got, []simResult{
			{Action: "iam:CreateUser", Resource: "*", Decision: "allowed", Matched: []string{admin + "2:3-2:66", "PermissionsBoundaryPolicyInputList.1/none@1:38-1:93"}, Missing: []string{}, Boundary: "true"},
			{Action: "iam:CreateGroup", Resource: "*", Decision: "explicitDeny", Matched: []string{"PolicyInputList.1/none@1:37-1:95"}, Missing: []string{}, Boundary: "true"},
		})

		// Exclusions: without the inline policies nothing is allowed; without
		// the boundary, iam:* is.
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("bea")), ActionNames: []string{"iam:ListUsers"},
			PolicyExclusionList: []iamtypes.PolicyIdentifier{&iamtypes.PolicyIdentifierMemberPolicyType{Value: iamtypes.PolicyIdentifierPolicyTypeInline}}})
		if got[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
			t.Errorf("inline excluded: %s, want implicitDeny", got[0].EvalDecision)
		}
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("bea")), ActionNames: []string{"iam:CreateUser"},
			PolicyExclusionList: []iamtypes.PolicyIdentifier{&iamtypes.PolicyIdentifierMemberPolicyArn{Value: "arn:aws:iam::" + acct + ":policy/ReadOnly*"}}})
		if got[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || got[0].PermissionsBoundaryDecisionDetail != nil {
			t.Errorf("boundary excluded: %s %+v, want allowed without a boundary detail", got[0].EvalDecision, got[0].PermissionsBoundaryDecisionDetail)
		}
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("bea")), ActionNames: []string{"iam:ListUsers"},
			PolicyExclusionList: []iamtypes.PolicyIdentifier{&iamtypes.PolicyIdentifierMemberInlinePolicyIdentifier{Value: iamtypes.InlinePolicyIdentifierType{
				PolicyName: aws.String("admin"), AttachmentType: iamtypes.AttachmentTypeUser, AttachmentName: aws.String("bea")}}}})
		if got[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
			t.Errorf("inline policy excluded by name: %s, want implicitDeny", got[0].EvalDecision)
		}
	})

	t.Run("RolesAndGroups", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
		roleARN := e.createRole(t, "auditor", trust, 3600)
		_, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("auditor"), PolicyName: aws.String("read"), PolicyDocument: aws.String(allow(`"iam:Get*"`, "*"))})
		must0(t, err)
		got := sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN), ActionNames: []string{"iam:GetRole"}})
		diffResults(t, "role", got, []simResult{{Action: "iam:GetRole", Resource: "*", Decision: "allowed", Matched: []string{"role_auditor_read/role@1:38-1:90"}, Missing: []string{}}})
		got = sim(&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + acct + ":group/readers"), ActionNames: []string{"iam:ListUsers", "iam:CreateAccessKey"}})
		if got[0].EvalDecision != "allowed" || got[1].EvalDecision != "implicitDeny" {
			t.Errorf("group: %s %s, want allowed implicitDeny", got[0].EvalDecision, got[1].EvalDecision)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		actions := []string{"iam:ListUsers", "iam:ListRoles", "iam:GetUser"}
		var all []string
		in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: actions, MaxItems: aws.Int32(2)}
		for page := 0; ; page++ {
			out, err := root.SimulatePrincipalPolicy(ctx, in)
			must0(t, err)
			for _, r := range out.EvaluationResults {
				all = append(all, aws.ToString(r.EvalActionName))
			}
			if !out.IsTruncated {
				break
			}
			if page > 3 {
				t.Fatal("paging does not end")
			}
			in.Marker = out.Marker
		}
		if !cmp.Equal(all, actions) {
			t.Errorf("paged actions = %v, want %v", all, actions)
		}
		p := iam.NewSimulatePrincipalPolicyPaginator(root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: actions, MaxItems: aws.Int32(1)})
		n := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			must0(t, err)
			n += len(out.EvaluationResults)
		}
		if n != 3 {
			t.Errorf("paginator saw %d results, want 3", n)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("nobody")), ActionNames: []string{"iam:GetUser"}})
		apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
		_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + acct + ":policy/x"), ActionNames: []string{"iam:GetUser"}})
		apiError(t, err, "InvalidInput", "^Invalid ARN")
		_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"GetUser"}})
		apiError(t, err, "InvalidInput", "^Invalid action name GetUser")
		_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"iam:GetUser"},
			ContextEntries: []iamtypes.ContextEntry{ctxEntry("aws:SourceIp", iamtypes.ContextKeyTypeEnumIp, "not-an-ip")}})
		apiError(t, err, "InvalidInput", "Invalid value not-an-ip for context key aws:SourceIp of type ip.")
		_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"iam:GetUser"},
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser"}}`}})
		apiError(t, err, "InvalidInput", "^Invalid policy PolicyInputList.1: ")
	})

	t.Run("Authorization", func(t *testing.T) {
		// A non-root caller needs iam:SimulatePrincipalPolicy on the
		// simulated entity.
		sam := e.newUser(t, "sam")
		e.putUserPolicy(t, "sam", "sim", allow(`["iam:SimulatePrincipalPolicy","iam:GetContextKeysForPrincipalPolicy"]`, "arn:aws:iam::*:user/${aws:username}"))
		c := e.iam(sam)
		if _, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("sam")), ActionNames: []string{"iam:GetUser"}}); err != nil {
			t.Fatalf("simulating oneself: %v", err)
		}
		_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")), ActionNames: []string{"iam:GetUser"}})
		e.denied(t, err, user("sam"), "iam:SimulatePrincipalPolicy", user("gina"), "because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
		_, err = c.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(user("gina"))})
		e.denied(t, err, user("sam"), "iam:GetContextKeysForPrincipalPolicy", user("gina"), "because no identity-based policy allows the iam:GetContextKeysForPrincipalPolicy action")
		_, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"*"`, "*")}, ActionNames: []string{"iam:GetUser"}})
		e.denied(t, err, user("sam"), "iam:SimulateCustomPolicy", "*", "because no identity-based policy allows the iam:SimulateCustomPolicy action")
	})

	t.Run("ContextKeys", func(t *testing.T) {
		out, err := root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(user("gina")),
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Bool":{"AWS:MultiFactorAuthPresent":"true"}}}}`}})
		must0(t, err)
		want := []string{"aws:username", "aws:MultiFactorAuthPresent", "aws:SourceIp", "aws:RequestTag/team", "aws:TagKeys", "aws:PrincipalTag/team", "aws:CurrentTime"}
		if d := cmp.Diff(want, out.ContextKeyNames); d != "" {
			t.Errorf("GetContextKeysForPrincipalPolicy (-want +got):\n%s", d)
		}
	})
}

func TestSimulateCustomPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()

	// Positions: the statement's braces, 1-based, as IAM reports them.
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}, {"Sid": "D", "Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"}]}`
	multi := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"iam:List*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"
	out, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc, multi},
		ActionNames: []string{"iam:GetRole", "iam:GetUser", "iam:ListUsers", "iam:CreateUser"}})
	must0(t, err)
	diffResults(t, "custom", out.EvaluationResults, []simResult{
		{Action: "iam:GetRole", Resource: "*", Decision: "allowed", Matched: []string{"PolicyInputList.1/none@1:41-1:98"}, Missing: []string{}},
		{Action: "iam:GetUser", Resource: "*", Decision: "explicitDeny", Matched: []string{"PolicyInputList.1/none@1:101-1:172"}, Missing: []string{}},
		{Action: "iam:ListUsers", Resource: "*", Decision: "allowed", Matched: []string{"PolicyInputList.2/none@4:5-8:5"}, Missing: []string{}},
		{Action: "iam:CreateUser", Resource: "*", Decision: "implicitDeny", Matched: []string{}, Missing: []string{}},
	})

	// Service control policies: each level must allow; a deny anywhere wins.
	scpRoot := allow(`"*"`, "*")
	scpAccount := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`
	out, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"*"`, "*")},
		OrderedOrganizationPolicyInputList: []iamtypes.OrderedOrganizationPolicyType{{ServiceControlPolicyInputList: []string{scpRoot}}, {ServiceControlPolicyInputList: []string{scpAccount}}},
		ActionNames:                        []string{"iam:GetUser", "iam:DeleteUser", "sts:GetFederationToken"}})
	must0(t, err)
	got := summarize(out.EvaluationResults)
	for i, want := range []struct{ decision, orgs string }{{"allowed", "true"}, {"explicitDeny", "false"}, {"implicitDeny", "false"}} {
		if got[i].Decision != want.decision || got[i].Orgs != want.orgs {
			t.Errorf("SCP %s: %s (organizations %s), want %s (%s)", got[i].Action, got[i].Decision, got[i].Orgs, want.decision, want.orgs)
		}
	}

	// A resource policy naming the caller, in the same account: it grants
	// on its own.
	resPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/bob"},"Action":"iam:GetUser","Resource":"*"}]}`
	out, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"iam:ListUsers"`, "*")},
		ResourcePolicy: aws.String(resPolicy), CallerArn: aws.String("arn:aws:iam::" + acct + ":user/bob"),
		ActionNames: []string{"iam:GetUser"}, ResourceArns: []string{"arn:aws:iam::" + acct + ":user/x"}})
	must0(t, err)
	diffResults(t, "resource policy", out.EvaluationResults, []simResult{
		{Action: "iam:GetUser", Resource: "arn:aws:iam::" + acct + ":user/x", Decision: "allowed", Matched: []string{"ResourcePolicy/resource@1:38-1:162"}, Missing: []string{}},
	})

	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"*"`, "*")}, ResourcePolicy: aws.String(resPolicy), ActionNames: []string{"iam:GetUser"}})
	apiError(t, err, "InvalidInput", "CallerArn is required when a ResourcePolicy is specified.")
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"*"`, "*")}, ActionNames: []string{"iam:Get*"}})
	apiError(t, err, "InvalidInput", "Actions in ActionNames must not contain wildcards: iam:Get*")
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"iam:GetUser"}})
	apiError(t, err, "InvalidInput", "^Invalid policy PolicyInputList.1: ")
	_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow(`"*"`, "*")}, ActionNames: []string{"iam:GetUser"},
		PermissionsBoundaryPolicyInputList: []string{allow(`"*"`, "*"), allow(`"*"`, "*")}})
	apiError(t, err, "InvalidInput", "Only one permissions boundary policy can be specified in PermissionsBoundaryPolicyInputList.")

	// Context keys of documents, in order, without duplicates; variables
	// count, escapes and 2008-10-17 text do not.
	keys, err := root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::*:user/${aws:username}/${*}","arn:aws:iam::*:group/${aws:PrincipalTag/team, 'none'}"],
		  "Condition":{"StringLike":{"aws:RequestTag/env":"${aws:PrincipalTag/env}-*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		`{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:userid}","Condition":{"Bool":{"AWS:SOURCEIP":"true","aws:SecureTransport":"false"}}}}`,
	}})
	must0(t, err)
	want := []string{"aws:username", "aws:PrincipalTag/team", "aws:RequestTag/env", "aws:PrincipalTag/env", "aws:SourceIp", "aws:SecureTransport"}
	if d := cmp.Diff(want, keys.ContextKeyNames); d != "" {
		t.Errorf("GetContextKeysForCustomPolicy (-want +got):\n%s", d)
	}
}
