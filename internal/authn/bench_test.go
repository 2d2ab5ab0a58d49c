package authn

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/internal/token"
	"github.com/castellan-sts/castellan/sigv4"
)

const body = "Action=GetCallerIdentity&Version=2011-06-15"

// fixture is a store with a root key, a keyring and a verifier over both.
type fixture struct {
	v        *sigv4.Verifier
	longTerm sigv4.Credentials
	temp     sigv4.Credentials
	signedAt time.Time
}

func newFixture(tb testing.TB, extraKeys int) *fixture {
	tb.Helper()
	ctx := context.Background()
	box, _ := secret.NewBox(make([]byte, 32))
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "db"), box)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	acct := "123456789012"
	now := time.Now().UTC().Truncate(time.Second)
	if err := st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < extraKeys; i++ {
		u := store.User{AccountID: acct, ID: awsid.NewUniqueID(awsid.User), Name: "u" + strings.Repeat("x", i%3) + awsid.NewUniqueID(""), Path: "/", CreatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil {
			tb.Fatal(err)
		}
		k := store.AccessKey{AccountID: acct, ID: awsid.NewAccessKeyID(awsid.LongTermKey, acct), UserID: u.ID, Secret: secret.New(awsid.NewSecretAccessKey()), Status: store.KeyActive, CreatedAt: now}
		if err := st.CreateAccessKey(ctx, k, 2); err != nil {
			tb.Fatal(err)
		}
	}
	root := store.AccessKey{AccountID: acct, ID: awsid.NewAccessKeyID(awsid.LongTermKey, acct), Secret: secret.New(awsid.NewSecretAccessKey()), Status: store.KeyActive, CreatedAt: now}
	if err := st.CreateAccessKey(ctx, root, 2); err != nil {
		tb.Fatal(err)
	}
	kr, err := token.Open(ctx, token.Config{Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, acct)
	sess := &identity.Session{Issuer: "GetSessionToken", AccountID: acct, PrincipalID: acct, IssuedAt: now, Expires: now.Add(time.Hour), Secret: secret.New(awsid.NewSecretAccessKey())}
	tok, err := kr.Seal(akid, sess)
	if err != nil {
		tb.Fatal(err)
	}
	src := NewSource(Config{Keys: st, Sessions: kr})
	return &fixture{
		v:        &sigv4.Verifier{Credentials: src},
		longTerm: sigv4.Credentials{AccessKeyID: root.ID, SecretAccessKey: root.Secret.Reveal()},
		temp:     sigv4.Credentials{AccessKeyID: akid, SecretAccessKey: sess.Secret.Reveal(), SessionToken: tok},
		signedAt: time.Now(),
	}
}

func (f *fixture) request(tb testing.TB, c sigv4.Credentials) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("Amz-Sdk-Invocation-Id", "0b8b2b4c-6e36-4b5e-9a0a-3d2d6f1e2f11")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	if err := sigv4.Sign(r, []byte(body), c, "us-east-1", "sts", f.signedAt); err != nil {
		tb.Fatal(err)
	}
	return r
}

func benchVerify(b *testing.B, f *fixture, c sigv4.Credentials) {
	r := f.request(b, c)
	payload := []byte(body)
	ctx := context.Background()
	if _, err := f.v.Verify(ctx, r, "sts", payload); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, r, "sts", payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify compares a request signed with a long-term key (cached
// store lookup) with one signed with temporary credentials (token opened,
// cached), in the same run: the target is temporary ≤ 1.3 × long-term.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, 0)
	b.Run("long-term", func(b *testing.B) { benchVerify(b, f, f.longTerm) })
	b.Run("temporary", func(b *testing.B) { benchVerify(b, f, f.temp) })
}

// BenchmarkVerifyKeyCount shows the cached key lookup does not depend on
// how many keys the store holds: 10 against 100,000 (target ≤ 1.2×).
func BenchmarkVerifyKeyCount(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		f := newFixture(b, n)
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) { benchVerify(b, f, f.longTerm) })
	}
}
