package iam

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/policy"
)

func newTestService(t *testing.T) *Service {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.MemoryPath, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(t.Context(), store.Account{ID: benchAccount, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: st, Account: benchAccount})
}

func doc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// allows reports whether the set allows action for a user or role session.
func allows(set *PolicySet, action string) bool {
	r := policy.Evaluate(&policy.Request{Action: action, Resource: "*"}, &policy.Input{Identity: set.Identity, Boundary: set.Boundary})
	return r.Decision == policy.Allow
}

func TestPrincipalPolicies(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	call := benchCall
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.CreateUser(ctx, call, &CreateUserInput{UserName: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	must(s.CreateGroup(ctx, call, &CreateGroupInput{GroupName: "devs"}))
	must(s.AddUserToGroup(ctx, call, &GroupMembershipInput{GroupName: "devs", UserName: "alice"}))
	must(s.PutUserPolicy(ctx, call, &PutUserPolicyInput{UserName: "alice", PolicyName: "p", PolicyDocument: doc("s3:GetObject")}))
	must(s.PutGroupPolicy(ctx, call, &PutGroupPolicyInput{GroupName: "devs", PolicyName: "p", PolicyDocument: doc("s3:PutObject")}))
	mp, err := s.CreatePolicy(ctx, call, &CreatePolicyInput{PolicyName: "m", PolicyDocument: doc("sqs:*")})
	if err != nil {
		t.Fatal(err)
	}
	must(s.AttachGroupPolicy(ctx, call, &AttachGroupPolicyInput{GroupName: "devs", PolicyArn: mp.Policy.Arn}))

	p := &identity.Principal{Type: identity.IAMUser, AccountID: benchAccount, UserID: u.User.UserId, UserName: "alice"}
	set, err := s.PrincipalPolicies(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Identity) != 3 || set.Boundary != nil {
		t.Fatalf("PrincipalPolicies = %d policies, boundary %v; want 3, none", len(set.Identity), set.Boundary)
	}
	for action, want := range map[string]bool{"s3:GetObject": true, "s3:PutObject": true, "sqs:SendMessage": true, "iam:ListUsers": false} {
		if got := allows(set, action); got != want {
			t.Errorf("user allowed %s = %v, want %v", action, got, want)
		}
	}

	// A new default version applies at once; a boundary limits.
	must(s.CreatePolicyVersion(ctx, call, &CreatePolicyVersionInput{PolicyArn: mp.Policy.Arn, PolicyDocument: doc("sns:*"), SetAsDefault: true}))
	bp, err := s.CreatePolicy(ctx, call, &CreatePolicyInput{PolicyName: "b", PolicyDocument: doc("s3:*")})
	if err != nil {
		t.Fatal(err)
	}
	must(s.PutUserPermissionsBoundary(ctx, call, &PutUserPermissionsBoundaryInput{UserName: "alice", PermissionsBoundary: bp.Policy.Arn}))
	set, err = s.PrincipalPolicies(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]bool{"s3:GetObject": true, "sns:Publish": false, "sqs:SendMessage": false} {
		if got := allows(set, action); got != want {
			t.Errorf("bounded user allowed %s = %v, want %v", action, got, want)
		}
	}

	// Cached until a change: the same set twice, then a new one after a
	// detach, and again after the TTL (changes made by other nodes).
	again, err := s.PrincipalPolicies(ctx, p)
	if err != nil || again != set {
		t.Errorf("second PrincipalPolicies = %p, %v; want the cached %p", again, err, set)
	}
	must(s.DetachGroupPolicy(ctx, call, &AttachGroupPolicyInput{GroupName: "devs", PolicyArn: mp.Policy.Arn}))
	if again, _ = s.PrincipalPolicies(ctx, p); again == set || len(again.Identity) != 2 {
		t.Errorf("after DetachGroupPolicy: %d policies (cached: %v), want 2", len(again.Identity), again == set)
	}
	now := time.Now()
	s.now = func() time.Time { return now }
	set, _ = s.PrincipalPolicies(ctx, p)
	s.now = func() time.Time { return now.Add(policySetTTL) }
	if again, _ = s.PrincipalPolicies(ctx, p); again == set {
		t.Error("PolicySet still cached after policySetTTL")
	}

	// Roles: RoleByARN with the path, RolePolicies through a session.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + benchAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	cr, err := s.CreateRole(ctx, call, &CreateRoleInput{RoleName: "deploy", Path: "/ci/", AssumeRolePolicyDocument: trust})
	if err != nil {
		t.Fatal(err)
	}
	must(s.PutRolePolicy(ctx, call, &PutRolePolicyInput{RoleName: "deploy", PolicyName: "p", PolicyDocument: doc("ec2:*")}))
	r, err := s.RoleByARN(ctx, "arn:aws:iam::"+benchAccount+":role/ci/deploy")
	if err != nil || r.Role.ID != cr.Role.RoleId || r.Trust == nil || r.Trust.Kind() != policy.Trust || r.ARN != cr.Role.Arn {
		t.Fatalf("RoleByARN = %+v, %v", r, err)
	}
	for _, arn := range []string{"arn:aws:iam::" + benchAccount + ":role/deploy", "arn:aws:iam::999999999999:role/ci/deploy", "arn:aws:iam::" + benchAccount + ":role/ci/nope"} {
		if _, err := s.RoleByARN(ctx, arn); !errors.Is(err, awserr.NoSuchEntity) {
			t.Errorf("RoleByARN(%s) = %v, want NoSuchEntity", arn, err)
		}
	}
	sess := &identity.Principal{Type: identity.AssumedRole, AccountID: benchAccount,
		Session: &identity.Session{RoleID: cr.Role.RoleId, RoleARN: cr.Role.Arn, RoleName: "deploy"}}
	set, err = s.PrincipalPolicies(ctx, sess)
	if err != nil || len(set.Identity) != 1 || !allows(set, "ec2:RunInstances") || allows(set, "s3:GetObject") {
		t.Errorf("role session PrincipalPolicies = %+v, %v", set, err)
	}
	set, err = s.PrincipalPolicies(ctx, &identity.Principal{Type: identity.Root, AccountID: benchAccount})
	if err != nil || len(set.Identity) != 0 {
		t.Errorf("root PrincipalPolicies = %+v, %v", set, err)
	}
}
