package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/store"
)

// iamTests cover groups, roles, inline and managed policies, attachments,
// account aliases and counts (store.IAMStore), and DeleteUser's dependents.
var iamTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"UpdateUser", testUpdateUser},
	{"UpdateUserConcurrentTags", testUpdateUserConcurrentTags},
	{"GroupCRUD", testGroupCRUD},
	{"GroupMembership", testGroupMembership},
	{"GroupsPerUserLimitConcurrent", testGroupsPerUserLimitConcurrent},
	{"RoleCRUD", testRoleCRUD},
	{"InlinePolicies", testInlinePolicies},
	{"InlinePolicySizeConcurrent", testInlinePolicySizeConcurrent},
	{"ManagedPolicyVersions", testManagedPolicyVersions},
	{"ManagedPolicyVersionsConcurrent", testManagedPolicyVersionsConcurrent},
	{"PolicyAttachments", testPolicyAttachments},
	{"AWSPolicyAttachments", testAWSPolicyAttachments},
	{"PolicyTags", testPolicyTags},
	{"ListPoliciesPaging", testListPoliciesPaging},
	{"DeleteUserDependents", testDeleteUserDependents},
	{"AccountAliasesAndCounts", testAccountAliasesAndCounts},
}

func wantDependent(t *testing.T, what string, err error, dep store.Dependent) {
	t.Helper()
	de, ok := errors.AsType[*store.DependentsError](err)
	if !ok || de.Dependent != dep || !errors.Is(err, store.ErrHasDependents) {
		t.Errorf("%s = %v, want a DependentsError for %s", what, err, dep)
	}
}

func newGroup(name string, n int) store.Group {
	return store.Group{AccountID: accountID, ID: fmt.Sprintf("AGPA%016X", n), Name: name, Path: "/", CreatedAt: at(n)}
}

func newRole(name string, n int) store.Role {
	return store.Role{AccountID: accountID, ID: fmt.Sprintf("AROA%016X", n), Name: name, Path: "/svc/",
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[]}`, MaxSessionDuration: 3600, CreatedAt: at(n)}
}

func newPolicy(name string, n int) store.ManagedPolicy {
	return store.ManagedPolicy{AccountID: accountID, ID: fmt.Sprintf("ANPA%016X", n),
		ARN: "arn:aws:iam::" + accountID + ":policy/" + name, Name: name, Path: "/", DefaultVersion: "v1",
		CreatedAt: at(n), UpdatedAt: at(n)}
}

func mustGroup(t *testing.T, s store.Store, g store.Group) store.Group {
	t.Helper()
	if err := s.CreateGroup(t.Context(), g); err != nil {
		t.Fatalf("CreateGroup(%q): %v", g.Name, err)
	}
	return g
}

func mustRole(t *testing.T, s store.Store, r store.Role) store.Role {
	t.Helper()
	if err := s.CreateRole(t.Context(), r); err != nil {
		t.Fatalf("CreateRole(%q): %v", r.Name, err)
	}
	return r
}

func mustPolicy(t *testing.T, s store.Store, p store.ManagedPolicy) store.ManagedPolicy {
	t.Helper()
	if err := s.CreatePolicy(t.Context(), p, `{"v":1}`); err != nil {
		t.Fatalf("CreatePolicy(%q): %v", p.Name, err)
	}
	return p
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	mustUser(t, s, newUser("bob", 2))
	got, err := s.UpdateUser(ctx, accountID, "ALICE", func(u *store.User) error {
		u.Name, u.Path = "alice2", "/x/"
		u.Tags = []store.Tag{{Key: "k", Value: "v"}}
		u.PermissionsBoundary = "arn:aws:iam::" + accountID + ":policy/b"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.GetUser(ctx, accountID, "alice2")
	if err != nil || back.ID != u.ID || back.Path != "/x/" || len(back.Tags) != 1 || back.PermissionsBoundary == "" {
		t.Errorf("GetUser after update = %+v, %v", back, err)
	}
	if diff := cmp.Diff(back, got, cmpOpts); diff != "" {
		t.Errorf("UpdateUser result differs from the stored user (-stored +returned):\n%s", diff)
	}
	_, err = s.UpdateUser(ctx, accountID, "alice2", func(u *store.User) error { u.Name = "BOB"; return nil })
	wantErr(t, "UpdateUser(rename to a taken name)", err, store.ErrConflict)
	_, err = s.UpdateUser(ctx, accountID, "ghost", func(*store.User) error { return nil })
	wantErr(t, "UpdateUser(ghost)", err, store.ErrNotFound)
	sentinel := errors.New("abort")
	_, err = s.UpdateUser(ctx, accountID, "alice2", func(u *store.User) error { u.Path = "/y/"; return sentinel })
	wantErr(t, "UpdateUser(fn fails)", err, sentinel)
	if back, _ := s.GetUser(ctx, accountID, "alice2"); back.Path != "/x/" {
		t.Errorf("aborted update was stored: path %q", back.Path)
	}
}

// testUpdateUserConcurrentTags: read-modify-write cycles never lose a tag.
func testUpdateUserConcurrentTags(t *testing.T, s store.Store) {
	mustAccount(t, s)
	mustUser(t, s, newUser("alice", 1))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := s.UpdateUser(t.Context(), accountID, "alice", func(u *store.User) error {
				u.Tags = append(u.Tags, store.Tag{Key: fmt.Sprintf("k%d", i), Value: "v"})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	u, err := s.GetUser(t.Context(), accountID, "alice")
	if err != nil || len(u.Tags) != 20 {
		t.Errorf("tags after 20 concurrent updates = %d, %v; want 20", len(u.Tags), err)
	}
}

func testGroupCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	g := mustGroup(t, s, newGroup("Admins", 1))
	wantErr(t, "CreateGroup(duplicate, other case)", s.CreateGroup(ctx, newGroup("admins", 2)), store.ErrConflict)
	got, err := s.GetGroup(ctx, accountID, "ADMINS")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, got, cmpOpts); diff != "" {
		t.Errorf("GetGroup mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetGroup(ctx, accountID, "nope")
	wantErr(t, "GetGroup(nope)", err, store.ErrNotFound)
	for i, n := range []string{"b", "C", "a_b", "ab"} {
		g := newGroup(n, 10+i)
		if n == "C" {
			g.Path = "/p/"
		}
		mustGroup(t, s, g)
	}
	var names []string
	opt := store.ListOptions{Limit: 2}
	for {
		p, err := s.ListGroups(ctx, accountID, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range p.Items {
			names = append(names, g.Name)
		}
		if p.Next == "" {
			break
		}
		opt.Marker = p.Next
	}
	if want := []string{"a_b", "ab", "Admins", "b", "C"}; !cmp.Equal(names, want) {
		t.Errorf("ListGroups paged = %v, want %v", names, want)
	}
	p, err := s.ListGroups(ctx, accountID, store.ListOptions{Limit: 10, PathPrefix: "/p/"})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != "C" {
		t.Errorf("ListGroups(/p/) = %+v, %v", p.Items, err)
	}
	if _, err := s.UpdateGroup(ctx, accountID, "admins", func(g *store.Group) error { g.Name = "B"; return nil }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateGroup(rename to taken) = %v, want ErrConflict", err)
	}
	up, err := s.UpdateGroup(ctx, accountID, "admins", func(g *store.Group) error { g.Name, g.Path = "ops", "/o/"; return nil })
	if err != nil || up.ID != g.ID || up.Name != "ops" || up.Path != "/o/" {
		t.Errorf("UpdateGroup = %+v, %v", up, err)
	}
	wantErr(t, "DeleteGroup(ops)", s.DeleteGroup(ctx, accountID, "OPS"), nil)
	wantErr(t, "DeleteGroup(ops) again", s.DeleteGroup(ctx, accountID, "ops"), store.ErrNotFound)
}

func testGroupMembership(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	mustGroup(t, s, newGroup("g", 1))
	mustGroup(t, s, newGroup("h", 2))
	for i, n := range []string{"zed", "amy", "bo"} {
		mustUser(t, s, newUser(n, 10+i))
		wantErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, accountID, "G", n, 10), nil)
	}
	wantErr(t, "AddUserToGroup(again)", s.AddUserToGroup(ctx, accountID, "g", "amy", 10), nil)
	wantErr(t, "AddUserToGroup(h)", s.AddUserToGroup(ctx, accountID, "h", "amy", 10), nil)
	wantErr(t, "AddUserToGroup(no group)", s.AddUserToGroup(ctx, accountID, "x", "amy", 10), store.ErrNotFound)
	wantErr(t, "AddUserToGroup(no user)", s.AddUserToGroup(ctx, accountID, "g", "x", 10), store.ErrNotFound)
	p, err := s.ListGroupMembers(ctx, accountID, "g", store.ListOptions{Limit: 2})
	if err != nil || len(p.Items) != 2 || p.Items[0].Name != "amy" || p.Items[1].Name != "bo" || p.Next == "" {
		t.Fatalf("ListGroupMembers = %+v, %v", p, err)
	}
	p, err = s.ListGroupMembers(ctx, accountID, "g", store.ListOptions{Limit: 2, Marker: p.Next})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != "zed" || p.Next != "" {
		t.Errorf("ListGroupMembers page 2 = %+v, %v", p, err)
	}
	gs, err := s.ListGroupsForUser(ctx, accountID, "AMY", store.ListOptions{Limit: 10})
	if err != nil || len(gs.Items) != 2 {
		t.Errorf("ListGroupsForUser = %+v, %v", gs, err)
	}
	_, err = s.ListGroupsForUser(ctx, accountID, "ghost", store.ListOptions{Limit: 10})
	wantErr(t, "ListGroupsForUser(ghost)", err, store.ErrNotFound)
	wantDependent(t, "DeleteGroup(with members)", s.DeleteGroup(ctx, accountID, "g"), store.DepGroupMembers)
	wantDependent(t, "DeleteUser(in groups)", s.DeleteUser(ctx, accountID, "amy"), store.DepGroupMemberships)
	wantErr(t, "RemoveUserFromGroup", s.RemoveUserFromGroup(ctx, accountID, "g", "amy"), nil)
	wantErr(t, "RemoveUserFromGroup(again)", s.RemoveUserFromGroup(ctx, accountID, "g", "amy"), store.ErrNotFound)
	// A renamed user keeps its memberships.
	if _, err := s.UpdateUser(ctx, accountID, "zed", func(u *store.User) error { u.Name = "zz"; return nil }); err != nil {
		t.Fatal(err)
	}
	gs, err = s.ListGroupsForUser(ctx, accountID, "zz", store.ListOptions{Limit: 10})
	if err != nil || len(gs.Items) != 1 {
		t.Errorf("ListGroupsForUser(renamed) = %+v, %v", gs, err)
	}
}

func testGroupsPerUserLimitConcurrent(t *testing.T, s store.Store) {
	mustAccount(t, s)
	mustUser(t, s, newUser("u", 1))
	for i := range 20 {
		mustGroup(t, s, newGroup(fmt.Sprintf("g%02d", i), 10+i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, limited := 0, 0
	for i := range 20 {
		wg.Go(func() {
			err := s.AddUserToGroup(t.Context(), accountID, fmt.Sprintf("g%02d", i), "u", 10)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrLimit):
				limited++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 10 || limited != 10 {
		t.Errorf("%d added, %d limited; want 10, 10", ok, limited)
	}
}

func testRoleCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	r := newRole("Deployer", 1)
	r.Description = "d"
	r.Tags = []store.Tag{{Key: "a", Value: "b"}}
	r.PermissionsBoundary = "arn:aws:iam::" + accountID + ":policy/b"
	mustRole(t, s, r)
	wantErr(t, "CreateRole(duplicate)", s.CreateRole(ctx, newRole("DEPLOYER", 2)), store.ErrConflict)
	got, err := s.GetRole(ctx, accountID, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got, cmpOpts); diff != "" {
		t.Errorf("GetRole mismatch (-want +got):\n%s", diff)
	}
	byID, err := s.GetRoleByID(ctx, accountID, r.ID)
	if err != nil || byID.Name != "Deployer" {
		t.Errorf("GetRoleByID = %+v, %v", byID, err)
	}
	_, err = s.GetRole(ctx, accountID, "nope")
	wantErr(t, "GetRole(nope)", err, store.ErrNotFound)
	up, err := s.UpdateRole(ctx, accountID, "Deployer", func(r *store.Role) error {
		r.MaxSessionDuration = 43200
		r.AssumeRolePolicy = "{}"
		r.LastUsedAt, r.LastUsedRegion = at(100), "eu-west-1"
		r.Tags = nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRole(ctx, accountID, "Deployer")
	if diff := cmp.Diff(up, got, cmpOpts); diff != "" || got.MaxSessionDuration != 43200 || !got.LastUsedAt.Equal(at(100)) || got.Tags != nil {
		t.Errorf("after UpdateRole: %+v (diff %s)", got, diff)
	}
	mustRole(t, s, newRole("other", 3))
	p, err := s.ListRoles(ctx, accountID, store.ListOptions{Limit: 1})
	if err != nil || len(p.Items) != 1 || p.Items[0].Name != "Deployer" || p.Next == "" {
		t.Errorf("ListRoles = %+v, %v", p, err)
	}
	wantErr(t, "DeleteRole", s.DeleteRole(ctx, accountID, "deployer"), nil)
	wantErr(t, "DeleteRole(again)", s.DeleteRole(ctx, accountID, "deployer"), store.ErrNotFound)
}

func testInlinePolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	g := mustGroup(t, s, newGroup("g", 2))
	r := mustRole(t, s, newRole("r", 3))
	for _, o := range []struct {
		kind store.EntityKind
		id   string
	}{{store.EntityUser, u.ID}, {store.EntityGroup, g.ID}, {store.EntityRole, r.ID}} {
		p := store.InlinePolicy{OwnerKind: o.kind, OwnerID: o.id, Name: "Pol", Document: "doc1", Size: 4}
		wantErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx, p, 100), nil)
		got, err := s.GetInlinePolicy(ctx, o.id, "pol")
		if err != nil || got != p {
			t.Errorf("GetInlinePolicy(%s) = %+v, %v; want %+v", o.kind, got, err, p)
		}
		// Replacing keeps the first name; its old size does not count.
		p2 := store.InlinePolicy{OwnerKind: o.kind, OwnerID: o.id, Name: "POL", Document: "doc2", Size: 100}
		wantErr(t, "PutInlinePolicy(replace)", s.PutInlinePolicy(ctx, p2, 100), nil)
		got, _ = s.GetInlinePolicy(ctx, o.id, "Pol")
		if got.Document != "doc2" || got.Name != "Pol" {
			t.Errorf("after replace: %+v", got)
		}
		wantErr(t, "PutInlinePolicy(over quota)", s.PutInlinePolicy(ctx,
			store.InlinePolicy{OwnerKind: o.kind, OwnerID: o.id, Name: "more", Document: "d", Size: 1}, 100), store.ErrLimit)
		wantErr(t, "PutInlinePolicy(a)", s.PutInlinePolicy(ctx,
			store.InlinePolicy{OwnerKind: o.kind, OwnerID: o.id, Name: "a", Document: "d", Size: 1}, 1000), nil)
		pg, err := s.ListInlinePolicies(ctx, o.id, store.ListOptions{Limit: 1})
		if err != nil || len(pg.Items) != 1 || pg.Items[0].Name != "a" || pg.Next == "" {
			t.Errorf("ListInlinePolicies = %+v, %v", pg, err)
		}
		pg, err = s.ListInlinePolicies(ctx, o.id, store.ListOptions{Limit: 1, Marker: pg.Next})
		if err != nil || len(pg.Items) != 1 || pg.Items[0].Name != "Pol" || pg.Next != "" {
			t.Errorf("ListInlinePolicies page 2 = %+v, %v", pg, err)
		}
	}
	wantErr(t, "PutInlinePolicy(no owner)", s.PutInlinePolicy(ctx,
		store.InlinePolicy{OwnerKind: store.EntityUser, OwnerID: "AIDANOPE", Name: "p", Document: "d", Size: 1}, 100), store.ErrNotFound)
	wantDependent(t, "DeleteUser(inline)", s.DeleteUser(ctx, accountID, "u"), store.DepInlinePolicies)
	wantDependent(t, "DeleteGroup(inline)", s.DeleteGroup(ctx, accountID, "g"), store.DepInlinePolicies)
	wantDependent(t, "DeleteRole(inline)", s.DeleteRole(ctx, accountID, "r"), store.DepInlinePolicies)
	wantErr(t, "DeleteInlinePolicy", s.DeleteInlinePolicy(ctx, u.ID, "pol"), nil)
	wantErr(t, "DeleteInlinePolicy(again)", s.DeleteInlinePolicy(ctx, u.ID, "pol"), store.ErrNotFound)
	_, err := s.GetInlinePolicy(ctx, u.ID, "pol")
	wantErr(t, "GetInlinePolicy(deleted)", err, store.ErrNotFound)
}

// testInlinePolicySizeConcurrent: racing puts never exceed the aggregate.
func testInlinePolicySizeConcurrent(t *testing.T, s store.Store) {
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			err := s.PutInlinePolicy(t.Context(), store.InlinePolicy{OwnerKind: store.EntityUser, OwnerID: u.ID,
				Name: fmt.Sprintf("p%d", i), Document: "d", Size: 10}, 55)
			if err != nil && !errors.Is(err, store.ErrLimit) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	p, err := s.ListInlinePolicies(t.Context(), u.ID, store.ListOptions{Limit: 100})
	if err != nil || len(p.Items) != 5 {
		t.Errorf("inline policies after the race = %d, %v; want 5", len(p.Items), err)
	}
}

func testManagedPolicyVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	p := newPolicy("P", 1)
	p.Description = "desc"
	p.Tags = []store.Tag{{Key: "k", Value: "v"}}
	mustPolicy(t, s, p)
	wantErr(t, "CreatePolicy(duplicate name)", s.CreatePolicy(ctx, newPolicy("p", 2), "{}"), store.ErrConflict)
	got, err := s.GetPolicy(ctx, p.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpOpts); diff != "" {
		t.Errorf("GetPolicy mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetPolicy(ctx, p.ARN+"x")
	wantErr(t, "GetPolicy(unknown)", err, store.ErrNotFound)

	for i := 2; i <= 5; i++ {
		v, err := s.CreatePolicyVersion(ctx, p.ARN, fmt.Sprintf(`{"v":%d}`, i), i == 4, at(i), 5)
		if err != nil || v.VersionID != fmt.Sprintf("v%d", i) || v.IsDefault != (i == 4) {
			t.Fatalf("CreatePolicyVersion %d = %+v, %v", i, v, err)
		}
	}
	_, err = s.CreatePolicyVersion(ctx, p.ARN, "{}", false, at(6), 5)
	wantErr(t, "CreatePolicyVersion(sixth)", err, store.ErrLimit)
	_, err = s.CreatePolicyVersion(ctx, p.ARN+"x", "{}", false, at(6), 5)
	wantErr(t, "CreatePolicyVersion(unknown policy)", err, store.ErrNotFound)
	got, _ = s.GetPolicy(ctx, p.ARN)
	if got.DefaultVersion != "v4" || !got.UpdatedAt.Equal(at(4)) {
		t.Errorf("after SetAsDefault: default %s updated %v", got.DefaultVersion, got.UpdatedAt)
	}
	vs, err := s.ListPolicyVersions(ctx, p.ARN)
	if err != nil || len(vs) != 5 || vs[0].VersionID != "v5" || !vs[1].IsDefault || vs[4].Document != `{"v":1}` || !vs[4].CreatedAt.Equal(at(1)) {
		t.Errorf("ListPolicyVersions = %+v, %v", vs, err)
	}
	v, err := s.GetPolicyVersion(ctx, p.ARN, "v2")
	if err != nil || v.Document != `{"v":2}` || v.IsDefault {
		t.Errorf("GetPolicyVersion(v2) = %+v, %v", v, err)
	}
	for _, bad := range []string{"v9", "v0", "2", "vx"} {
		_, err = s.GetPolicyVersion(ctx, p.ARN, bad)
		wantErr(t, "GetPolicyVersion("+bad+")", err, store.ErrNotFound)
	}
	wantDependent(t, "DeletePolicyVersion(default)", s.DeletePolicyVersion(ctx, p.ARN, "v4"), store.DepDefaultVersion)
	wantErr(t, "SetDefaultPolicyVersion(v9)", s.SetDefaultPolicyVersion(ctx, p.ARN, "v9", at(7)), store.ErrNotFound)
	wantErr(t, "SetDefaultPolicyVersion(v2)", s.SetDefaultPolicyVersion(ctx, p.ARN, "v2", at(7)), nil)
	wantErr(t, "DeletePolicyVersion(v4)", s.DeletePolicyVersion(ctx, p.ARN, "v4"), nil)
	wantErr(t, "DeletePolicyVersion(v4) again", s.DeletePolicyVersion(ctx, p.ARN, "v4"), store.ErrNotFound)
	v, err = s.CreatePolicyVersion(ctx, p.ARN, "{}", false, at(8), 5)
	if err != nil || v.VersionID != "v6" {
		t.Errorf("version after a delete = %+v, %v; want v6 (numbers are not reused)", v, err)
	}
	wantDependent(t, "DeletePolicy(with versions)", s.DeletePolicy(ctx, p.ARN), store.DepPolicyVersions)
	for _, id := range []string{"v1", "v3", "v5", "v6"} {
		wantErr(t, "DeletePolicyVersion("+id+")", s.DeletePolicyVersion(ctx, p.ARN, id), nil)
	}
	wantErr(t, "DeletePolicy", s.DeletePolicy(ctx, p.ARN), nil)
	wantErr(t, "DeletePolicy(again)", s.DeletePolicy(ctx, p.ARN), store.ErrNotFound)
	_, err = s.ListPolicyVersions(ctx, p.ARN)
	wantErr(t, "ListPolicyVersions(deleted)", err, store.ErrNotFound)
	// The name is free again.
	mustPolicy(t, s, newPolicy("P", 9))
}

// testManagedPolicyVersionsConcurrent: racing creators never make more
// than the maximum, and every version id is distinct.
func testManagedPolicyVersionsConcurrent(t *testing.T, s store.Store) {
	mustAccount(t, s)
	p := mustPolicy(t, s, newPolicy("p", 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for i := range 20 {
		wg.Go(func() {
			v, err := s.CreatePolicyVersion(t.Context(), p.ARN, "{}", i%2 == 0, at(i), 5)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				if ids[v.VersionID] {
					t.Errorf("version %s created twice", v.VersionID)
				}
				ids[v.VersionID] = true
			case !errors.Is(err, store.ErrLimit):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	vs, err := s.ListPolicyVersions(t.Context(), p.ARN)
	if err != nil || len(vs) != 5 || len(ids) != 4 {
		t.Errorf("%d versions listed, %d created, %v; want 5 and 4", len(vs), len(ids), err)
	}
	defaults := 0
	for _, v := range vs {
		if v.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default versions, want 1", defaults)
	}
}

func testPolicyAttachments(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	g := mustGroup(t, s, newGroup("g", 2))
	r := mustRole(t, s, newRole("r", 3))
	p := mustPolicy(t, s, newPolicy("p", 4))
	q := newPolicy("q", 5)
	q.Path = "/team/"
	q.ARN = "arn:aws:iam::" + accountID + ":policy/team/q"
	mustPolicy(t, s, q)
	refs := []store.EntityRef{{Kind: store.EntityUser, ID: u.ID}, {Kind: store.EntityGroup, ID: g.ID}, {Kind: store.EntityRole, ID: r.ID}}
	for _, e := range refs {
		wantErr(t, "AttachPolicy", s.AttachPolicy(ctx, p.ARN, e, 2), nil)
		wantErr(t, "AttachPolicy(again)", s.AttachPolicy(ctx, p.ARN, e, 2), nil)
		wantErr(t, "AttachPolicy(q)", s.AttachPolicy(ctx, q.ARN, e, 2), nil)
	}
	p3 := mustPolicy(t, s, newPolicy("p3", 6))
	wantErr(t, "AttachPolicy(over quota)", s.AttachPolicy(ctx, p3.ARN, refs[0], 2), store.ErrLimit)
	wantErr(t, "AttachPolicy(unknown policy)", s.AttachPolicy(ctx, p.ARN+"x", refs[0], 10), store.ErrNotFound)
	wantErr(t, "AttachPolicy(unknown entity)", s.AttachPolicy(ctx, p.ARN, store.EntityRef{Kind: store.EntityRole, ID: "AROANOPE"}, 10), store.ErrNotFound)

	got, _ := s.GetPolicy(ctx, p.ARN)
	if got.AttachmentCount != 3 {
		t.Errorf("AttachmentCount = %d, want 3", got.AttachmentCount)
	}
	ap, err := s.ListAttachedPolicies(ctx, u.ID, store.ListOptions{Limit: 10})
	if err != nil || len(ap.Items) != 2 || ap.Items[0] != (store.AttachedPolicy{Name: "p", ARN: p.ARN, Path: "/"}) {
		t.Errorf("ListAttachedPolicies = %+v, %v", ap, err)
	}
	ap, err = s.ListAttachedPolicies(ctx, u.ID, store.ListOptions{Limit: 10, PathPrefix: "/team/"})
	if err != nil || len(ap.Items) != 1 || ap.Items[0].Name != "q" {
		t.Errorf("ListAttachedPolicies(/team/) = %+v, %v", ap, err)
	}
	ents, err := s.ListPolicyEntities(ctx, p.ARN, "")
	want := []store.EntityRef{
		{Kind: store.EntityUser, ID: u.ID, Name: "u", Path: "/"},
		{Kind: store.EntityGroup, ID: g.ID, Name: "g", Path: "/"},
		{Kind: store.EntityRole, ID: r.ID, Name: "r", Path: "/svc/"},
	}
	if err != nil || !cmp.Equal(ents, want) {
		t.Errorf("ListPolicyEntities = %+v, %v; want %+v", ents, err, want)
	}
	ents, err = s.ListPolicyEntities(ctx, p.ARN, store.EntityRole)
	if err != nil || len(ents) != 1 {
		t.Errorf("ListPolicyEntities(role) = %+v, %v", ents, err)
	}
	_, err = s.ListPolicyEntities(ctx, p.ARN+"x", "")
	wantErr(t, "ListPolicyEntities(unknown)", err, store.ErrNotFound)

	wantDependent(t, "DeletePolicy(attached)", s.DeletePolicy(ctx, p.ARN), store.DepPolicyAttachments)
	wantDependent(t, "DeleteUser(attached)", s.DeleteUser(ctx, accountID, "u"), store.DepAttachedPolicies)
	wantDependent(t, "DeleteGroup(attached)", s.DeleteGroup(ctx, accountID, "g"), store.DepAttachedPolicies)
	wantDependent(t, "DeleteRole(attached)", s.DeleteRole(ctx, accountID, "r"), store.DepAttachedPolicies)
	for _, e := range refs {
		wantErr(t, "DetachPolicy", s.DetachPolicy(ctx, p.ARN, e.ID), nil)
		wantErr(t, "DetachPolicy(again)", s.DetachPolicy(ctx, p.ARN, e.ID), store.ErrNotFound)
	}
	// Boundaries count and block deletes too.
	if _, err := s.UpdateUser(ctx, accountID, "u", func(u *store.User) error { u.PermissionsBoundary = p.ARN; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRole(ctx, accountID, "r", func(r *store.Role) error { r.PermissionsBoundary = p.ARN; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetPolicy(ctx, p.ARN)
	if got.AttachmentCount != 0 || got.BoundaryUsageCount != 2 {
		t.Errorf("counts = %d attachments, %d boundaries; want 0, 2", got.AttachmentCount, got.BoundaryUsageCount)
	}
	bs, err := s.ListBoundaryEntities(ctx, accountID, p.ARN, "")
	wantB := []store.EntityRef{{Kind: store.EntityUser, ID: u.ID, Name: "u", Path: "/"}, {Kind: store.EntityRole, ID: r.ID, Name: "r", Path: "/svc/"}}
	if err != nil || !cmp.Equal(bs, wantB) {
		t.Errorf("ListBoundaryEntities = %+v, %v; want %+v", bs, err, wantB)
	}
	bs, err = s.ListBoundaryEntities(ctx, accountID, p.ARN, store.EntityRole)
	if err != nil || len(bs) != 1 {
		t.Errorf("ListBoundaryEntities(role) = %+v, %v", bs, err)
	}
	if uses, err := s.CountBoundaryUses(ctx, accountID); err != nil || !cmp.Equal(uses, map[string]int{p.ARN: 2}) {
		t.Errorf("CountBoundaryUses = %v, %v; want %s: 2", uses, err, p.ARN)
	}
	wantDependent(t, "DeletePolicy(boundary)", s.DeletePolicy(ctx, p.ARN), store.DepBoundaryUses)
}

func testListPoliciesPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	for i, n := range []string{"d", "B", "a", "c"} {
		p := mustPolicy(t, s, newPolicy(n, 10+i))
		if n == "a" || n == "c" {
			wantErr(t, "AttachPolicy", s.AttachPolicy(ctx, p.ARN, store.EntityRef{Kind: store.EntityUser, ID: u.ID}, 10), nil)
		}
	}
	var names []string
	opt := store.PolicyListOptions{ListOptions: store.ListOptions{Limit: 3}}
	for {
		p, err := s.ListPolicies(ctx, accountID, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Items {
			names = append(names, x.Name)
		}
		if p.Next == "" {
			break
		}
		opt.Marker = p.Next
	}
	if !cmp.Equal(names, []string{"a", "B", "c", "d"}) {
		t.Errorf("ListPolicies = %v", names)
	}
	p, err := s.ListPolicies(ctx, accountID, store.PolicyListOptions{ListOptions: store.ListOptions{Limit: 10}, OnlyAttached: true})
	if err != nil || len(p.Items) != 2 || p.Items[0].Name != "a" || p.Items[0].AttachmentCount != 1 {
		t.Errorf("ListPolicies(OnlyAttached) = %+v, %v", p.Items, err)
	}
}

func testDeleteUserDependents(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	k := mustKey(t, s, newKey(u, 2))
	wantDependent(t, "DeleteUser(keys)", s.DeleteUser(ctx, accountID, "u"), store.DepAccessKeys)
	wantErr(t, "DeleteAccessKey", s.DeleteAccessKey(ctx, k.ID), nil)
	wantErr(t, "DeleteUser", s.DeleteUser(ctx, accountID, "u"), nil)
}

func testAccountAliasesAndCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	as, err := s.ListAccountAliases(ctx, accountID)
	if err != nil || len(as) != 0 {
		t.Errorf("ListAccountAliases(empty) = %v, %v", as, err)
	}
	wantErr(t, "SetAccountAlias", s.SetAccountAlias(ctx, accountID, "one"), nil)
	wantErr(t, "SetAccountAlias(replace)", s.SetAccountAlias(ctx, accountID, "two"), nil)
	as, err = s.ListAccountAliases(ctx, accountID)
	if err != nil || !cmp.Equal(as, []string{"two"}) {
		t.Errorf("ListAccountAliases = %v, %v", as, err)
	}
	wantErr(t, "DeleteAccountAlias(one)", s.DeleteAccountAlias(ctx, accountID, "one"), store.ErrNotFound)
	wantErr(t, "DeleteAccountAlias(two)", s.DeleteAccountAlias(ctx, accountID, "two"), nil)

	u := mustUser(t, s, newUser("u", 1))
	mustGroup(t, s, newGroup("g", 2))
	mustRole(t, s, newRole("r", 3))
	p := mustPolicy(t, s, newPolicy("p", 4))
	mustPolicy(t, s, newPolicy("q", 5))
	wantErr(t, "AttachPolicy", s.AttachPolicy(ctx, p.ARN, store.EntityRef{Kind: store.EntityUser, ID: u.ID}, 10), nil)
	root := newKey(store.User{}, 6)
	root.UserID, root.UserName = "", ""
	mustKey(t, s, root)
	c, err := s.CountEntities(ctx, accountID)
	want := store.EntityCounts{Users: 1, Groups: 1, Roles: 1, Policies: 2, PolicyVersionsInUse: 1, AttachedPolicies: 1, RootAccessKeys: 1}
	if err != nil || c != want {
		t.Errorf("CountEntities = %+v, %v; want %+v", c, err, want)
	}
}

// testAWSPolicyAttachments: AWS managed policies have no policy row; their
// attachments share the per-entity quota, listings and delete checks with
// the customer ones.
func testAWSPolicyAttachments(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("u", 1))
	g := mustGroup(t, s, newGroup("g", 2))
	r := mustRole(t, s, newRole("r", 3))
	p := mustPolicy(t, s, newPolicy("Mine", 4))
	ro := store.AttachedPolicy{Name: "ReadOnlyAccess", ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", Path: "/"}
	lambda := store.AttachedPolicy{Name: "AWSLambdaBasicExecutionRole", ARN: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", Path: "/service-role/"}
	refs := []store.EntityRef{{Kind: store.EntityUser, ID: u.ID}, {Kind: store.EntityGroup, ID: g.ID}, {Kind: store.EntityRole, ID: r.ID}}
	for _, e := range refs {
		wantErr(t, "AttachAWSPolicy", s.AttachAWSPolicy(ctx, accountID, ro, e, 2), nil)
		wantErr(t, "AttachAWSPolicy(again)", s.AttachAWSPolicy(ctx, accountID, ro, e, 2), nil)
	}
	wantErr(t, "AttachPolicy(customer)", s.AttachPolicy(ctx, p.ARN, refs[0], 2), nil)
	wantErr(t, "AttachAWSPolicy(over quota)", s.AttachAWSPolicy(ctx, accountID, lambda, refs[0], 2), store.ErrLimit)
	wantErr(t, "AttachPolicy(over quota)", s.AttachPolicy(ctx, p.ARN, refs[1], 1), store.ErrLimit)
	wantErr(t, "AttachAWSPolicy(unknown entity)", s.AttachAWSPolicy(ctx, accountID, ro, store.EntityRef{Kind: store.EntityRole, ID: "AROANOPE"}, 10), store.ErrNotFound)
	wantErr(t, "AttachAWSPolicy(lambda)", s.AttachAWSPolicy(ctx, accountID, lambda, refs[2], 10), nil)

	ap, err := s.ListAttachedPolicies(ctx, u.ID, store.ListOptions{Limit: 10})
	want := []store.AttachedPolicy{{Name: "Mine", ARN: p.ARN, Path: "/"}, ro}
	if err != nil || !cmp.Equal(ap.Items, want) {
		t.Errorf("ListAttachedPolicies = %+v, %v; want %+v", ap.Items, err, want)
	}
	ap, err = s.ListAttachedPolicies(ctx, u.ID, store.ListOptions{Limit: 1})
	if err != nil || len(ap.Items) != 1 || ap.Next != p.ARN {
		t.Fatalf("ListAttachedPolicies(limit 1) = %+v, %v", ap, err)
	}
	ap, err = s.ListAttachedPolicies(ctx, u.ID, store.ListOptions{Limit: 1, Marker: ap.Next})
	if err != nil || len(ap.Items) != 1 || ap.Items[0] != ro || ap.Next != "" {
		t.Errorf("ListAttachedPolicies(page 2) = %+v, %v", ap, err)
	}
	ap, err = s.ListAttachedPolicies(ctx, r.ID, store.ListOptions{Limit: 10, PathPrefix: "/service-role/"})
	if err != nil || !cmp.Equal(ap.Items, []store.AttachedPolicy{lambda}) {
		t.Errorf("ListAttachedPolicies(/service-role/) = %+v, %v", ap.Items, err)
	}
	// A customer policy named like an attached AWS one (case aside): both
	// are listed, whatever the page size.
	twin := mustPolicy(t, s, newPolicy("readonlyaccess", 5))
	wantErr(t, "AttachPolicy(twin)", s.AttachPolicy(ctx, twin.ARN, refs[2], 10), nil)
	wantTwins := []store.AttachedPolicy{lambda, {Name: twin.Name, ARN: twin.ARN, Path: "/"}, ro}
	if twin.ARN > ro.ARN {
		wantTwins[1], wantTwins[2] = wantTwins[2], wantTwins[1]
	}
	var paged []store.AttachedPolicy
	for opt := (store.ListOptions{Limit: 1}); ; {
		ap, err := s.ListAttachedPolicies(ctx, r.ID, opt)
		if err != nil || len(paged) > len(wantTwins) {
			t.Fatalf("ListAttachedPolicies(limit 1, marker %q) = %+v, %v", opt.Marker, ap, err)
		}
		paged = append(paged, ap.Items...)
		if opt.Marker = ap.Next; opt.Marker == "" {
			break
		}
	}
	if !cmp.Equal(paged, wantTwins) {
		t.Errorf("ListAttachedPolicies(role, pages of 1) = %+v; want %+v", paged, wantTwins)
	}
	wantErr(t, "DetachPolicy(twin)", s.DetachPolicy(ctx, twin.ARN, r.ID), nil)
	ents, err := s.ListAWSPolicyEntities(ctx, accountID, ro.ARN, "")
	wantE := []store.EntityRef{
		{Kind: store.EntityUser, ID: u.ID, Name: "u", Path: "/"},
		{Kind: store.EntityGroup, ID: g.ID, Name: "g", Path: "/"},
		{Kind: store.EntityRole, ID: r.ID, Name: "r", Path: "/svc/"},
	}
	if err != nil || !cmp.Equal(ents, wantE) {
		t.Errorf("ListAWSPolicyEntities = %+v, %v; want %+v", ents, err, wantE)
	}
	if ents, err := s.ListAWSPolicyEntities(ctx, accountID, ro.ARN, store.EntityGroup); err != nil || len(ents) != 1 {
		t.Errorf("ListAWSPolicyEntities(group) = %+v, %v", ents, err)
	}
	if ents, err := s.ListAWSPolicyEntities(ctx, accountID, "arn:aws:iam::aws:policy/PowerUserAccess", ""); err != nil || len(ents) != 0 {
		t.Errorf("ListAWSPolicyEntities(unattached) = %+v, %v", ents, err)
	}
	counts, err := s.CountAWSPolicyAttachments(ctx, accountID)
	if wantC := map[string]int{ro.ARN: 3, lambda.ARN: 1}; err != nil || !cmp.Equal(counts, wantC) {
		t.Errorf("CountAWSPolicyAttachments = %v, %v; want %v", counts, err, wantC)
	}
	c, err := s.CountEntities(ctx, accountID)
	if err != nil || c.AttachedPolicies != 5 {
		t.Errorf("CountEntities().AttachedPolicies = %d, %v; want 5", c.AttachedPolicies, err)
	}

	wantDependent(t, "DeleteGroup(attached)", s.DeleteGroup(ctx, accountID, "g"), store.DepAttachedPolicies)
	wantDependent(t, "DeleteRole(attached)", s.DeleteRole(ctx, accountID, "r"), store.DepAttachedPolicies)
	wantErr(t, "DetachPolicy(customer)", s.DetachPolicy(ctx, p.ARN, u.ID), nil)
	wantDependent(t, "DeleteUser(attached)", s.DeleteUser(ctx, accountID, "u"), store.DepAttachedPolicies)
	for _, e := range refs {
		wantErr(t, "DetachAWSPolicy", s.DetachAWSPolicy(ctx, accountID, ro.ARN, e.ID), nil)
		wantErr(t, "DetachAWSPolicy(again)", s.DetachAWSPolicy(ctx, accountID, ro.ARN, e.ID), store.ErrNotFound)
	}
	wantErr(t, "DeleteGroup", s.DeleteGroup(ctx, accountID, "g"), nil)
	wantErr(t, "DeleteUser", s.DeleteUser(ctx, accountID, "u"), nil)
}
