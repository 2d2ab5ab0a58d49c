// Package storetest is the conformance suite every store backend passes.
// A backend's test calls RunTests with a constructor of empty stores:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunTests(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// The suite pins the contract written on the interfaces in package store,
// plus what services and the SigV4 path rely on without saying:
//
//   - Times round-trip to the microsecond (PostgreSQL's precision); the
//     zero time means "never" and round-trips as zero.
//   - Names compare and order case-insensitively by strings.ToLower, then
//     bytewise (so "a_b" sorts before "ab"); path prefixes are
//     case-sensitive.
//   - Listings are stable under concurrent writes: a user that exists for
//     the whole paging is returned exactly once.
//   - Quotas hold under concurrency (20 creators racing for 2 key slots:
//     exactly 2 win) and concurrent writes never fail for being concurrent.
//   - No tags decode as nil.
//
// This package is for tests only: import it only from _test.go files.
package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// RunTests runs the conformance suite. newStore returns a new, empty,
// migrated store for one subtest; RunTests closes it when the subtest ends.
// Subtests do not run in parallel with each other, so a backend may share
// one database between them as long as newStore empties it.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"Account", testAccount},
		{"UserCRUD", testUserCRUD},
		{"UserNameCaseInsensitive", testUserNameCaseInsensitive},
		{"ListUsers", testListUsers},
		{"ListUsersManyPages", testListUsersManyPages},
		{"ListUsersConcurrentInserts", testListUsersConcurrentInserts},
		{"DeleteUserWithKeys", testDeleteUserWithKeys},
		{"AccessKeyCRUD", testAccessKeyCRUD},
		{"AccessKeySecretRoundTrip", testAccessKeySecretRoundTrip},
		{"AccessKeyLimit", testAccessKeyLimit},
		{"AccessKeyLimitConcurrent", testAccessKeyLimitConcurrent},
		{"AccessKeyNotFound", testAccessKeyNotFound},
		{"RecordKeyUse", testRecordKeyUse},
		{"ConcurrentWrites", testConcurrentWrites},
		{"KeyringKeys", testKeyringKeys},
		{"KeyringKeysConcurrentPrimary", testKeyringKeysConcurrentPrimary},
	}
	tests = append(tests, credentialTests...) // credentials.go
	tests = append(tests, auditTests...)      // audit.go
	tests = append(tests, iamTests...)        // iam.go
	tests = append(tests, revocationTests...) // revocation.go
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

// accountID is the fixture account every test creates first.
const accountID = "123456789012"

// t0 is the fixture time, with microsecond precision.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// cmpOpts compares records: secrets by value (in constant time), times with
// Time.Equal (cmp's default for types with an Equal method), and nil and
// empty slices alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b secret.String) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

func mustAccount(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.CreateAccount(t.Context(), store.Account{ID: accountID, CreatedAt: t0}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
}

func newUser(name string, n int) store.User {
	return store.User{
		AccountID: accountID,
		ID:        fmt.Sprintf("AIDA%016X", n),
		Name:      name,
		Path:      "/",
		CreatedAt: at(n),
	}
}

func mustUser(t *testing.T, s store.Store, u store.User) store.User {
	t.Helper()
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Name, err)
	}
	return u
}

func newKey(u store.User, n int) store.AccessKey {
	return store.AccessKey{
		AccountID: accountID,
		ID:        fmt.Sprintf("AKIA%016X", n),
		UserID:    u.ID,
		UserName:  u.Name,
		Secret:    secret.New(fmt.Sprintf("secret/%d/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", n)),
		Status:    store.KeyActive,
		CreatedAt: at(n),
	}
}

func mustKey(t *testing.T, s store.Store, k store.AccessKey) store.AccessKey {
	t.Helper()
	if err := s.CreateAccessKey(t.Context(), k, 2); err != nil {
		t.Fatalf("CreateAccessKey(%s): %v", k.ID, err)
	}
	return k
}

// wantErr fails t unless errors.Is(err, want) (want nil: err is nil).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping = %v, want nil", err)
	}
}

func testAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetAccount(ctx)
	wantErr(t, "GetAccount before CreateAccount", err, store.ErrNotFound)

	want := store.Account{ID: accountID, CreatedAt: t0}
	if err := s.CreateAccount(ctx, want); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, err := s.GetAccount(ctx)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetAccount mismatch (-want +got):\n%s", diff)
	}
	for _, id := range []string{accountID, "210987654321"} {
		err := s.CreateAccount(ctx, store.Account{ID: id, CreatedAt: at(1)})
		wantErr(t, fmt.Sprintf("second CreateAccount(%q)", id), err, store.ErrConflict)
	}
	got, err = s.GetAccount(ctx)
	if err != nil || !got.CreatedAt.Equal(t0) {
		t.Errorf("GetAccount after conflicts = %+v, %v; want the first account", got, err)
	}
}

func testUserCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	alice := store.User{
		AccountID:           accountID,
		ID:                  "AIDAALICE0000000001",
		Name:                "Alice",
		Path:                "/eng/",
		PermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary",
		Tags:                []store.Tag{{Key: "team", Value: "core"}, {Key: "Cost-Center", Value: "42 €"}},
		CreatedAt:           t0,
		PasswordLastUsed:    at(60),
	}
	bob := newUser("bob", 2)
	mustUser(t, s, alice)
	mustUser(t, s, bob)

	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, accountID, name)
		if err != nil {
			t.Fatalf("GetUser(%q): %v", name, err)
		}
		if diff := cmp.Diff(alice, got, cmpOpts); diff != "" {
			t.Errorf("GetUser(%q) mismatch (-want +got):\n%s", name, diff)
		}
	}
	got, err := s.GetUserByID(ctx, accountID, alice.ID)
	if err != nil {
		t.Fatalf("GetUserByID: %v", err)
	}
	if diff := cmp.Diff(alice, got, cmpOpts); diff != "" {
		t.Errorf("GetUserByID mismatch (-want +got):\n%s", diff)
	}
	got, err = s.GetUser(ctx, accountID, "bob")
	if err != nil {
		t.Fatalf("GetUser(bob): %v", err)
	}
	if diff := cmp.Diff(bob, got, cmpOpts); diff != "" {
		t.Errorf("GetUser(bob) mismatch (-want +got):\n%s", diff)
	}
	if got.Tags != nil || !got.PasswordLastUsed.IsZero() {
		t.Errorf("GetUser(bob) = Tags %#v, PasswordLastUsed %v; want nil and zero", got.Tags, got.PasswordLastUsed)
	}

	notFound := []struct {
		name string
		call func() error
	}{
		{"GetUser(unknown)", func() error { _, err := s.GetUser(ctx, accountID, "carol"); return err }},
		{"GetUser(other account)", func() error { _, err := s.GetUser(ctx, "210987654321", "Alice"); return err }},
		{"GetUserByID(unknown)", func() error { _, err := s.GetUserByID(ctx, accountID, "AIDANOPE"); return err }},
		{"GetUserByID(other account)", func() error { _, err := s.GetUserByID(ctx, "210987654321", alice.ID); return err }},
		{"GetUserByID(name)", func() error { _, err := s.GetUserByID(ctx, accountID, "Alice"); return err }},
		{"DeleteUser(unknown)", func() error { return s.DeleteUser(ctx, accountID, "carol") }},
	}
	for _, tc := range notFound {
		wantErr(t, tc.name, tc.call(), store.ErrNotFound)
	}

	dupID := newUser("carol", 3)
	dupID.ID = alice.ID
	wantErr(t, "CreateUser(duplicate id)", s.CreateUser(ctx, dupID), store.ErrConflict)

	if err := s.DeleteUser(ctx, accountID, "ALICE"); err != nil {
		t.Fatalf("DeleteUser(ALICE): %v", err)
	}
	_, err = s.GetUser(ctx, accountID, "Alice")
	wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	_, err = s.GetUserByID(ctx, accountID, alice.ID)
	wantErr(t, "GetUserByID after DeleteUser", err, store.ErrNotFound)
	wantErr(t, "second DeleteUser", s.DeleteUser(ctx, accountID, "Alice"), store.ErrNotFound)
	if _, err := s.GetUser(ctx, accountID, "bob"); err != nil {
		t.Errorf("GetUser(bob) after deleting Alice: %v", err)
	}

	// The name is free again, under a new id.
	again := newUser("alice", 4)
	mustUser(t, s, again)
	got, err = s.GetUser(ctx, accountID, "Alice")
	if err != nil || got.ID != again.ID {
		t.Errorf("GetUser(Alice) after re-create = %q, %v; want id %q", got.ID, err, again.ID)
	}
}

func testUserNameCaseInsensitive(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	mustUser(t, s, newUser("Deploy-Bot", 1))
	tests := []struct {
		name string
		want error
	}{
		{"Deploy-Bot", store.ErrConflict},
		{"deploy-bot", store.ErrConflict},
		{"DEPLOY-BOT", store.ErrConflict},
		{"dEpLoY-bOt", store.ErrConflict},
		{"Deploy-Bot2", nil},
		{"Deploy_Bot", nil},
		{"Deploy-Bo", nil},
	}
	for i, tc := range tests {
		err := s.CreateUser(ctx, newUser(tc.name, 10+i))
		wantErr(t, fmt.Sprintf("CreateUser(%q)", tc.name), err, tc.want)
	}
}

// listAll pages through ListUsers and returns the names in order and the
// number of pages, failing t on a repeated marker.
func listAll(t *testing.T, s store.Store, prefix string, limit int) (names []string, pages int) {
	t.Helper()
	marker := ""
	for {
		page, err := s.ListUsers(t.Context(), accountID, store.ListOptions{PathPrefix: prefix, Marker: marker, Limit: limit})
		if err != nil {
			t.Fatalf("ListUsers(prefix %q, marker %q, limit %d): %v", prefix, marker, limit, err)
		}
		pages++
		if len(page.Items) > limit {
			t.Fatalf("ListUsers(limit %d) returned %d items", limit, len(page.Items))
		}
		if page.Next != "" && len(page.Items) == 0 {
			t.Fatalf("ListUsers(marker %q) = empty page with Next %q", marker, page.Next)
		}
		for _, u := range page.Items {
			names = append(names, u.Name)
		}
		if page.Next == "" {
			return names, pages
		}
		if page.Next == marker {
			t.Fatalf("ListUsers(marker %q) returned the same marker", marker)
		}
		marker = page.Next
	}
}

// sortedNames sorts names the way listings order them.
func sortedNames(names []string) []string {
	names = slices.Clone(names)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	users := []struct{ name, path string }{
		{"zed", "/"},
		{"Alice", "/eng/"},
		{"bob", "/eng/sub/"},
		{"Carol", "/ops/"},
		{"ab", "/"},
		{"a_b", "/"}, // '_' sorts before letters once case is folded to lower
		{"AC", "/eng/"},
		{"dave@example.com", "/"},
		{"Eve+1", "/engineering/"},
		{"frank", "/Eng/"},
	}
	var all, eng []string
	for i, u := range users {
		nu := newUser(u.name, i)
		nu.Path = u.path
		mustUser(t, s, nu)
		all = append(all, u.name)
		if strings.HasPrefix(u.path, "/eng/") {
			eng = append(eng, u.name)
		}
	}
	all, eng = sortedNames(all), sortedNames(eng)
	if all[0] != "a_b" || all[1] != "ab" || all[2] != "AC" {
		t.Fatalf("fixture order %q: want a_b, ab, AC first", all[:3])
	}

	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"/", all},
		{"/eng/", eng},
		{"/eng", sortedNames(append(slices.Clone(eng), "Eve+1"))}, // a prefix, not a path segment
		{"/ENG/", nil},
		{"/none/", nil},
	}
	for _, tc := range tests {
		for _, limit := range []int{1, 2, 3, len(tc.want), len(tc.want) + 1, 1000} {
			if limit < 1 {
				continue
			}
			got, pages := listAll(t, s, tc.prefix, limit)
			if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
				t.Errorf("ListUsers(prefix %q, limit %d) names mismatch (-want +got):\n%s", tc.prefix, limit, diff)
			}
			if wantPages := max(1, (len(tc.want)+limit-1)/limit); tc.prefix == "" && pages != wantPages {
				t.Errorf("ListUsers(prefix %q, limit %d) took %d pages, want %d", tc.prefix, limit, pages, wantPages)
			}
		}
	}

	// Full records, and markers compare case-insensitively.
	page, err := s.ListUsers(ctx, accountID, store.ListOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Next == "" {
		t.Fatalf("ListUsers(limit 2) = %d items, Next %q", len(page.Items), page.Next)
	}
	want := newUser("a_b", 5)
	if diff := cmp.Diff(want, page.Items[0], cmpOpts); diff != "" {
		t.Errorf("ListUsers item mismatch (-want +got):\n%s", diff)
	}
	for _, marker := range []string{"BOB", "bob", "Bob"} {
		page, err := s.ListUsers(ctx, accountID, store.ListOptions{Marker: marker, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Name != "Carol" {
			t.Errorf("ListUsers(marker %q) = %v, want [Carol]", marker, page.Items)
		}
	}
	page, err = s.ListUsers(ctx, accountID, store.ListOptions{Marker: "zed", Limit: 10})
	if err != nil || len(page.Items) != 0 || page.Next != "" {
		t.Errorf("ListUsers(after last) = %v, %q, %v; want empty last page", page.Items, page.Next, err)
	}
	page, err = s.ListUsers(ctx, "210987654321", store.ListOptions{Limit: 10})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("ListUsers(other account) = %v, %v; want none", page.Items, err)
	}
}

func testListUsersManyPages(t *testing.T, s store.Store) {
	mustAccount(t, s)
	const n = 250
	var want []string
	for _, i := range rand.Perm(n) {
		name := fmt.Sprintf("User%03d", i)
		if i%2 == 0 {
			name = strings.ToLower(name)
		}
		mustUser(t, s, newUser(name, i))
		want = append(want, name)
	}
	want = sortedNames(want)
	got, pages := listAll(t, s, "/", 10)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListUsers names mismatch (-want +got):\n%s", diff)
	}
	if pages != n/10 {
		t.Errorf("ListUsers took %d pages of 10 for %d users, want %d", pages, n, n/10)
	}
}

func testListUsersConcurrentInserts(t *testing.T, s store.Store) {
	mustAccount(t, s)
	const seeded = 120
	var want []string
	for i := range seeded {
		name := fmt.Sprintf("user-%03d", i*2)
		mustUser(t, s, newUser(name, i))
		want = append(want, name)
	}

	// Writers insert names before, between and after the seeded ones while
	// the reader pages (a bounded number each, so paging terminates).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var writeErrs []error
	for w := range 4 {
		wg.Go(func() {
			for i := range 150 {
				select {
				case <-stop:
					return
				default:
				}
				var name string
				switch i % 3 {
				case 0:
					name = fmt.Sprintf("user-%03d-w%d-%d", rand.IntN(seeded*2), w, i)
				case 1:
					name = fmt.Sprintf("a-w%d-%d", w, i)
				default:
					name = fmt.Sprintf("z-w%d-%d", w, i)
				}
				if err := s.CreateUser(t.Context(), newUser(name, 1000+w*100000+i)); err != nil {
					mu.Lock()
					writeErrs = append(writeErrs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	var got []string
	for range 3 {
		names, _ := listAll(t, s, "/", 7)
		got = names
	}
	close(stop)
	wg.Wait()
	for _, err := range writeErrs {
		t.Errorf("concurrent CreateUser: %v", err)
	}

	seen := make(map[string]bool, len(got))
	for i, name := range got {
		if seen[name] {
			t.Errorf("ListUsers returned %q twice", name)
		}
		seen[name] = true
		if i > 0 && strings.ToLower(got[i-1]) >= strings.ToLower(name) {
			t.Errorf("ListUsers out of order: %q before %q", got[i-1], name)
		}
	}
	for _, name := range want {
		if !seen[name] {
			t.Errorf("ListUsers skipped %q, which existed throughout", name)
		}
	}
}

func testDeleteUserWithKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	k1 := mustKey(t, s, newKey(u, 1))
	k2 := mustKey(t, s, newKey(u, 2))

	wantErr(t, "DeleteUser with two keys", s.DeleteUser(ctx, accountID, "alice"), store.ErrHasDependents)
	if err := s.DeleteAccessKey(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteUser with one key", s.DeleteUser(ctx, accountID, "Alice"), store.ErrHasDependents)
	if _, err := s.GetUser(ctx, accountID, "alice"); err != nil {
		t.Errorf("GetUser after refused DeleteUser: %v", err)
	}
	if _, err := s.GetAccessKey(ctx, k2.ID); err != nil {
		t.Errorf("GetAccessKey after refused DeleteUser: %v", err)
	}
	if err := s.DeleteAccessKey(ctx, k2.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteUser without keys", s.DeleteUser(ctx, accountID, "alice"), nil)
}

func testAccessKeyCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	alice := mustUser(t, s, newUser("Alice", 1))
	bob := mustUser(t, s, newUser("bob", 2))

	// Created out of order: listings are oldest first by CreatedAt.
	newer := newKey(alice, 20)
	older := newKey(alice, 10)
	older.LastUsedAt, older.LastUsedService, older.LastUsedRegion = at(30), "sts", "eu-west-1"
	mustKey(t, s, newer)
	mustKey(t, s, older)
	bobKey := mustKey(t, s, newKey(bob, 5))
	root := newKey(store.User{}, 1)
	mustKey(t, s, root)

	for _, want := range []store.AccessKey{newer, older, bobKey, root} {
		got, err := s.GetAccessKey(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetAccessKey(%s): %v", want.ID, err)
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("GetAccessKey(%s) mismatch (-want +got):\n%s", want.ID, diff)
		}
	}

	lists := []struct {
		name   string
		userID string
		want   []store.AccessKey
	}{
		{"alice", alice.ID, []store.AccessKey{older, newer}},
		{"bob", bob.ID, []store.AccessKey{bobKey}},
		{"root", "", []store.AccessKey{root}},
		{"unknown user", "AIDANOBODY", nil},
	}
	for _, tc := range lists {
		got, err := s.ListAccessKeys(ctx, accountID, tc.userID)
		if err != nil {
			t.Fatalf("ListAccessKeys(%s): %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
			t.Errorf("ListAccessKeys(%s) mismatch (-want +got):\n%s", tc.name, diff)
		}
	}

	dup := newKey(bob, 99)
	dup.ID = newer.ID
	wantErr(t, "CreateAccessKey(duplicate id)", s.CreateAccessKey(ctx, dup, 2), store.ErrConflict)

	for _, status := range []store.AccessKeyStatus{store.KeyInactive, store.KeyExpired, store.KeyActive, store.KeyInactive} {
		if err := s.UpdateAccessKeyStatus(ctx, newer.ID, status); err != nil {
			t.Fatalf("UpdateAccessKeyStatus(%s): %v", status, err)
		}
		got, err := s.GetAccessKey(ctx, newer.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := newer
		want.Status = status
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("GetAccessKey after UpdateAccessKeyStatus(%s) mismatch (-want +got):\n%s", status, diff)
		}
	}

	if err := s.DeleteAccessKey(ctx, older.ID); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	_, err := s.GetAccessKey(ctx, older.ID)
	wantErr(t, "GetAccessKey after DeleteAccessKey", err, store.ErrNotFound)
	got, err := s.ListAccessKeys(ctx, accountID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	newer.Status = store.KeyInactive
	if diff := cmp.Diff([]store.AccessKey{newer}, got, cmpOpts); diff != "" {
		t.Errorf("ListAccessKeys after DeleteAccessKey mismatch (-want +got):\n%s", diff)
	}
}

func testAccessKeySecretRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	tests := []struct {
		name   string
		secret string
	}{
		{"aws", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"long", strings.Repeat("0123456789abcdef", 64)},
		{"binary-ish", "\x00\x01\xff tab\tnewline\n"},
		{"unicode", "sécrét-ключ-鍵"},
	}
	for i, tc := range tests {
		k := newKey(u, i)
		k.Secret = secret.New(tc.secret)
		if err := s.CreateAccessKey(ctx, k, len(tests)); err != nil {
			t.Fatalf("CreateAccessKey(%s): %v", tc.name, err)
		}
		got, err := s.GetAccessKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("GetAccessKey(%s): %v", tc.name, err)
		}
		if got.Secret.Reveal() != tc.secret {
			t.Errorf("GetAccessKey(%s).Secret does not round-trip (len %d, want %d)", tc.name, len(got.Secret.Reveal()), len(tc.secret))
		}
	}
	keys, err := s.ListAccessKeys(ctx, accountID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if k.Secret.Reveal() != tests[i].secret {
			t.Errorf("ListAccessKeys[%d].Secret does not round-trip", i)
		}
	}
}

func testAccessKeyLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	alice := mustUser(t, s, newUser("alice", 1))
	bob := mustUser(t, s, newUser("bob", 2))
	owners := []struct {
		name string
		user store.User
	}{
		{"user", alice},
		{"root", store.User{}},
	}
	for o, owner := range owners {
		base := 100 * (o + 1)
		mustKey(t, s, newKey(owner.user, base+1))
		k2 := mustKey(t, s, newKey(owner.user, base+2))
		wantErr(t, owner.name+": third CreateAccessKey", s.CreateAccessKey(ctx, newKey(owner.user, base+3), 2), store.ErrLimit)
		// Status does not free a slot; deleting does.
		if err := s.UpdateAccessKeyStatus(ctx, k2.ID, store.KeyInactive); err != nil {
			t.Fatal(err)
		}
		wantErr(t, owner.name+": CreateAccessKey with an inactive key", s.CreateAccessKey(ctx, newKey(owner.user, base+4), 2), store.ErrLimit)
		if err := s.DeleteAccessKey(ctx, k2.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, owner.name+": CreateAccessKey after DeleteAccessKey", s.CreateAccessKey(ctx, newKey(owner.user, base+5), 2), nil)
	}
	// Limits are per owner.
	wantErr(t, "bob: CreateAccessKey", s.CreateAccessKey(ctx, newKey(bob, 900), 2), nil)
	wantErr(t, "bob: CreateAccessKey with max 1", s.CreateAccessKey(ctx, newKey(bob, 901), 1), store.ErrLimit)
	wantErr(t, "bob: CreateAccessKey with max 3", s.CreateAccessKey(ctx, newKey(bob, 902), 3), nil)
}

func testAccessKeyLimitConcurrent(t *testing.T, s store.Store) {
	mustAccount(t, s)
	alice := mustUser(t, s, newUser("alice", 1))
	const creators = 20
	owners := []struct {
		name string
		user store.User
	}{
		{"user", alice},
		{"root", store.User{}},
	}
	for o, owner := range owners {
		t.Run(owner.name, func(t *testing.T) {
			errs := make([]error, creators)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range creators {
				wg.Go(func() {
					<-start
					errs[i] = s.CreateAccessKey(t.Context(), newKey(owner.user, 1000*(o+1)+i), 2)
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, store.ErrLimit):
					t.Errorf("creator %d: CreateAccessKey = %v, want nil or ErrLimit", i, err)
				}
			}
			if ok != 2 {
				t.Errorf("%d of %d concurrent CreateAccessKey(max 2) succeeded, want exactly 2", ok, creators)
			}
			keys, err := s.ListAccessKeys(t.Context(), accountID, owner.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 {
				t.Errorf("ListAccessKeys = %d keys, want 2", len(keys))
			}
		})
	}
}

func testAccessKeyNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	k := mustKey(t, s, newKey(u, 1))
	const missing = "AKIAMISSINGMISSING00"
	tests := []struct {
		name string
		call func() error
	}{
		{"GetAccessKey", func() error { _, err := s.GetAccessKey(ctx, missing); return err }},
		{"GetAccessKey(lower case)", func() error { _, err := s.GetAccessKey(ctx, strings.ToLower(k.ID)); return err }},
		{"UpdateAccessKeyStatus", func() error { return s.UpdateAccessKeyStatus(ctx, missing, store.KeyInactive) }},
		{"DeleteAccessKey", func() error { return s.DeleteAccessKey(ctx, missing) }},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, tc.call(), store.ErrNotFound)
	}
	if err := s.DeleteAccessKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second DeleteAccessKey", s.DeleteAccessKey(ctx, k.ID), store.ErrNotFound)
	wantErr(t, "UpdateAccessKeyStatus after delete", s.UpdateAccessKeyStatus(ctx, k.ID, store.KeyActive), store.ErrNotFound)
}

func testRecordKeyUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	u := mustUser(t, s, newUser("alice", 1))
	k1 := mustKey(t, s, newKey(u, 1))
	k2 := mustKey(t, s, newKey(u, 2))
	root := mustKey(t, s, newKey(store.User{}, 3))

	type use struct {
		at              time.Time
		service, region string
	}
	check := func(step string, want map[string]use) {
		t.Helper()
		for id, w := range want {
			got, err := s.GetAccessKey(ctx, id)
			if err != nil {
				t.Fatalf("%s: GetAccessKey(%s): %v", step, id, err)
			}
			g := use{got.LastUsedAt, got.LastUsedService, got.LastUsedRegion}
			if diff := cmp.Diff(w, g, cmp.AllowUnexported(use{})); diff != "" {
				t.Errorf("%s: last use of %s mismatch (-want +got):\n%s", step, id, diff)
			}
		}
	}

	if err := s.RecordKeyUse(ctx, nil); err != nil {
		t.Errorf("RecordKeyUse(nil) = %v", err)
	}
	check("never used", map[string]use{k1.ID: {}, k2.ID: {}, root.ID: {}})

	batch := []store.KeyUse{
		{AccessKeyID: k1.ID, At: at(200), Service: "sts", Region: "us-east-1"},
		{AccessKeyID: k1.ID, At: at(100), Service: "iam", Region: "us-east-1"}, // older, later in the batch
		{AccessKeyID: k2.ID, At: at(50), Service: "iam", Region: "eu-west-1"},
		{AccessKeyID: k2.ID, At: at(150), Service: "s3", Region: "eu-west-2"},
		{AccessKeyID: "AKIADELETEDMEANWHILE", At: at(300), Service: "sts", Region: "us-east-1"},
		{AccessKeyID: root.ID, At: at(10), Service: "sts", Region: "us-west-2"},
	}
	if err := s.RecordKeyUse(ctx, batch); err != nil {
		t.Fatalf("RecordKeyUse: %v", err)
	}
	check("first batch", map[string]use{
		k1.ID:   {at(200), "sts", "us-east-1"},
		k2.ID:   {at(150), "s3", "eu-west-2"},
		root.ID: {at(10), "sts", "us-west-2"},
	})

	// A late batch with older observations changes nothing; newer ones win.
	if err := s.RecordKeyUse(ctx, []store.KeyUse{
		{AccessKeyID: k1.ID, At: at(199), Service: "iam", Region: "ap-south-1"},
		{AccessKeyID: k2.ID, At: at(151), Service: "sts", Region: "us-east-2"},
	}); err != nil {
		t.Fatalf("RecordKeyUse: %v", err)
	}
	check("second batch", map[string]use{
		k1.ID: {at(200), "sts", "us-east-1"},
		k2.ID: {at(151), "sts", "us-east-2"},
	})

	// Recording use touches nothing else.
	got, err := s.GetAccessKey(ctx, k1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := k1
	want.LastUsedAt, want.LastUsedService, want.LastUsedRegion = at(200), "sts", "us-east-1"
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetAccessKey after RecordKeyUse mismatch (-want +got):\n%s", diff)
	}
}

func testConcurrentWrites(t *testing.T, s store.Store) {
	mustAccount(t, s)
	const writers = 16
	const each = 10
	errs := make(chan error, writers*each*4)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			ctx := t.Context()
			for i := range each {
				n := w*each + i
				u := newUser(fmt.Sprintf("user-%d", n), n)
				if err := s.CreateUser(ctx, u); err != nil {
					errs <- fmt.Errorf("CreateUser(%q): %w", u.Name, err)
					continue
				}
				k := newKey(u, n)
				if err := s.CreateAccessKey(ctx, k, 2); err != nil {
					errs <- fmt.Errorf("CreateAccessKey: %w", err)
					continue
				}
				if err := s.RecordKeyUse(ctx, []store.KeyUse{{AccessKeyID: k.ID, At: at(n), Service: "sts"}}); err != nil {
					errs <- fmt.Errorf("RecordKeyUse: %w", err)
				}
				if _, err := s.GetAccessKey(ctx, k.ID); err != nil {
					errs <- fmt.Errorf("GetAccessKey: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, _ := listAll(t, s, "/", 1000)
	if len(names) != writers*each {
		t.Errorf("ListUsers after concurrent creates = %d users, want %d", len(names), writers*each)
	}
}

func testKeyringKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	list := func() []store.KeyringKey {
		t.Helper()
		keys, err := s.ListKeyringKeys(ctx)
		if err != nil {
			t.Fatalf("ListKeyringKeys: %v", err)
		}
		return keys
	}
	if got := list(); len(got) != 0 {
		t.Errorf("ListKeyringKeys on an empty store = %d keys, want none", len(got))
	}

	k1 := store.KeyringKey{ID: "k1", Secret: secret.New("first-32-byte-signing-key-000000"), CreatedAt: at(1), RetireAfter: at(1000), Primary: true}
	k2 := store.KeyringKey{ID: "k2", Secret: secret.New("second-key"), CreatedAt: at(2)}
	k3 := store.KeyringKey{ID: "k3", Secret: secret.New("third-key\x00\xff"), CreatedAt: at(3), Primary: true}

	steps := []struct {
		name string
		do   func() error
		err  error
		want []store.KeyringKey
	}{
		{"add primary k1", func() error { return s.AddKeyringKey(ctx, k1) }, nil,
			[]store.KeyringKey{k1}},
		{"add verify-only k2", func() error { return s.AddKeyringKey(ctx, k2) }, nil,
			[]store.KeyringKey{k1, k2}},
		{"add primary k3 demotes k1", func() error { return s.AddKeyringKey(ctx, k3) }, nil,
			[]store.KeyringKey{demoted(k1), k2, k3}},
		{"duplicate primary id changes nothing", func() error {
			dup := k2
			dup.Primary = true
			return s.AddKeyringKey(ctx, dup)
		}, store.ErrConflict, []store.KeyringKey{demoted(k1), k2, k3}},
		{"delete k2", func() error { return s.DeleteKeyringKey(ctx, "k2") }, nil,
			[]store.KeyringKey{demoted(k1), k3}},
		{"delete k2 again", func() error { return s.DeleteKeyringKey(ctx, "k2") }, store.ErrNotFound,
			[]store.KeyringKey{demoted(k1), k3}},
		{"delete unknown", func() error { return s.DeleteKeyringKey(ctx, "nope") }, store.ErrNotFound,
			[]store.KeyringKey{demoted(k1), k3}},
		{"set k1's retirement", func() error { return s.SetKeyringKeyRetireAfter(ctx, "k1", at(500)) }, nil,
			[]store.KeyringKey{retiring(demoted(k1), at(500)), k3}},
		{"set an unknown key's retirement", func() error { return s.SetKeyringKeyRetireAfter(ctx, "nope", at(500)) }, store.ErrNotFound,
			[]store.KeyringKey{retiring(demoted(k1), at(500)), k3}},
	}
	for _, st := range steps {
		wantErr(t, st.name, st.do(), st.err)
		if diff := cmp.Diff(st.want, list(), cmpOpts); diff != "" {
			t.Errorf("%s: ListKeyringKeys mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

func retiring(k store.KeyringKey, t time.Time) store.KeyringKey {
	k.RetireAfter = t
	return k
}

func demoted(k store.KeyringKey) store.KeyringKey {
	k.Primary = false
	return k
}

func testKeyringKeysConcurrentPrimary(t *testing.T, s store.Store) {
	const adders = 12
	var wg sync.WaitGroup
	errs := make([]error, adders)
	for i := range adders {
		wg.Go(func() {
			errs[i] = s.AddKeyringKey(t.Context(), store.KeyringKey{
				ID:        fmt.Sprintf("key-%02d", i),
				Secret:    secret.New(fmt.Sprintf("secret-%02d", i)),
				CreatedAt: at(i),
				Primary:   true,
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("AddKeyringKey(key-%02d) = %v", i, err)
		}
	}
	keys, err := s.ListKeyringKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	primaries := 0
	for _, k := range keys {
		if k.Primary {
			primaries++
		}
	}
	if len(keys) != adders || primaries != 1 {
		t.Errorf("after %d concurrent primary adds: %d keys, %d primary; want %d and 1", adders, len(keys), primaries, adders)
	}
}
