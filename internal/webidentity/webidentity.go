// Package webidentity verifies OpenID Connect ID tokens for STS
// AssumeRoleWithWebIdentity: it finds the account's IAM OIDC provider for
// the token's issuer, fetches and caches the issuer's discovery document and
// JWKS (re-fetching on an unknown key id at most once a minute per issuer,
// so key rotation works but anonymous tokens cannot make us fetch), checks
// the signature (RS256/384/512, ES256/384/512), the audience against the
// provider's client ids and the token's times, with AWS's error texts.
//
// Fetches are safe to aim anywhere (fetch.go): https only, the key set on
// the issuer's host, redirects only within that host, every connection's
// address checked against internal ranges, bodies ≤ 1 MiB, 5 s timeouts.
package webidentity

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/store"
)

// Limits.
const (
	// keySetTTL is how long a discovered JWKS location is reused before
	// discovery runs again.
	keySetTTL = time.Hour
	// fetchTimeout bounds each discovery and JWKS request (connection,
	// TLS handshake, response and body together).
	fetchTimeout = 5 * time.Second
	// keyRefetchInterval is the least time between two JWKS fetches of one
	// issuer caused by tokens whose key id is unknown.
	keyRefetchInterval = time.Minute
	// iatLeeway tolerates issuer clocks slightly ahead of ours.
	iatLeeway = 5 * time.Minute
)

// AWS's messages (reference §1.3).
const (
	msgNotJWT       = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	msgKeyRetrieval = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgAudience     = "Incorrect token audience"
	msgSignature    = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."
	// msgUnreachable is the description of IDPCommunicationError in the
	// STS API reference; AWS's wire text for it is not documented.
	msgUnreachable = "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. This is often a transient error caused by network conditions. Retry the request a limited number of times so that you don't exceed the request rate. If the error persists, the identity provider might be down or not responding."
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
	fetch     *fetcher
	now       func() time.Time
	log       *slog.Logger

	mu   sync.Mutex
	sets map[string]*keySet
	// failed holds the last failed discovery of each issuer, so that a
	// failing issuer is asked at most once per keyRefetchInterval however
	// many tokens name it.
	failed map[string]failure
}

type failure struct {
	at  time.Time
	err error
}

// keySet is the cached discovery result and keys of one issuer.
type keySet struct {
	jwksURI    string
	discovered time.Time

	mu      sync.Mutex // serialises fetches of this issuer
	keys    []jose.JSONWebKey
	fetched time.Time // last JWKS fetch, successful or not
}

// Config configures a Verifier.
type Config struct {
	Providers Providers
	Now       func() time.Time
	Logger    *slog.Logger
	// AllowInsecure accepts plain http:// key-set URLs and same-host
	// redirects to http:// (--oidc-allow-insecure; for tests).
	AllowInsecure bool
	// AllowPrivate lets fetches reach loopback, private, link-local and
	// other internal addresses (--oidc-allow-private).
	AllowPrivate bool
	// RootCAs verifies issuers' certificates; nil uses the system roots.
	RootCAs *x509.CertPool
	// DialAddress, when set, replaces the host:port each connection dials
	// (tests point a public issuer name at a local server). The address
	// rules apply to the address it returns.
	DialAddress func(hostport string) string
}

// New returns a Verifier.
func New(cfg Config) *Verifier {
	v := &Verifier{providers: cfg.Providers, fetch: newFetcher(cfg), now: cfg.Now, log: cfg.Logger, sets: map[string]*keySet{}, failed: map[string]failure{}}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	return v
}

func invalid(msg string) *awserr.Error { return awserr.Errorf(awserr.InvalidIdentityToken, "%s", msg) }

// fetchError is the AWS error for a failed discovery or key fetch.
func fetchError(err error) *awserr.Error {
	if errors.Is(err, errUnreachable) {
		return awserr.Errorf(awserr.IDPCommunicationError, "%s", msgUnreachable).WithCause(err)
	}
	return invalid(msgKeyRetrieval).WithCause(err)
}

// Verify checks raw and returns its verified claims.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Verified, error) {
	tok, err := jose.ParseSignedCompact(raw, algorithms)
	if err != nil || len(tok.Signatures) != 1 {
		return nil, invalid(msgNotJWT).WithCause(err)
	}
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(tok.UnsafePayloadWithoutVerification(), &unverified); err != nil || unverified.Issuer == "" {
		return nil, invalid(msgNotJWT)
	}
	prov, err := v.providers.OIDCProviderByURL(ctx, unverified.Issuer)
	if err != nil {
		return nil, err
	}
	ks, err := v.keySet(ctx, unverified.Issuer)
	if err != nil {
		v.log.WarnContext(ctx, "oidc discovery failed", "issuer", unverified.Issuer, "error", err)
		return nil, fetchError(err)
	}
	payload, err := v.verifySignature(ctx, ks, tok)
	if err != nil {
		return nil, err
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

// verifySignature checks tok against the issuer's keys with its key id
// (every key when it has none). An unknown key id refetches the JWKS, at
// most once per keyRefetchInterval per issuer, so that rotation works
// while tokens with made-up key ids cost no fetch.
func (v *Verifier) verifySignature(ctx context.Context, ks *keySet, tok *jose.JSONWebSignature) ([]byte, error) {
	kid := tok.Signatures[0].Header.KeyID
	ks.mu.Lock()
	keys := ks.lookup(kid)
	if len(keys) == 0 && v.now().Sub(ks.fetched) >= keyRefetchInterval {
		if err := v.fetchKeys(ctx, ks); err != nil {
			ks.mu.Unlock()
			v.log.WarnContext(ctx, "oidc key set fetch failed", "jwks_uri", ks.jwksURI, "error", err)
			return nil, fetchError(err)
		}
		keys = ks.lookup(kid)
	}
	ks.mu.Unlock()
	for _, k := range keys {
		if payload, err := tok.Verify(k); err == nil {
			return payload, nil
		}
	}
	return nil, invalid(msgSignature)
}

// lookup returns the signing keys with key id kid (all with kid "").
// Callers hold ks.mu.
func (ks *keySet) lookup(kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range ks.keys {
		if (kid == "" || k.KeyID == kid) && (k.Use == "" || k.Use == "sig") {
			out = append(out, k)
		}
	}
	return out
}

// fetchKeys replaces the keys of ks from its jwks_uri. Callers hold ks.mu.
func (v *Verifier) fetchKeys(ctx context.Context, ks *keySet) error {
	ks.fetched = v.now()
	var set jose.JSONWebKeySet
	if err := v.fetch.getJSON(ctx, ks.jwksURI, &set); err != nil {
		return err
	}
	ks.keys = set.Keys
	return nil
}

// keySet returns the cached key set of issuer, running discovery (and a
// first key fetch) when there is none or it is older than keySetTTL.
func (v *Verifier) keySet(ctx context.Context, issuer string) (*keySet, error) {
	v.mu.Lock()
	ks := v.sets[issuer]
	f, hasFailed := v.failed[issuer]
	v.mu.Unlock()
	if ks != nil && v.now().Sub(ks.discovered) < keySetTTL {
		return ks, nil
	}
	if hasFailed && v.now().Sub(f.at) < keyRefetchInterval {
		return nil, f.err
	}
	nks, err := v.discover(ctx, issuer, ks)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.failed[issuer] = failure{at: v.now(), err: err}
		if len(v.failed) > maxFailedIssuers {
			clear(v.failed)
		}
		return nil, err
	}
	delete(v.failed, issuer)
	v.sets[issuer] = nks
	return nks, nil
}

// maxFailedIssuers bounds the memory of failed discoveries; issuers are
// registered providers, so it is only reached by a very large account.
const maxFailedIssuers = 10000

// discover runs discovery for issuer and fetches its keys (keeping those of
// old when the key set did not move).
func (v *Verifier) discover(ctx context.Context, issuer string, ks *keySet) (*keySet, error) {
	iss, err := url.Parse(issuer)
	if err != nil || iss.Scheme != "https" || iss.Host == "" {
		return nil, refused("issuer %q is not an https URL", issuer)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.fetch.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &meta); err != nil {
		return nil, err
	}
	if meta.Issuer != issuer {
		return nil, fmt.Errorf("webidentity: discovery document of %s names issuer %q", issuer, meta.Issuer)
	}
	ju, err := url.Parse(meta.JWKSURI)
	if err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("webidentity: discovery document of %s has no valid jwks_uri", issuer)
	}
	if !sameHost(iss, ju) {
		return nil, refused("jwks_uri %s is not on the issuer's host %s", ju.Redacted(), iss.Host)
	}
	nks := &keySet{jwksURI: meta.JWKSURI, discovered: v.now()}
	if ks != nil && ks.jwksURI == nks.jwksURI {
		// Rediscovery of the same location keeps the keys and the
		// refetch clock.
		ks.mu.Lock()
		nks.keys, nks.fetched = ks.keys, ks.fetched
		ks.mu.Unlock()
	}
	if nks.keys == nil {
		nks.mu.Lock()
		err := v.fetchKeys(ctx, nks)
		nks.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return nks, nil
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
