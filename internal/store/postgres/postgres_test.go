package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/postgres/pgtest"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/internal/store/storetest"
)

// TestMain stops the private cluster pgtest may have started.
func TestMain(m *testing.M) { pgtest.Main(m) }

// testURL returns the test database URL: CASTELLAN_TEST_POSTGRES, or a
// private cluster started for this test binary (pgtest).
func testURL(t testing.TB) string {
	t.Helper()
	return pgtest.URL(t)
}

func testBox(t testing.TB) *secret.Box {
	t.Helper()
	key := make([]byte, secret.MasterKeySize)
	for i := range key {
		key[i] = byte(i + 1)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// freshSchema returns the name of a new, empty schema that is dropped when
// the test ends: each test gets its own tables, so tests are independent
// and may share the database with other runs.
func freshSchema(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "ct_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	return name
}

// openFresh opens a store in a fresh schema.
func openFresh(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	url := testURL(t)
	schema := freshSchema(t, url)
	s, err := Open(context.Background(), url, testBox(t), append(opts, WithSchema(schema))...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, schema
}

func TestConformance(t *testing.T) {
	testURL(t)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, _ := openFresh(t)
		return s
	})
}

// TestMigrationsInStep: both backends have the same migration versions and
// names, so a schema change lands in both (and the versions mean the same).
func TestMigrationsInStep(t *testing.T) {
	var pg, lite []string
	for _, m := range Migrations() {
		pg = append(pg, m.Name)
	}
	for _, m := range sqlite.Migrations() {
		lite = append(lite, m.Name)
	}
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Errorf("PostgreSQL migrations differ from SQLite's (-sqlite +postgres):\n%s", diff)
	}
}

// TestConcurrentOpen: nodes starting at once on an empty schema migrate it
// exactly once (the advisory lock) and all open.
func TestConcurrentOpen(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	const nodes = 6
	var wg sync.WaitGroup
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), url, testBox(t), WithSchema(schema)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := len(Migrations()); n != want {
		t.Errorf("schema_migrations has %d rows, want %d", n, want)
	}
	// A reopen applies nothing and WithoutAutoMigrate accepts the schema.
	applied, err := Migrate(t.Context(), url, WithSchema(schema))
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate on a migrated schema = %d applied, %v; want none", len(applied), err)
	}
	s, err := Open(t.Context(), url, testBox(t), WithSchema(schema), WithoutAutoMigrate())
	if err != nil {
		t.Fatalf("Open(WithoutAutoMigrate) on a migrated schema: %v", err)
	}
	s.Close()
}

func TestWithoutAutoMigrate(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	_, err := Open(t.Context(), url, testBox(t), WithSchema(schema), WithoutAutoMigrate())
	if !errors.Is(err, ErrPendingMigrations) {
		t.Errorf("Open(WithoutAutoMigrate) on an empty schema = %v, want ErrPendingMigrations", err)
	}
}

// TestNoSecretInClear: the rows hold only sealed secrets.
func TestNoSecretInClear(t *testing.T) {
	ctx := t.Context()
	s, _ := openFresh(t)
	defer s.Close()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1", "keyring-signing-key-0123456789abcdef012345", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
	if err := s.CreateAccessKey(ctx, store.AccessKey{AccountID: acct, ID: "AKIAROOTKEY000000001", Secret: secret.New(secrets[0]), Status: store.KeyActive, CreatedAt: time.Now()}, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.AddKeyringKey(ctx, store.KeyringKey{ID: "kr1", Secret: secret.New(secrets[1]), CreatedAt: time.Now(), Primary: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMFADevice(ctx, store.MFADevice{AccountID: acct, SerialNumber: "arn:aws:iam::" + acct + ":mfa/d", Name: "d", Path: "/", Seed: secret.New(secrets[2]), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var dump string
	for _, q := range []string{
		`SELECT string_agg(t::text, ',') FROM access_keys t`,
		`SELECT string_agg(t::text, ',') FROM keyring_keys t`,
		`SELECT string_agg(t::text, ',') FROM mfa_devices t`,
	} {
		var part string
		if err := s.pool.QueryRow(ctx, q).Scan(&part); err != nil {
			t.Fatal(err)
		}
		dump += part
	}
	for _, sec := range secrets {
		if strings.Contains(dump, sec) || strings.Contains(dump, hex.EncodeToString([]byte(sec))) {
			t.Errorf("secret %.8s… found in clear in the rows", sec)
		}
	}
	if !strings.Contains(dump, "AKIAROOTKEY000000001") {
		t.Error("key id not found in the rows; the search does not see them")
	}
}

// recorder collects the changes a subscription delivers.
type recorder struct {
	mu sync.Mutex
	cs []store.Change
	ch chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1000)} }

func (r *recorder) add(c store.Change) {
	if c.At.IsZero() != (c.Kind == store.ChangeResync) {
		panic(fmt.Sprintf("change %v: At is set exactly for outbox changes", c))
	}
	c.At = time.Time{}
	r.mu.Lock()
	r.cs = append(r.cs, c)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

// resyncs counts the ChangeResync deliveries recorded.
func (r *recorder) resyncs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.cs {
		if c.Kind == store.ChangeResync {
			n++
		}
	}
	return n
}

// waitFor waits until the recorded changes end with want (5s at most).
func (r *recorder) waitFor(t *testing.T, want ...store.Change) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		got := append([]store.Change(nil), r.cs...)
		r.mu.Unlock()
		if len(got) >= len(want) && cmp.Equal(got[len(got)-len(want):], want) {
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("changes = %v, want them to end with %v", got, want)
		}
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.cs = nil
	r.mu.Unlock()
}

// TestNotify: a change committed through one store (node) reaches the
// subscribers of another, in commit order; a rolled-back change does not;
// a lost listener connection reconnects and reports a resync.
func TestNotify(t *testing.T) {
	ctx := t.Context()
	url := testURL(t)
	schema := freshSchema(t, url)
	a, err := Open(ctx, url, testBox(t), WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, url, testBox(t), WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rec := newRecorder()
	if err := b.Subscribe(ctx, rec.add); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	const acct = "123456789012"
	if err := a.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	u := store.User{AccountID: acct, ID: "AIDAUSER", Name: "alice", Path: "/", CreatedAt: time.Now()}
	if err := a.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	k := store.AccessKey{AccountID: acct, ID: "AKIAKEY", UserID: u.ID, Secret: secret.New("s"), Status: store.KeyActive, CreatedAt: time.Now()}
	steps := []struct {
		name string
		do   func() error
		want []store.Change
	}{
		{"create key", func() error { return a.CreateAccessKey(ctx, k, 2) }, []store.Change{{Kind: store.ChangeAccessKey, ID: k.ID}}},
		{"deactivate key", func() error { return a.UpdateAccessKeyStatus(ctx, k.ID, store.KeyInactive) },
			[]store.Change{{Kind: store.ChangeAccessKey, ID: k.ID}}},
		{"delete key", func() error { return a.DeleteAccessKey(ctx, k.ID) }, []store.Change{{Kind: store.ChangeAccessKey, ID: k.ID}}},
		{"retag user", func() error {
			_, err := a.UpdateUser(ctx, acct, "alice", func(u *store.User) error { u.Tags = []store.Tag{{Key: "k", Value: "v"}}; return nil })
			return err
		}, []store.Change{{Kind: store.ChangeUser, ID: u.ID}}},
		{"delete user", func() error { return a.DeleteUser(ctx, acct, "alice") }, []store.Change{{Kind: store.ChangeUser, ID: u.ID}}},
		{"keyring key", func() error {
			return a.AddKeyringKey(ctx, store.KeyringKey{ID: "k1", Secret: secret.New("x"), CreatedAt: time.Now(), Primary: true})
		}, []store.Change{{Kind: store.ChangeKeyring, ID: ""}}},
		{"revocation", func() error {
			return a.PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: "ASIAX", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
		}, []store.Change{{Kind: store.ChangeRevocation, ID: ""}}},
		{"group policy", func() error {
			g := store.Group{AccountID: acct, ID: "AGPAGROUP", Name: "g", Path: "/", CreatedAt: time.Now()}
			if err := a.CreateGroup(ctx, g); err != nil {
				return err
			}
			return a.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.EntityGroup, OwnerID: g.ID, Name: "p", Document: "{}", Size: 2}, 5120)
		}, []store.Change{{Kind: store.ChangePolicy, ID: ""}}},
	}
	for _, st := range steps {
		rec.reset()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		rec.waitFor(t, st.want...)
	}

	// Failed changes notify nothing: the key limit refuses the third key,
	// and the status update of an unknown key rolls back.
	rec.reset()
	for _, err := range []error{
		a.UpdateAccessKeyStatus(ctx, "AKIANOPE", store.KeyInactive),
		a.DeleteAccessKey(ctx, "AKIANOPE"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("change of an unknown key = %v, want ErrNotFound", err)
		}
	}
	if err := a.PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: "ASIAY", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, store.Change{Kind: store.ChangeRevocation})
	rec.mu.Lock()
	if len(rec.cs) != 1 {
		t.Errorf("after two failed changes and a revocation: %v, want only the revocation", rec.cs)
	}
	rec.mu.Unlock()

	// Kill the listener's connection and commit a change at once, while
	// it is away: it reconnects and replays the change from the outbox,
	// with no resync (nothing was lost).
	rec.reset()
	var killed int
	if err := a.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, listenerName(b.channel)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listener connections, want 1", killed)
	}
	if err := a.PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: "ASIAZ", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, store.Change{Kind: store.ChangeRevocation})
	if n := rec.resyncs(); n != 0 {
		t.Errorf("%d resyncs after a reconnect the outbox covers, want 0", n)
	}

	// Close ends the subscription.
	b.Close()
	done := make(chan struct{})
	go func() { b.listeners.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the subscription")
	}
}

// TestChannelName: one channel per schema, within PostgreSQL's limit.
func TestChannelName(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{"public", "castellan_changes"},
		{"prod", "castellan_changes.prod"},
	} {
		if got := channelName(tc.schema); got != tc.want {
			t.Errorf("channelName(%q) = %q, want %q", tc.schema, got, tc.want)
		}
	}
	long := channelName(strings.Repeat("s", 100))
	if len(long) > maxChannelLen || long == channelName(strings.Repeat("t", 100)) {
		t.Errorf("channelName(long) = %q: want ≤ %d bytes and distinct per schema", long, maxChannelLen)
	}
}

// TestQuotasAcrossNodes: the conformance suite races writers on one Store;
// here they race on two Stores (nodes) sharing the database, and the quotas
// still hold exactly (the row locks are in the database, not the process).
func TestQuotasAcrossNodes(t *testing.T) {
	ctx := t.Context()
	url := testURL(t)
	schema := freshSchema(t, url)
	var nodes [2]*Store
	for i := range nodes {
		s, err := Open(ctx, url, testBox(t), WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		nodes[i] = s
	}
	const acct = "123456789012"
	if err := nodes[0].CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	u := store.User{AccountID: acct, ID: "AIDARACE", Name: "race", Path: "/", CreatedAt: time.Now()}
	if err := nodes[1].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const racers = 20
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			k := store.AccessKey{AccountID: acct, ID: "AKIARACE" + strings.Repeat("0", 10) + string(rune('A'+i)), UserID: u.ID,
				Secret: secret.New("s"), Status: store.KeyActive, CreatedAt: time.Now()}
			errs[i] = nodes[i%2].CreateAccessKey(ctx, k, 2)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrLimit):
			t.Errorf("CreateAccessKey = %v, want nil or ErrLimit", err)
		}
	}
	if won != 2 {
		t.Errorf("%d of %d creators on two nodes won, want exactly 2", won, racers)
	}
	// And a user with keys cannot be deleted from the other node meanwhile.
	wantErrIs := store.ErrHasDependents
	if err := nodes[0].DeleteUser(ctx, acct, "RACE"); !errors.Is(err, wantErrIs) {
		t.Errorf("DeleteUser with keys = %v, want %v", err, wantErrIs)
	}
}

// TestMigrationFixtures applies the migrations one at a time to a fresh
// schema, loading testdata/migrations/NNNN_*.sql after step NNNN (the
// PostgreSQL twins of the SQLite fixtures), then reads every fixture back
// through the Store: later migrations must keep earlier data readable,
// sealed secrets included.
func TestMigrationFixtures(t *testing.T) {
	ctx := t.Context()
	url := testURL(t)
	schema := freshSchema(t, url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := createSchema(ctx, cfg.ConnConfig, schema); err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fixtures := storetest.MigrationFixtures(t, "testdata/migrations")
	for _, m := range Migrations() {
		if _, err := migrateTo(ctx, pool, m.Version); err != nil {
			t.Fatalf("migrate to %d: %v", m.Version, err)
		}
		for _, sql := range fixtures[m.Version] {
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatalf("fixture after %d: %v", m.Version, err)
			}
		}
	}
	pool.Close()

	s, err := Open(ctx, url, testBox(t), WithSchema(schema), WithoutAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tm := func(v string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	opts := cmp.Options{cmp.Comparer(func(a, b secret.String) bool { return a.Equal(b) })}

	account, err := s.GetAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Account{ID: "123456789012", CreatedAt: tm("2026-01-02T03:04:05.678901Z")}, account); diff != "" {
		t.Errorf("account mismatch (-want +got):\n%s", diff)
	}
	alice := store.User{
		AccountID: "123456789012", ID: "AIDAFIXTUREALICE0001", Name: "Alice", Path: "/eng/",
		PermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary",
		Tags:                []store.Tag{{Key: "team", Value: "core"}},
		CreatedAt:           tm("2026-01-02T03:04:05.678901Z"),
		PasswordLastUsed:    tm("2026-02-03T04:05:06.000001Z"),
	}
	bob := store.User{AccountID: "123456789012", ID: "AIDAFIXTUREBOB000001", Name: "bob", Path: "/",
		CreatedAt: tm("2026-02-03T04:05:06.000001Z")}
	page, err := s.ListUsers(ctx, "123456789012", store.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Page[store.User]{Items: []store.User{alice, bob}}, page, opts); diff != "" {
		t.Errorf("users mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []store.AccessKey{
		{
			AccountID: "123456789012", ID: "AKIAFIXTUREUSER00001", UserID: alice.ID, UserName: "Alice",
			Secret: secret.New("fixture/user/wJalrXUtnFEMI/K7MDENG/bPxRfiCY"), Status: store.KeyInactive,
			CreatedAt: tm("2026-02-03T04:05:06.000001Z"), LastUsedAt: tm("2026-03-04T05:06:07.5Z"),
			LastUsedService: "sts", LastUsedRegion: "eu-west-1",
		},
		{
			AccountID: "123456789012", ID: "AKIAFIXTUREROOT00001",
			Secret: secret.New("fixture/root/wJalrXUtnFEMI/K7MDENG/bPxRfiCY"), Status: store.KeyActive,
			CreatedAt: tm("2026-01-02T03:04:05.678901Z"),
		},
	} {
		got, err := s.GetAccessKey(ctx, want.ID)
		if err != nil {
			t.Fatalf("GetAccessKey(%s): %v", want.ID, err)
		}
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Errorf("access key %s mismatch (-want +got):\n%s", want.ID, diff)
		}
	}
	keyring, err := s.ListKeyringKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantKeyring := []store.KeyringKey{{
		ID: "fixture-keyring-1", Secret: secret.New("fixture-keyring-signing-key-0000000000"),
		CreatedAt: tm("2026-01-02T03:04:05.678901Z"), RetireAfter: tm("2027-01-01T00:00:00Z"), Primary: true,
	}}
	if diff := cmp.Diff(wantKeyring, keyring, opts); diff != "" {
		t.Errorf("keyring mismatch (-want +got):\n%s", diff)
	}
}

// TestDatabaseRestart: when every connection of a node is cut (a database
// restart or failover), the pool reconnects, the subscription resyncs, and
// reads and writes work again without reopening the store.
func TestDatabaseRestart(t *testing.T) {
	ctx := t.Context()
	base := testURL(t)
	schema := freshSchema(t, base)
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "castellan-test-"+schema) // only this test's sessions are cut
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String(), testBox(t), WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := newRecorder()
	if err := s.Subscribe(ctx, rec.add); err != nil {
		t.Fatal(err)
	}
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	// Several idle connections in the pool, all about to die.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.pool.Exec(ctx, `SELECT pg_sleep(0.05)`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := s.pool.Stat().IdleConns(); n < 3 {
		t.Fatalf("%d idle connections, want several", n)
	}

	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name IN ($1, $2)`,
		"castellan-test-"+schema, listenerName(s.channel)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed < 2 {
		t.Fatalf("terminated %d sessions, want the pool's and the listener's", killed)
	}

	// The pool's connections are dead: reads and writes retry on fresh
	// ones, so the callers see no error.
	if _, err := s.GetAccount(ctx); err != nil {
		t.Fatalf("GetAccount after the restart: %v", err)
	}
	if _, err := s.ListUsers(ctx, acct, store.ListOptions{Limit: 10}); err != nil {
		t.Fatalf("ListUsers after the restart: %v", err)
	}
	if err := s.CreateUser(ctx, store.User{AccountID: acct, ID: "AIDAAFTER", Name: "after", Path: "/", CreatedAt: time.Now()}); err != nil {
		t.Fatalf("CreateUser after the restart: %v", err)
	}
	if err := s.PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: "ASIAR", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("PutRevocation after the restart: %v", err)
	}
	rec.waitFor(t, store.Change{Kind: store.ChangeRevocation})
}

// TestUnavailableSQLStates: a server that cannot take the work (a full disk,
// no memory, no connections, shutting down) is store.ErrUnavailable, which
// the edge answers 503 and clients retry; a wrong request is not.
func TestUnavailableSQLStates(t *testing.T) {
	for code, want := range map[string]bool{
		"53100": true, "53200": true, "53300": true, "53400": true, // disk_full, out_of_memory, too_many_connections, configuration_limit_exceeded
		"08006": true, "08001": true, // connection_failure, sqlclient_unable_to_establish_sqlconnection
		"57P01": true, "57P03": true, // admin_shutdown, cannot_connect_now
		"57014": false, // query_canceled: the caller gave up
		"23505": false, "22001": false, "42P01": false, "40001": false,
	} {
		err := wrap("op", &pgconn.PgError{Code: code})
		if got := errors.Is(err, store.ErrUnavailable); got != want {
			t.Errorf("SQLSTATE %s: ErrUnavailable = %v, want %v", code, got, want)
		}
	}
}

// TestDiskFullIsUnavailable makes the database answer disk_full to a write
// (a trigger raising SQLSTATE 53100, as PostgreSQL does when it cannot
// extend a file) and checks the store reports ErrUnavailable, writes
// nothing, and works again when the disk has room.
func TestDiskFullIsUnavailable(t *testing.T) {
	ctx := t.Context()
	s, schema := openFresh(t)
	defer s.Close()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	sch := pgx.Identifier{schema}.Sanitize()
	if _, err := s.pool.Exec(ctx, `CREATE FUNCTION `+sch+`.refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
CREATE TRIGGER refuse_write BEFORE INSERT ON `+sch+`.users FOR EACH ROW EXECUTE FUNCTION `+sch+`.refuse_write()`); err != nil {
		t.Fatal(err)
	}
	u := store.User{AccountID: acct, ID: "AIDAFULL", Name: "full", Path: "/", CreatedAt: time.Now()}
	err := s.CreateUser(ctx, u)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("CreateUser on a full disk = %v, want store.ErrUnavailable", err)
	}
	if _, err := s.GetUser(ctx, acct, "full"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetUser after the refused write = %v, want ErrNotFound", err)
	}
	if _, err := s.pool.Exec(ctx, `DROP TRIGGER refuse_write ON `+sch+`.users`); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser once the disk has room: %v", err)
	}
}
