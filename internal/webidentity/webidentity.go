// Package webidentity verifies OpenID Connect ID tokens for STS
// AssumeRoleWithWebIdentity: it finds the account's IAM OIDC provider for
// the token's issuer, fetches and caches the issuer's discovery document and
// JWKS (re-fetching on an unknown key id, so key rotation works), checks the
// signature (RS256/384/512, ES256/384/512), the audience against the
// provider's client ids and the token's times, with AWS's error texts.
package webidentity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/store"
)

// Limits.
const (
	// keySetTTL is how long a discovered JWKS location is reused before
	// discovery runs again.
	keySetTTL = time.Hour
	// fetchTimeout bounds discovery and JWKS requests.
	fetchTimeout = 5 * time.Second
	// iatLeeway tolerates issuer clocks slightly ahead of ours.
	iatLeeway = 5 * time.Minute
)

// AWS's messages (reference §1.3).
const (
	msgNotJWT       = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgKeyRetrieval = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgAudience     = "Incorrect token audience"
	msgSignature    = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."
)

var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// Providers finds the IAM OIDC provider registered for an issuer URL; it
// returns AWS's InvalidIdentityToken error when there is none.
type Providers interface {
	OIDCProviderByURL(ctx context.Context, issuer string) (store.OIDCProvider, error)
}

// Verified is a token that passed every check.
type Verified struct {
	Provider store.OIDCProvider
	Issuer   string
	Subject  string
	Audience string // the audience that matched a client id
	Expiry   time.Time
	// Claims holds every claim, for condition keys such as
	// token.actions.githubusercontent.com:repository.
	Claims map[string]any
}

// Verifier verifies ID tokens. It is safe for concurrent use.
type Verifier struct {
	providers Providers
	client    *http.Client
	now       func() time.Time
	log       *slog.Logger

	mu   sync.Mutex
	sets map[string]*keySet
}

type keySet struct {
	set     *oidc.RemoteKeySet
	fetched time.Time
}

// Config configures a Verifier.
type Config struct {
	Providers Providers
	// Client fetches discovery documents and keys; nil uses a client with
	// a short timeout (tests pass one that trusts their issuer's TLS cert).
	Client *http.Client
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns a Verifier.
func New(cfg Config) *Verifier {
	v := &Verifier{providers: cfg.Providers, client: cfg.Client, now: cfg.Now, log: cfg.Logger, sets: map[string]*keySet{}}
	if v.client == nil {
		v.client = &http.Client{Timeout: fetchTimeout}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	return v
}

func invalid(msg string) *awserr.Error { return awserr.Errorf(awserr.InvalidIdentityToken, "%s", msg) }

// Verify checks raw and returns its verified claims.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Verified, error) {
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil {
		return nil, invalid(msgNotJWT).WithCause(err)
	}
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return nil, invalid(msgNotJWT)
	}
	prov, err := v.providers.OIDCProviderByURL(ctx, unverified.Issuer)
	if err != nil {
		return nil, err
	}
	set, err := v.keySet(ctx, unverified.Issuer)
	if err != nil {
		return nil, invalid(msgKeyRetrieval).WithCause(err)
	}
	vctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	payload, err := set.VerifySignature(oidc.ClientContext(vctx, v.client), raw)
	if err != nil {
		var fetchErr interface{ Timeout() bool }
		if errors.As(err, &fetchErr) {
			return nil, invalid(msgKeyRetrieval).WithCause(err)
		}
		return nil, invalid(msgSignature).WithCause(err)
	}
	claims := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return nil, invalid(msgNotJWT).WithCause(err)
	}
	now := v.now()
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return nil, invalid("The web identity token must carry an integer exp claim.")
	}
	if !now.Before(exp) {
		return nil, awserr.Errorf(awserr.ExpiredTokenException, "Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp.Unix())
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && now.Before(nbf) {
		return nil, invalid(fmt.Sprintf("Token is not yet valid: current date/time %d must be after the not-before date/time %d", now.Unix(), nbf.Unix()))
	}
	if iat, ok := numericDate(claims["iat"]); ok && now.Add(iatLeeway).Before(iat) {
		return nil, invalid(fmt.Sprintf("Token was issued in the future: issued-at date/time %d is later than current date/time %d", iat.Unix(), now.Unix()))
	}
	aud := audiences(claims)
	if azp, ok := claims["azp"].(string); ok && azp != "" {
		aud = append(aud, azp)
	}
	matched := ""
	for _, a := range aud {
		for _, c := range prov.ClientIDs {
			if a == c {
				matched = a
				break
			}
		}
		if matched != "" {
			break
		}
	}
	if matched == "" {
		return nil, invalid(msgAudience)
	}
	sub, _ := claims["sub"].(string)
	return &Verified{Provider: prov, Issuer: unverified.Issuer, Subject: sub, Audience: matched, Expiry: exp, Claims: claims}, nil
}

// keySet returns the cached key set of issuer, running discovery when
// there is none or it is older than keySetTTL.
func (v *Verifier) keySet(ctx context.Context, issuer string) (*oidc.RemoteKeySet, error) {
	v.mu.Lock()
	ks := v.sets[issuer]
	v.mu.Unlock()
	if ks != nil && v.now().Sub(ks.fetched) < keySetTTL {
		return ks.set, nil
	}
	dctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(dctx, v.client), issuer)
	if err != nil {
		return nil, fmt.Errorf("webidentity: discovery for %s: %w", issuer, err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("webidentity: discovery document of %s has no jwks_uri", issuer)
	}
	// The key set outlives this request: it refetches keys on unknown ids
	// with the client carried here.
	set := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), v.client), meta.JWKSURI)
	v.mu.Lock()
	v.sets[issuer] = &keySet{set: set, fetched: v.now()}
	v.mu.Unlock()
	return set, nil
}

// numericDate reads a NumericDate claim; AWS requires integers.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	i, err := n.Int64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(i, 0).UTC(), true
}

func audiences(claims map[string]any) []string {
	switch a := claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
