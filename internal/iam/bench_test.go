package iam

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

// The benchmarks run the IAM operations (store read plus result shaping)
// against SQLite files holding 1,000 and 100,000 users: lookups and pages
// are indexed, so the 100k numbers must stay within 2x of the 1k ones.

const benchAccount = "123456789012"

var benchSizes = []int{1_000, 100_000}

var benchSvcs struct {
	mu   sync.Mutex
	dir  string
	svcs map[int]*Service
	sts  []*sqlite.Store
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range benchSvcs.sts {
		s.Close()
	}
	if benchSvcs.dir != "" {
		os.RemoveAll(benchSvcs.dir)
	}
	os.Exit(code)
}

func benchUserName(i int) string { return fmt.Sprintf("user-%07d", i) }

// benchService returns a service over a store seeded with n users.
func benchService(b *testing.B, n int) *Service {
	b.Helper()
	benchSvcs.mu.Lock()
	defer benchSvcs.mu.Unlock()
	if s, ok := benchSvcs.svcs[n]; ok {
		return s
	}
	if benchSvcs.dir == "" {
		dir, err := os.MkdirTemp("", "castellan-iam-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchSvcs.dir = dir
		benchSvcs.svcs = map[int]*Service{}
	}
	key := make([]byte, secret.MasterKeySize)
	box, err := secret.NewBox(key)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	path := filepath.Join(benchSvcs.dir, fmt.Sprintf("iam-%d.db", n))
	st, err := sqlite.Open(ctx, path, box)
	if err != nil {
		b.Fatal(err)
	}
	benchSvcs.sts = append(benchSvcs.sts, st)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.CreateAccount(ctx, store.Account{ID: benchAccount, CreatedAt: created}); err != nil {
		b.Fatal(err)
	}
	// Seed in one transaction on a connection of our own: going through
	// CreateUser would commit 100,000 times.
	start := time.Now()
	if err := seedUsers(ctx, path, n, created); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users in %v", n, time.Since(start).Round(time.Millisecond))
	s := New(Config{Store: st, Account: benchAccount})
	benchSvcs.svcs[n] = s
	return s
}

// seedUsers inserts n users into the users table of the database at path.
func seedUsers(ctx context.Context, path string, n int, created time.Time) error {
	db, err := sql.Open("sqlite", "file://"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO users (account_id, id, name, path, permissions_boundary, tags, created_at)
VALUES (?, ?, ?, '/', '', '[{"Key":"team","Value":"t"}]', ?)`)
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := stmt.ExecContext(ctx, benchAccount, fmt.Sprintf("AIDA%017d", i), benchUserName(i), created.UnixMicro()); err != nil {
			return err
		}
	}
	stmt.Close()
	return tx.Commit()
}

var benchCall = &identity.Call{Caller: &identity.Principal{Type: identity.Root, AccountID: benchAccount}}

func BenchmarkGetUser(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s := benchService(b, n)
			ctx := b.Context()
			for b.Loop() {
				if _, err := s.GetUser(ctx, benchCall, &GetUserInput{UserName: benchUserName(rand.IntN(n))}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkListUsersPage(b *testing.B) {
	const pageSize = 100
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s := benchService(b, n)
			ctx := b.Context()
			max := int32(pageSize)
			for b.Loop() {
				out, err := s.ListUsers(ctx, benchCall, &ListUsersInput{Marker: benchUserName(rand.IntN(n - pageSize - 1)), MaxItems: &max})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Users) != pageSize || !out.IsTruncated {
					b.Fatalf("page of %d users, want %d", len(out.Users), pageSize)
				}
			}
		})
	}
}
