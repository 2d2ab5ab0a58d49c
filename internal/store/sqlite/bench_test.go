package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// benchSizes are the user counts the benchmarks run at. Lookups are
// indexed, so the 100k numbers stay within 2x of the 1k ones.
var benchSizes = []int{1_000, 100_000}

const benchAccount = "123456789012"

// benchDBs holds one seeded database per size, shared by the benchmarks of
// one test binary run and removed by TestMain.
var benchDBs struct {
	mu  sync.Mutex
	dir string
	dbs map[int]*Store
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchDBs.mu.Lock()
	for _, s := range benchDBs.dbs {
		s.Close()
	}
	if benchDBs.dir != "" {
		os.RemoveAll(benchDBs.dir)
	}
	benchDBs.mu.Unlock()
	os.Exit(code)
}

func benchUserName(i int) string { return fmt.Sprintf("User-%07d", i) }
func benchKeyID(i int) string    { return fmt.Sprintf("AKIA%016d", i) }

// benchStore returns a store seeded with n users, each with one access key,
// inserted in one transaction.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	benchDBs.mu.Lock()
	defer benchDBs.mu.Unlock()
	if s, ok := benchDBs.dbs[n]; ok {
		return s
	}
	if benchDBs.dir == "" {
		dir, err := os.MkdirTemp("", "castellan-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDBs.dir = dir
		benchDBs.dbs = map[int]*Store{}
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(benchDBs.dir, fmt.Sprintf("users-%d.db", n)), testBox(b))
	if err != nil {
		b.Fatal(err)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateAccount(ctx, store.Account{ID: benchAccount, CreatedAt: created}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		users, err := tx.PrepareContext(ctx, insertUser)
		if err != nil {
			return err
		}
		defer users.Close()
		keys, err := tx.PrepareContext(ctx, insertAccessKey)
		if err != nil {
			return err
		}
		defer keys.Close()
		for i := range n {
			uid := fmt.Sprintf("AIDA%016d", i)
			if _, err := users.ExecContext(ctx, benchAccount, uid, benchUserName(i), "/",
				"", "[]", dbTime(created), nil); err != nil {
				return err
			}
			kid := benchKeyID(i)
			sealed := s.box.SealString(secret.New("secret-"+kid), kid)
			if _, err := keys.ExecContext(ctx, kid, benchAccount, uid, sealed, string(store.KeyActive),
				dbTime(created), nil, "", ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Warm the read connection's page cache (a single-goroutine benchmark
	// uses one), so the sizes compare index depth rather than first reads
	// from the file.
	for _, q := range []string{
		`SELECT sum(length(secret_sealed)) FROM access_keys`,
		`SELECT sum(length(tags)) FROM users`,
		`SELECT count(*) FROM users WHERE id > ''`,
		`SELECT count(*) FROM users WHERE account_id = '` + benchAccount + `' AND name > ''`,
	} {
		var sink int64
		if err := s.r.QueryRowContext(ctx, q).Scan(&sink); err != nil {
			b.Fatal(err)
		}
	}
	var pages, pageSize int64
	s.r.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages)
	s.r.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize)
	b.Logf("seeded %d users and keys in %v (%d MiB)", n, time.Since(start).Round(time.Millisecond), pages*pageSize>>20)
	benchDBs.dbs[n] = s
	return s
}

func BenchmarkGetUser(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := b.Context()
			defer reportCPU(b)()
			for b.Loop() {
				name := benchUserName(rand.IntN(n))
				if _, err := s.GetUser(ctx, benchAccount, name); err != nil {
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
			s := benchStore(b, n)
			ctx := b.Context()
			defer reportCPU(b)()
			for b.Loop() {
				marker := benchUserName(rand.IntN(n - pageSize))
				page, err := s.ListUsers(ctx, benchAccount, store.ListOptions{PathPrefix: "/", Marker: marker, Limit: pageSize})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) != pageSize {
					b.Fatalf("page of %d users, want %d", len(page.Items), pageSize)
				}
			}
		})
	}
}

func BenchmarkGetAccessKey(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := b.Context()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := s.GetAccessKey(ctx, benchKeyID(rand.IntN(n))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU reports the process's CPU time per operation as cpu-ns/op,
// which, unlike ns/op, stays meaningful on a machine busy with other work.
// Call it before the loop and defer the function it returns.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppendAuditEvents measures the store's share of auditing per
// AssumeRole call, by batch size: the call's record (about 2 KiB, naming
// the role) and its SessionIssued record, as the server writes them.
func BenchmarkAppendAuditEvents(b *testing.B) {
	call := func(seq int) []byte {
		return fmt.Appendf(nil, `{"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE000000001"},"eventTime":"2026-11-26T14:02:50Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.52.0","requestParameters":{"roleArn":"arn:aws:iam::123456789012:role/bench","roleSessionName":"bench"},"responseElements":{"credentials":{"accessKeyId":"ASIA%016d","sessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS","expiration":"Nov 26, 2026, 3:02:50 PM"},"assumedRoleUser":{"assumedRoleId":"AROA%016X:bench","arn":"arn:aws:sts::123456789012:assumed-role/bench/bench"}},"requestID":"%08x-%04x-4000-8000-%012x","eventID":"019a%04x-%04x-7000-8000-%012x","readOnly":false,"resources":[{"accountId":"123456789012","type":"AWS::IAM::Role","ARN":"arn:aws:iam::123456789012:role/bench"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"127.0.0.1:8080"}}`,
			seq, seq*7919, seq*31, seq%65536, seq*104729, seq%65536, seq*13, seq*7)
	}
	issued := func(seq int) []byte {
		return fmt.Appendf(nil, `{"eventVersion":"1.11","userIdentity":{"type":"AWSService","invokedBy":"castellan.amazonaws.com"},"eventTime":"2026-11-26T14:02:50Z","eventSource":"sts.amazonaws.com","eventName":"SessionIssued","awsRegion":"us-east-1","sourceIPAddress":"castellan.amazonaws.com","userAgent":"castellan.amazonaws.com","eventID":"019a%04x-%04x-7000-8000-%012x","readOnly":false,"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"123456789012","serviceEventDetails":{"issuedBy":"AssumeRole","requestID":"%08x-%04x-4000-8000-%012x","principalArn":"arn:aws:sts::123456789012:assumed-role/bench/bench","sourceArn":"arn:aws:iam::123456789012:root","sessionName":"bench","sourceIPAddress":"127.0.0.1","expiration":"2026-11-26T15:02:50Z"},"eventCategory":"Management"}`,
			seq%65536, seq*3, seq*104723, seq*31, seq%65536, seq*104729)
	}
	for _, n := range []int{1, 8, 64, 512} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "audit.db"), testBox(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			t0 := time.Now().Truncate(time.Second)
			seq := 0
			b.ResetTimer()
			for b.Loop() {
				evs := make([]store.AuditEvent, 0, 2*n)
				for range n {
					seq++
					at := t0.Add(time.Duration(seq/256) * time.Second) // CloudTrail times are whole seconds
					evs = append(evs, store.AuditEvent{
						ID: fmt.Sprintf("ev-%012d-a", seq), Time: at, Name: "AssumeRole", Source: "sts.amazonaws.com",
						Username: "root", AccessKeyID: "AKIAEXAMPLE000000001", Record: call(seq),
						Resources: []store.AuditResource{{Type: "AWS::IAM::Role", Name: "bench"}, {Type: "AWS::IAM::Role", Name: "arn:aws:iam::123456789012:role/bench"}},
					}, store.AuditEvent{
						ID: fmt.Sprintf("ev-%012d-b", seq), Time: at, Name: "SessionIssued", Source: "sts.amazonaws.com",
						Username: "bench", AccessKeyID: fmt.Sprintf("ASIA%016d", seq), Record: issued(seq),
					})
				}
				if _, err := s.AppendAuditEvents(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/assumerole")
		})
	}
}
