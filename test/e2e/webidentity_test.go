package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/castellan-sts/castellan/internal/sdktest"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

const ghIssuer = "https://token.actions.githubusercontent.com"

// oidcIssuer is a GitHub-Actions-like OpenID provider served over TLS by
// the test, with a key set that can rotate.
type oidcIssuer struct {
	srv  *httptest.Server
	pool *x509.CertPool // trusts the issuer's certificate
	// fetches counts requests per path.
	fetches map[string]int
	mu      sync.Mutex
	keys    []jose.JSONWebKey // public keys served
	signer  jose.Signer
	kid     string
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	o := &oidcIssuer{}
	mux := http.NewServeMux()
	o.fetches = map[string]int{}
	count := func(r *http.Request) {
		o.mu.Lock()
		o.fetches[r.URL.Path]++
		o.mu.Unlock()
	}
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		count(r)
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": ghIssuer, "jwks_uri": ghIssuer + "/.well-known/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}, "response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("/.well-known/jwks", func(w http.ResponseWriter, r *http.Request) {
		count(r)
		o.mu.Lock()
		defer o.mu.Unlock()
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: o.keys})
	})
	o.srv = httptest.NewUnstartedServer(mux)
	cert, pool := selfSigned(t, "token.actions.githubusercontent.com")
	o.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	o.srv.StartTLS()
	t.Cleanup(o.srv.Close)
	o.pool = pool
	o.rotate(t, "RS256")
	return o
}

// options point OIDC fetches for any host at the issuer's server.
func (o *oidcIssuer) options() app.Options {
	addr := o.srv.Listener.Addr().String()
	return app.Options{OIDCRootCAs: o.pool, OIDCDialAddress: func(string) string { return addr }}
}

// env starts a server whose OIDC fetches reach the issuer, which listens on
// loopback (so --oidc-allow-private).
func (o *oidcIssuer) env(t *testing.T) *env {
	return newEnvWith(t, o.options(), func(c *config.Config) { c.OIDC.AllowPrivate = true })
}

func (o *oidcIssuer) fetchCount(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fetches[path]
}

// rotate adds a new signing key (kept alongside the old ones in the JWKS).
func (o *oidcIssuer) rotate(t *testing.T, alg string) {
	t.Helper()
	var priv, pub any
	switch alg {
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	default:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kid = fmt.Sprintf("key-%d", len(o.keys)+1)
	o.keys = append(o.keys, jose.JSONWebKey{Key: pub, KeyID: o.kid, Algorithm: alg, Use: "sig"})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: o.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	o.signer = signer
}

func (o *oidcIssuer) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	raw, err := jwt.Signed(o.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func selfSigned(t *testing.T, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
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

func ghClaims(sub string, exp time.Time) map[string]any {
	return map[string]any{"iss": ghIssuer, "aud": "sts.amazonaws.com", "sub": sub, "repository": "acme/app", "ref": "refs/heads/main",
		"job_workflow_ref": "acme/app/.github/workflows/deploy.yml@refs/heads/main", "iat": time.Now().Unix() - 5, "nbf": time.Now().Unix() - 5, "exp": exp.Unix()}
}

func TestAssumeRoleWithWebIdentityGitHub(t *testing.T) {
	issuer := newOIDCIssuer(t)
	e := issuer.env(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	prov, err := e.iam(e.root).CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(ghIssuer), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:repository":"acme/app"},
		"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/app:ref:refs/heads/*"}}}]}`, aws.ToString(prov.OpenIDConnectProviderArn))
	roleARN := e.createRole(t, "gha-deploy", trust, 0)
	// The call is unsigned, as the SDK makes it.
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), Retryer: sdktest.Retryer})
	call := func(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("gha-run-1"), WebIdentityToken: aws.String(tok)})
	}

	out, err := call(issuer.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(5*time.Minute))))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:acme/app:ref:refs/heads/main" || aws.ToString(out.Provider) != ghIssuer || aws.ToString(out.Audience) != "sts.amazonaws.com" {
		t.Errorf("output = %+v", out)
	}
	who, err := e.sts(tempCreds(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::"+acct+":assumed-role/gha-deploy/gha-run-1" {
		t.Fatalf("GetCallerIdentity = %v, %v", who, err)
	}

	t.Run("key rotation", func(t *testing.T) {
		issuer.rotate(t, "ES256")
		// An unknown key id refetches the key set at most once a minute
		// per issuer: the first fetch was just now.
		e.clock.Set(time.Now().Add(61 * time.Second))
		defer e.clock.Set(time.Time{})
		if _, err := call(issuer.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(5*time.Minute)))); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	})
	failures := []struct {
		name   string
		claims map[string]any
		code   string
		msg    string
	}{
		{"other branch pattern", ghClaims("repo:acme/app:pull_request", time.Now().Add(time.Minute)), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"expired", ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(-time.Minute)), "ExpiredTokenException", `^Token expired: current date/time \d+ must be before the expiration date/time\d+$`},
		{"wrong audience", func() map[string]any {
			c := ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute))
			c["aud"] = "https://github.com/acme"
			return c
		}(), "InvalidIdentityToken", "Incorrect token audience"},
		{"unknown issuer", func() map[string]any {
			c := ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute))
			c["iss"] = "https://issuer.example.com"
			return c
		}(), "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://issuer.example.com"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(issuer.token(t, tc.claims))
			apiError(t, err, tc.code, tc.msg)
		})
	}
	t.Run("not a JWT", func(t *testing.T) {
		_, err := call("not-a-jwt")
		apiError(t, err, "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	})
	t.Run("forged signature", func(t *testing.T) {
		other := newOIDCIssuer(t) // same issuer name, different keys
		_, err := call(other.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute))))
		apiError(t, err, "InvalidIdentityToken", "^The web identity token that was passed could not be validated")
	})
}

// TestWebIdentityFetchesStayOutside: a registered provider whose issuer
// resolves to loopback is not contacted without --oidc-allow-private, and
// tokens with unknown key ids do not make the server fetch on each
// request (before: 30 tokens, 30 fetches).
func TestWebIdentityFetchesStayOutside(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, e *env) func(tok string) error {
		prov, err := e.iam(e.root).CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(ghIssuer), ClientIDList: []string{"sts.amazonaws.com"}})
		if err != nil {
			t.Fatal(err)
		}
		trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, aws.ToString(prov.OpenIDConnectProviderArn))
		roleARN := e.createRole(t, "gha", trust, 0)
		anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), Retryer: sdktest.Retryer})
		return func(tok string) error {
			_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess"), WebIdentityToken: aws.String(tok)})
			return err
		}
	}
	t.Run("loopback refused by default", func(t *testing.T) {
		issuer := newOIDCIssuer(t)
		e := newEnvWith(t, issuer.options())
		call := setup(t, e)
		err := call(issuer.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute))))
		apiError(t, err, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
		if n := issuer.fetchCount("/.well-known/openid-configuration"); n != 0 {
			t.Errorf("discovery reached the loopback issuer %d times", n)
		}
	})
	t.Run("unknown key ids", func(t *testing.T) {
		issuer := newOIDCIssuer(t)
		e := issuer.env(t)
		call := setup(t, e)
		if err := call(issuer.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute)))); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			issuer.mu.Lock()
			issuer.kid = fmt.Sprintf("made-up-%d", i)
			issuer.mu.Unlock()
			issuer.rotate(t, "ES256")
			issuer.mu.Lock()
			issuer.keys = issuer.keys[:1] // sign with a key the JWKS does not have
			issuer.mu.Unlock()
			err := call(issuer.token(t, ghClaims("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Minute))))
			apiError(t, err, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
		}
		if n := issuer.fetchCount("/.well-known/jwks"); n != 1 {
			t.Errorf("30 tokens with unknown key ids: JWKS fetched %d times in all, want 1", n)
		}
	})
}
