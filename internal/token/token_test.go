package token

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newKeyring(t testing.TB, st KeyStore, clk *fakeClock) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), Config{Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func session(clk *fakeClock, d time.Duration) *identity.Session {
	return &identity.Session{
		Issuer: "AssumeRole", AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/demo",
		RoleName: "demo", RoleID: "AROAEXAMPLEEXAMPLE12", SessionName: "s1",
		Tags: []identity.Tag{{Key: "team", Value: "blue"}}, IssuedAt: clk.Now(), Expires: clk.Now().Add(d),
		Secret: secret.New(awsid.NewSecretAccessKey()), Region: "us-east-1",
	}
}

func wantCode(t *testing.T, err error, code awserr.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestSealOpen(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	k := newKeyring(t, newStore(t), clk)
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
	s := session(clk, time.Hour)
	tok, err := k.Seal(akid, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Open(akid, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Secret.Equal(s.Secret) || got.RoleARN != s.RoleARN || got.Tags[0] != s.Tags[0] || !got.Expires.Equal(s.Expires) {
		t.Errorf("Open = %+v, want %+v", got, s)
	}

	raw, _ := base64.StdEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	other := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
	tests := []struct {
		name, akid, token string
	}{
		{"empty", akid, ""},
		{"truncated", akid, tok[:len(tok)/2]},
		{"not base64", akid, "!!!!"},
		{"tampered ciphertext", akid, flip(len(raw) - 1)},
		{"tampered nonce", akid, flip(7)},
		{"unknown key id", akid, flip(2)},
		{"bad version", akid, flip(0)},
		{"other access key id", other, tok},
		{"oversized", akid, string(make([]byte, MaxTokenLength+1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Open(tc.akid, tc.token)
			wantCode(t, err, awserr.InvalidClientTokenID)
		})
	}

	clk.Add(time.Hour)
	_, err = k.Open(akid, tok)
	wantCode(t, err, awserr.ExpiredToken)
}

// TestRotation: tokens of every generation open on this node and on a
// second node sharing the store, until their keys retire.
func TestRotation(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	st := newStore(t)
	k1 := newKeyring(t, st, clk)
	type issued struct{ akid, tok string }
	var toks []issued
	for gen := 0; gen < 3; gen++ {
		akid := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
		tok, err := k1.Seal(akid, session(clk, MaxSessionLifetime))
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, issued{akid, tok})
		if gen < 2 {
			clk.Add(time.Minute)
			if _, err := k1.Rotate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.Add(2 * time.Second)
	k2 := newKeyring(t, st, clk) // another node
	for i, it := range toks {
		for _, k := range []*Keyring{k1, k2} {
			if _, err := k.Open(it.akid, it.tok); err != nil {
				t.Errorf("generation %d: Open = %v", i, err)
			}
		}
	}
	if n := len(k2.Keys()); n != 3 {
		t.Errorf("keys = %d, want 3", n)
	}
	// Past the first key's retirement, its tokens have expired anyway and
	// the key is gone from the store.
	clk.Add(MaxSessionLifetime)
	if err := k2.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(k2.Keys()); n != 1 {
		t.Errorf("after retirement keys = %d, want 1", n)
	}
}

func FuzzOpen(f *testing.F) {
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	k := newKeyring(f, newStore(f), clk)
	akid := "ASIAQ7AAAAAAAAAAAAAA"
	tok, _ := k.Seal(akid, session(clk, time.Hour))
	f.Add(akid, tok)
	f.Add(akid, "AQAAAAA=")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, id, token string) {
		s, err := k.Open(id, token)
		if err == nil && s == nil {
			t.Fatal("nil session without error")
		}
	})
}

func BenchmarkOpenCached(b *testing.B) {
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	k := newKeyring(b, newStore(b), clk)
	akid := awsid.NewAccessKeyID(awsid.TemporaryKey, "123456789012")
	tok, _ := k.Seal(akid, session(clk, time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(akid, tok); err != nil {
			b.Fatal(err)
		}
	}
}
