package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/storetest"
)

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

func TestConformance(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.RunTests(t, func(t *testing.T) store.Store {
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "castellan.db"), testBox(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.RunTests(t, func(t *testing.T) store.Store {
			s, err := Open(t.Context(), MemoryPath, testBox(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func openFile(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, testBox(t), opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func seedAccount(t *testing.T, s *Store) {
	t.Helper()
	if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// TestNoSecretInClear writes secrets and checks that neither the database
// file nor its WAL holds their bytes, while open and after close. It also
// checks that a non-secret value written alongside is found, so the search
// is known to look where the rows are.
func TestNoSecretInClear(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "castellan.db")
	s := openFile(t, path)
	seedAccount(t, s)
	const userName = "visible-user-name-7c1f"
	if err := s.CreateUser(ctx, store.User{AccountID: "123456789012", ID: "AIDAVISIBLE", Name: userName, Path: "/", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1",
		"root-secret-access-key-9b8a7c6d5e4f3a2b1c0d",
		"keyring-signing-key-0123456789abcdef012345",
	}
	keys := []store.AccessKey{
		{AccountID: "123456789012", ID: "AKIAUSERKEY000000001", UserID: "AIDAVISIBLE", Secret: secret.New(secrets[0]), Status: store.KeyActive, CreatedAt: time.Now()},
		{AccountID: "123456789012", ID: "AKIAROOTKEY000000001", Secret: secret.New(secrets[1]), Status: store.KeyActive, CreatedAt: time.Now()},
	}
	for _, k := range keys {
		if err := s.CreateAccessKey(ctx, k, 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddKeyringKey(ctx, store.KeyringKey{ID: "kr1", Secret: secret.New(secrets[2]), CreatedAt: time.Now(), Primary: true}); err != nil {
		t.Fatal(err)
	}

	check := func(when string, wantFiles ...string) {
		t.Helper()
		var all []byte
		for _, suffix := range wantFiles {
			b, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			all = append(all, b...)
		}
		for _, sec := range secrets {
			if bytes.Contains(all, []byte(sec)) {
				t.Errorf("%s: secret %.8s… found in clear in %q", when, sec, wantFiles)
			}
		}
		if !bytes.Contains(all, []byte(userName)) {
			t.Errorf("%s: user name not found in %q; the search does not see the rows", when, wantFiles)
		}
	}
	check("open", "", "-wal")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			files = append(files, suffix)
		}
	}
	check("closed", files...)

	// And the secrets still open with the master key.
	s = openFile(t, path)
	defer s.Close()
	got, err := s.GetAccessKey(ctx, keys[0].ID)
	if err != nil || got.Secret.Reveal() != secrets[0] {
		t.Errorf("GetAccessKey after reopen: secret round-trip failed (%v)", err)
	}
}

// TestWrongMasterKey: a store opened with another master key fails to open
// the secrets instead of returning garbage or "not found".
func TestWrongMasterKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "castellan.db")
	s := openFile(t, path)
	seedAccount(t, s)
	k := store.AccessKey{AccountID: "123456789012", ID: "AKIAROOTKEY000000001", Secret: secret.New("s3cr3t"), Status: store.KeyActive, CreatedAt: time.Now()}
	if err := s.CreateAccessKey(ctx, k, 2); err != nil {
		t.Fatal(err)
	}
	s.Close()

	other, err := secret.NewBox(bytes.Repeat([]byte{0xAA}, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetAccessKey(ctx, k.ID)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAccessKey with another master key = %v, want an open error", err)
	}
}

// TestFileMode: the database and its -wal and -shm are 0600, whether
// SQLite created them or they existed with wider permissions.
func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	check := func(path string) {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			fi, err := os.Stat(path + suffix)
			if err != nil {
				t.Fatalf("stat %s: %v", suffix, err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("mode of %s = %v, want 0600", filepath.Base(path+suffix), got)
			}
		}
	}

	fresh := filepath.Join(dir, "fresh.db")
	s := openFile(t, fresh)
	seedAccount(t, s) // so the WAL has content
	check(fresh)
	s.Close()

	loose := filepath.Join(dir, "loose.db")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	s = openFile(t, loose)
	defer s.Close()
	seedAccount(t, s)
	check(loose)
}

// TestMigrations applies the migrations to an empty database and checks
// the bookkeeping and the schema; opening again applies nothing.
func TestMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "castellan.db")

	applied, err := Migrate(ctx, path)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	want := Migrations()
	if diff := cmp.Diff(names(want), names(applied)); diff != "" {
		t.Errorf("Migrate applied mismatch (-want +got):\n%s", diff)
	}
	if len(want) == 0 || want[0].Version != 1 || want[0].Name != "0001_init.up.sql" {
		t.Fatalf("Migrations() = %v, want 0001_init.up.sql first", names(want))
	}

	s := openFile(t, path, WithoutAutoMigrate())
	type row struct {
		Version int
		Name    string
	}
	var rows []row
	r, err := s.r.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var x row
		var appliedAt int64
		if err := r.Scan(&x.Version, &x.Name, &appliedAt); err != nil {
			t.Fatal(err)
		}
		if appliedAt <= 0 {
			t.Errorf("schema_migrations %d: applied_at = %d", x.Version, appliedAt)
		}
		rows = append(rows, x)
	}
	r.Close()
	var wantRows []row
	for _, m := range want {
		wantRows = append(wantRows, row{m.Version, m.Name})
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}

	var objects []string
	r, err = s.r.QueryContext(ctx, `SELECT type || ' ' || name FROM sqlite_schema
WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var o string
		if err := r.Scan(&o); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, o)
	}
	r.Close()
	// What 0001 creates; later migrations add more.
	wantObjects := []string{
		"index access_keys_user",
		"index keyring_keys_one_primary",
		"index users_account_name",
		"table access_keys",
		"table accounts",
		"table keyring_keys",
		"table schema_migrations",
		"table users",
	}
	for _, o := range wantObjects {
		if !slices.Contains(objects, o) {
			t.Errorf("schema lacks %s; have %q", o, objects)
		}
	}
	seedAccount(t, s)
	s.Close()

	// Re-running is a no-op that keeps the data.
	applied, err = Migrate(ctx, path)
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", names(applied), err)
	}
	s = openFile(t, path)
	if _, err := s.GetAccount(ctx); err != nil {
		t.Errorf("GetAccount after re-open: %v", err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(want) {
		t.Errorf("schema_migrations after re-open = %d rows, %v; want %d", n, err, len(want))
	}
	s.Close()
}

// TestOpenSchemaChecks: without auto-migration Open refuses a database that
// lacks migrations, and Open always refuses one from a newer binary.
func TestOpenSchemaChecks(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()

	empty := filepath.Join(dir, "empty.db")
	_, err := Open(ctx, empty, testBox(t), WithoutAutoMigrate())
	if !errors.Is(err, ErrPendingMigrations) {
		t.Errorf("Open(empty, WithoutAutoMigrate) = %v, want ErrPendingMigrations", err)
	}

	newer := filepath.Join(dir, "newer.db")
	s := openFile(t, newer)
	if _, err := s.w.ExecContext(ctx, insertMigration, 9999, "9999_future.up.sql", 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, opts := range [][]Option{nil, {WithoutAutoMigrate()}} {
		if s, err := Open(ctx, newer, testBox(t), opts...); err == nil || !strings.Contains(err.Error(), "newer") {
			if s != nil {
				s.Close()
			}
			t.Errorf("Open(newer schema, %d opts) = %v, want a newer-schema error", len(opts), err)
		}
	}
}

func TestMigrationFiles(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.TrimSpace(m.SQL) == "" {
			t.Errorf("%s is empty", m.Name)
		}
	}
}

// TestTwoStoresOneFile: two Stores on one file (as two processes would
// be) write concurrently without SQLITE_BUSY reaching the caller.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "castellan.db")
	a := openFile(t, path, WithSynchronousNormal())
	defer a.Close()
	b := openFile(t, path, WithSynchronousNormal())
	defer b.Close()
	seedAccount(t, a)

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for j := range 40 {
				u := store.User{AccountID: "123456789012", ID: fmt.Sprintf("AIDA%d-%d", i, j),
					Name: fmt.Sprintf("u%d-%d", i, j), Path: "/", CreatedAt: time.Now()}
				if err := s.CreateUser(t.Context(), u); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, err := b.ListUsers(t.Context(), "123456789012", store.ListOptions{Limit: 1000})
	if err != nil || len(page.Items) != 160 {
		t.Errorf("ListUsers = %d users, %v; want 160", len(page.Items), err)
	}
}

func names(ms []Migration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// TestQueryPlans checks that the hot queries search an index rather than
// scan a table, which is what keeps lookups flat as the tables grow (the
// benchmarks measure it; this catches a regression without timing).
func TestQueryPlans(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "castellan.db"))
	defer s.Close()
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"GetUser", selectUserByName, []any{"123456789012", "alice"}},
		{"GetUserByID", selectUserByID, []any{"123456789012", "AIDA1"}},
		{"ListUsers", listUsers, []any{"123456789012", "bob", "/", 101}},
		{"DeleteUser", selectUserIDByName, []any{"123456789012", "alice"}},
		{"DeleteUser/dependents", countUserKeys, []any{"AIDA1"}},
		{"GetAccessKey", selectAccessKey, []any{"AKIA1"}},
		{"ListAccessKeys/user", listAccessKeys, []any{"123456789012", "AIDA1"}},
		{"ListAccessKeys/root", listAccessKeys, []any{"123456789012", nil}},
		{"CreateAccessKey/count", countOwnerKeys, []any{"123456789012", "AIDA1"}},
		{"UpdateAccessKeyStatus", updateAccessKeyStatus, []any{"Inactive", "AKIA1"}},
		{"RecordKeyUse", recordKeyUse, []any{int64(1), "sts", "us-east-1", "AKIA1"}},
	}
	for _, tc := range tests {
		rows, err := s.w.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s: query plan scans a table: %q", tc.name, plan)
			}
		}
		if len(plan) == 0 || !strings.HasPrefix(plan[0], "SEARCH ") {
			t.Errorf("%s: query plan %q, want an index search first", tc.name, plan)
		}
	}
}

// TestMigrationFixtures applies the migrations one at a time to a file
// database, loading testdata/migrations/NNNN_*.sql after step NNNN, then
// reads every fixture back through the Store (hydra's migratest): later
// migrations must keep earlier data readable, sealed secrets included.
func TestMigrationFixtures(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "castellan.db")
	w, r, err := openPools(ctx, path, options{readConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	fixtures := storetest.MigrationFixtures(t, "testdata/migrations")
	for _, m := range Migrations() {
		if _, err := migrateTo(ctx, w, m.Version); err != nil {
			t.Fatalf("migrate to %d: %v", m.Version, err)
		}
		for _, sql := range fixtures[m.Version] {
			if _, err := w.ExecContext(ctx, sql); err != nil {
				t.Fatalf("fixture after %d: %v", m.Version, err)
			}
		}
	}
	r.Close()
	w.Close()

	s := openFile(t, path, WithoutAutoMigrate())
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
		AccountID:           "123456789012",
		ID:                  "AIDAFIXTUREALICE0001",
		Name:                "Alice",
		Path:                "/eng/",
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

	wantKeys := []store.AccessKey{
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
	}
	for _, want := range wantKeys {
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

	// 0051 fixture: old audit segments are found by their key (moved to
	// audit_keys by 0052), and the session survives the table rebuild of
	// 0054.
	for _, tc := range []struct {
		q    store.AuditQuery
		want []string
	}{
		{store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "AKIAFIXTUREROOT00001", Limit: 10},
			[]string{"00000000-0000-7000-8000-000000000003", "00000000-0000-7000-8000-000000000002", "00000000-0000-7000-8000-000000000001"}},
		{store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "ASIAFIXTURESESSION01", Limit: 10}, []string{"00000000-0000-7000-8000-000000000004"}},
		{store.AuditQuery{Attribute: store.AuditResourceName, Value: "r", Limit: 10}, []string{"00000000-0000-7000-8000-000000000003"}},
	} {
		p, err := s.LookupAuditEvents(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Items {
			got = append(got, e.ID)
			if want := `{"eventID":"` + e.ID + `"}`; string(e.Record) != want || e.AccessKeyID != tc.q.Value && tc.q.Attribute == store.AuditAccessKeyID {
				t.Errorf("event %s: record %s, key %s", e.ID, e.Record, e.AccessKeyID)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("LookupAuditEvents(%s=%s) after migration (-want +got):\n%s", tc.q.Attribute, tc.q.Value, diff)
		}
	}
	sess, err := s.GetSession(ctx, "ASIAFIXTURESESSION01")
	if err != nil || sess.PrincipalARN != "arn:aws:sts::123456789012:assumed-role/r/s" || sess.LastUsedIP != "192.0.2.2" || !sess.FirstUsedAt.Equal(time.UnixMicro(1767323047000000)) {
		t.Errorf("GetSession after migration = %+v, %v", sess, err)
	}
	if err := s.RecordSessions(ctx, []store.IssuedSession{{AccessKeyID: "ASIAFIXTURESESSION01", AccountID: "123456789012", Issuer: "x", PrincipalARN: "y"}}); err != nil {
		t.Errorf("RecordSessions of a migrated key: %v", err)
	}
	if live, err := s.LiveSessions(ctx, sess.PrincipalARN, "s", time.UnixMicro(1767323050000000), ""); err != nil || len(live) != 1 {
		t.Errorf("LiveSessions after migration = %v, %v", live, err)
	}
}

// TestWriterQueue: writers wait for the one write connection rather than
// failing with SQLITE_BUSY, and give up when their context ends.
func TestWriterQueue(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "castellan.db"))
	defer s.Close()
	seedAccount(t, s)
	tx, err := s.w.BeginTx(t.Context(), nil) // holds the write connection
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{AccountID: "123456789012", ID: "AIDAQUEUED", Name: "queued", Path: "/", CreatedAt: time.Now()}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.CreateUser(ctx, u); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateUser while the writer is busy, with a deadline = %v, want DeadlineExceeded", err)
	}
	// Reads are not blocked by the open write transaction.
	if _, err := s.GetAccount(t.Context()); err != nil {
		t.Errorf("GetAccount while the writer is busy: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- s.CreateUser(t.Context(), u) }()
	time.Sleep(20 * time.Millisecond) // usually queued by now; the result holds either way
	tx.Rollback()
	if err := <-done; err != nil {
		t.Errorf("queued CreateUser = %v, want nil once the writer is free", err)
	}
}

// TestPackRecords: packed blobs unpack to their records; plain blobs (as
// written before compression) pass through.
func TestPackRecords(t *testing.T) {
	for _, plain := range [][]byte{[]byte(`{"a":1}`), []byte(`{"a":1}` + "\n" + `{"a":2}`), bytes.Repeat([]byte(`{"eventName":"GetCallerIdentity"}`+"\n"), 500)} {
		packed := packRecords(nil, plain)
		if packed[0] != recordsSnappy || len(plain) > 100 && len(packed) >= len(plain)/4 {
			t.Errorf("packRecords(%d bytes) = %d bytes, marker %#x", len(plain), len(packed), packed[0])
		}
		for _, blob := range [][]byte{packed, plain} {
			got, err := unpackRecords(blob)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("unpackRecords = %.40q, %v; want %.40q", got, err, plain)
			}
		}
	}
	if _, err := unpackRecords([]byte{recordsSnappy, 0xff, 0xff}); err == nil {
		t.Error("unpackRecords accepted a corrupt blob")
	}
}

// FuzzUnpackRecords: no stored blob makes the decoder panic.
func FuzzUnpackRecords(f *testing.F) {
	f.Add(packRecords(nil, []byte(`{"a":1}`+"\n"+`{"b":2}`)))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, blob []byte) {
		_, _ = unpackRecords(blob)
	})
}
