package postgres

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// The hot paths of a node on PostgreSQL, on 10k users with one key each
// (CASTELLAN_TEST_POSTGRES; a fresh schema per benchmark). Each operation
// is at least one round trip, so these mostly measure the connection.

const benchUsers = 10_000

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := openFresh(b)
	b.Cleanup(func() { s.Close() })
	ctx := b.Context()
	if err := s.CreateAccount(ctx, store.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	// Seed in bulk: COPY, with the secrets sealed as the store would.
	users := make([][]any, benchUsers)
	keys := make([][]any, benchUsers)
	now := time.Now().UnixMicro()
	for i := range benchUsers {
		uid := fmt.Sprintf("AIDA%016d", i)
		kid := fmt.Sprintf("AKIA%016d", i)
		users[i] = []any{uid, "123456789012", fmt.Sprintf("User-%07d", i), "/", now}
		keys[i] = []any{kid, "123456789012", uid, s.box.SealString(secret.New("secret-"+kid), kid), "Active", now}
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "account_id", "name", "path", "created_at"}, pgx.CopyFromRows(users)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"access_keys"}, []string{"id", "account_id", "user_id", "secret_sealed", "status", "created_at"}, pgx.CopyFromRows(keys)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkGetAccessKey is the SigV4 path on a cache miss.
func BenchmarkGetAccessKey(b *testing.B) {
	s := benchStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("AKIA%016d", rand.IntN(benchUsers))
			if _, err := s.GetAccessKey(b.Context(), id); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetUser is a case-insensitive lookup by name.
func BenchmarkGetUser(b *testing.B) {
	s := benchStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetUser(b.Context(), "123456789012", fmt.Sprintf("user-%07d", rand.IntN(benchUsers))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkUpdateAccessKeyStatus is a write with its change notification.
func BenchmarkUpdateAccessKeyStatus(b *testing.B) {
	s := benchStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("AKIA%016d", rand.IntN(benchUsers))
			if err := s.UpdateAccessKeyStatus(b.Context(), id, store.KeyActive); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
