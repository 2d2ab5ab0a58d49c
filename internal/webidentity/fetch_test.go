package webidentity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/store"
)

const testIssuer = "https://issuer.test"

type fakeProviders struct{}

func (fakeProviders) OIDCProviderByURL(_ context.Context, issuer string) (store.OIDCProvider, error) {
	return store.OIDCProvider{URL: issuer, ClientIDs: []string{"sts.amazonaws.com"}}, nil
}

// testIdP is an issuer whose handlers a test can change; it counts the
// requests each path receives.
type testIdP struct {
	tls, plain *httptest.Server
	pool       *x509.CertPool
	key        *ecdsa.PrivateKey
	mu         sync.Mutex
	hits       map[string]int
	// discovery returns the discovery document (nil: the default).
	discovery http.HandlerFunc
	jwks      http.HandlerFunc
}

func newTestIdP(t testing.TB) *testIdP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key, hits: map[string]int{}}
	idp.discovery = func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": testIssuer, "jwks_uri": testIssuer + "/keys"})
	}
	idp.jwks = func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		idp.hits[r.URL.Path]++
		d, j := idp.discovery, idp.jwks
		idp.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			d(w, r)
		case "/keys":
			j(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	idp.tls = httptest.NewUnstartedServer(h)
	cert, pool := selfSigned(t, "issuer.test")
	idp.tls.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	idp.tls.StartTLS()
	t.Cleanup(idp.tls.Close)
	idp.plain = httptest.NewServer(h)
	t.Cleanup(idp.plain.Close)
	idp.pool = pool
	return idp
}

func (idp *testIdP) count(path string) int {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return idp.hits[path]
}

func (idp *testIdP) set(f func()) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	f()
}

// config sends https to the TLS server and http to the plain one,
// whatever the host.
func (idp *testIdP) config(now func() time.Time) Config {
	return Config{Providers: fakeProviders{}, Now: now, RootCAs: idp.pool, AllowPrivate: true,
		DialAddress: func(hostport string) string {
			if strings.HasSuffix(hostport, ":80") {
				return idp.plain.Listener.Addr().String()
			}
			return idp.tls.Listener.Addr().String()
		}}
}

func (idp *testIdP) token(t *testing.T, kid string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: idp.key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(map[string]any{"iss": testIssuer, "aud": "sts.amazonaws.com", "sub": "s", "exp": time.Now().Add(time.Hour).Unix()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func selfSigned(t testing.TB, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host, "other.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func wantCode(t *testing.T, err error, code awserr.Code, msg string) {
	t.Helper()
	ae, ok := errors.AsType[*awserr.Error](err)
	if !ok || ae.Code != code || msg != "" && ae.Message != msg {
		t.Fatalf("err = %v, want %s %q", err, code, msg)
	}
}

func TestVerifyWorksThroughTheFetcher(t *testing.T) {
	idp := newTestIdP(t)
	v := New(idp.config(nil))
	if _, err := v.Verify(context.Background(), idp.token(t, "k1")); err != nil {
		t.Fatal(err)
	}
}

// Without --oidc-allow-private the issuer on loopback is never contacted:
// the address is checked as the connection is dialled.
func TestFetchRefusesInternalAddresses(t *testing.T) {
	idp := newTestIdP(t)
	cfg := idp.config(nil)
	cfg.AllowPrivate = false
	v := New(cfg)
	_, err := v.Verify(context.Background(), idp.token(t, "k1"))
	wantCode(t, err, awserr.InvalidIdentityToken, msgKeyRetrieval)
	if n := idp.count("/.well-known/openid-configuration"); n != 0 {
		t.Errorf("discovery reached the loopback issuer %d times", n)
	}
	if !errors.Is(err, errRefused) {
		t.Errorf("cause = %v, want a refusal", errors.Unwrap(err))
	}
}

func TestFetchRules(t *testing.T) {
	big := strings.Repeat(" ", maxFetchBody+1)
	tests := []struct {
		name     string
		insecure bool
		setup    func(idp *testIdP)
		wantKeys int // requests that must have reached /keys
		wantOK   bool
	}{
		{"jwks_uri on another host", false, func(idp *testIdP) {
			idp.discovery = func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"https://other.test/keys"}`, testIssuer)
			}
		}, 0, false},
		{"redirect to another host", false, func(idp *testIdP) {
			idp.discovery = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://other.test/elsewhere", http.StatusFound)
			}
		}, 0, false},
		{"redirect to the metadata address", false, func(idp *testIdP) {
			idp.discovery = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			}
		}, 0, false},
		{"http jwks_uri refused", false, func(idp *testIdP) {
			idp.discovery = func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"http://issuer.test/keys"}`, testIssuer)
			}
		}, 0, false},
		{"http jwks_uri with --oidc-allow-insecure", true, func(idp *testIdP) {
			idp.discovery = func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":"http://issuer.test/keys"}`, testIssuer)
			}
		}, 1, true},
		{"body over 1 MiB", false, func(idp *testIdP) {
			orig := idp.jwks
			idp.jwks = func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(big))
				orig(w, r)
			}
		}, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idp := newTestIdP(t)
			idp.set(func() { tc.setup(idp) })
			cfg := idp.config(nil)
			cfg.AllowInsecure = tc.insecure
			_, err := New(cfg).Verify(context.Background(), idp.token(t, "k1"))
			if tc.wantOK {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantCode(t, err, awserr.InvalidIdentityToken, msgKeyRetrieval)
				if !errors.Is(err, errRefused) {
					t.Errorf("cause = %v, want a refusal", err.(*awserr.Error).Unwrap())
				}
			}
			if n := idp.count("/keys"); n != tc.wantKeys {
				t.Errorf("/keys fetched %d times, want %d", n, tc.wantKeys)
			}
		})
	}
}

// A same-host redirect is followed.
func TestFetchFollowsSameHostRedirect(t *testing.T) {
	idp := newTestIdP(t)
	idp.set(func() {
		idp.discovery = func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, testIssuer, testIssuer+"/moved")
		}
	})
	mux := idp.tls.Config.Handler
	idp.tls.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/keys", http.StatusMovedPermanently)
			return
		}
		mux.ServeHTTP(w, r)
	})
	if _, err := New(idp.config(nil)).Verify(context.Background(), idp.token(t, "k1")); err != nil {
		t.Fatal(err)
	}
}

func TestIssuerServerErrorIsIDPCommunicationError(t *testing.T) {
	idp := newTestIdP(t)
	idp.set(func() {
		idp.jwks = func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }
	})
	_, err := New(idp.config(nil)).Verify(context.Background(), idp.token(t, "k1"))
	wantCode(t, err, awserr.IDPCommunicationError, msgUnreachable)
}

// Tokens with made-up key ids (anyone can send them) cost at most one
// JWKS fetch per issuer per minute; the old code fetched for each.
func TestUnknownKeyIDRefetchesAtMostOncePerMinute(t *testing.T) {
	idp := newTestIdP(t)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := New(idp.config(clock))
	for i := range 30 {
		_, err := v.Verify(context.Background(), idp.token(t, fmt.Sprintf("made-up-%d", i)))
		wantCode(t, err, awserr.InvalidIdentityToken, msgSignature)
	}
	if n := idp.count("/keys"); n != 1 {
		t.Errorf("30 unknown key ids: /keys fetched %d times, want 1 (the first discovery)", n)
	}
	mu.Lock()
	now = now.Add(keyRefetchInterval)
	mu.Unlock()
	for i := range 30 {
		_, _ = v.Verify(context.Background(), idp.token(t, fmt.Sprintf("later-%d", i)))
	}
	if n := idp.count("/keys"); n != 2 {
		t.Errorf("a minute later: /keys fetched %d times in all, want 2", n)
	}
	// The real key still works throughout.
	if _, err := v.Verify(context.Background(), idp.token(t, "k1")); err != nil {
		t.Fatal(err)
	}
}

// A failing issuer is asked at most once a minute too.
func TestFailedDiscoveryIsNotRetriedAtOnce(t *testing.T) {
	idp := newTestIdP(t)
	idp.set(func() {
		idp.discovery = func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusNotFound) }
	})
	v := New(idp.config(nil))
	for range 10 {
		_, err := v.Verify(context.Background(), idp.token(t, "k1"))
		wantCode(t, err, awserr.InvalidIdentityToken, msgKeyRetrieval)
	}
	if n := idp.count("/.well-known/openid-configuration"); n != 1 {
		t.Errorf("discovery fetched %d times, want 1", n)
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:443", false},
		{"10.1.2.3:443", false},
		{"172.16.0.1:443", false},
		{"192.168.1.1:443", false},
		{"169.254.169.254:80", false},
		{"100.100.100.200:80", false},
		{"0.0.0.0:443", false},
		{"255.255.255.255:443", false},
		{"[::1]:443", false},
		{"[::]:443", false},
		{"[fd00:ec2::254]:80", false},
		{"[fe80::1]:443", false},
		{"[::ffff:127.0.0.1]:443", false},
		{"[64:ff9b::a9fe:a9fe]:80", false},
		{"[2002:a9fe:a9fe::1]:80", false},
		{"8.8.8.8:443", true},
		{"140.82.112.3:443", true},
		{"[2606:4700::6810:84e5]:443", true},
	}
	for _, tc := range tests {
		err := checkAddress(tc.addr, false)
		if (err == nil) != tc.ok {
			t.Errorf("checkAddress(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
		if err := checkAddress(tc.addr, true); err != nil {
			t.Errorf("checkAddress(%q, allowPrivate) = %v", tc.addr, err)
		}
	}
}
