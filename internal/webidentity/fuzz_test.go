package webidentity

import (
	"context"
	"errors"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// checkVerifyAnswer fails unless Verify gave claims or one of the errors
// AssumeRoleWithWebIdentity documents for a bad token.
func checkVerifyAnswer(t *testing.T, v *Verified, err error) {
	t.Helper()
	if err == nil {
		if v == nil || v.Audience == "" {
			t.Fatalf("Verify accepted a token without a matched audience: %+v", v)
		}
		return
	}
	ae, ok := errors.AsType[*awserr.Error](err)
	if !ok {
		t.Fatalf("Verify error %v is not an AWS error", err)
	}
	switch ae.Code {
	case awserr.InvalidIdentityToken, awserr.ExpiredTokenException, awserr.IDPCommunicationError:
	default:
		t.Fatalf("Verify error code %s (%v), want InvalidIdentityToken, ExpiredTokenException or IDPCommunicationError", ae.Code, err)
	}
}

// FuzzVerify feeds arbitrary strings as web identity tokens: every answer
// is claims or a documented STS error, never a panic.
func FuzzVerify(f *testing.F) {
	idp := newTestIdP(f)
	f.Add(idp.tokenFor(f, []byte(`{"iss":"`+testIssuer+`","aud":"sts.amazonaws.com","exp":4102444800}`)))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	v := New(idp.config(nil))
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := v.Verify(context.Background(), raw)
		checkVerifyAnswer(t, got, err)
	})
}

// FuzzVerifyClaims signs arbitrary payloads with the issuer's real key, so
// that the claim checks after the signature (exp, nbf, iat, aud, azp of
// any JSON type) are what is fuzzed.
func FuzzVerifyClaims(f *testing.F) {
	idp := newTestIdP(f)
	for _, s := range []string{
		`{"iss":"` + testIssuer + `","aud":"sts.amazonaws.com","exp":4102444800}`,
		`{"iss":"` + testIssuer + `","aud":["x","sts.amazonaws.com"],"exp":4102444800,"nbf":1,"iat":2}`,
		`{"iss":"` + testIssuer + `","aud":7,"exp":"soon","azp":"sts.amazonaws.com"}`,
		`{"iss":"` + testIssuer + `","exp":1e400}`,
		`{"iss":"` + testIssuer + `","exp":-9223372036854775809,"aud":null}`,
	} {
		f.Add([]byte(s))
	}
	v := New(idp.config(nil))
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := v.Verify(context.Background(), idp.tokenFor(t, payload))
		checkVerifyAnswer(t, got, err)
	})
}

// tokenFor signs payload as it is (not re-encoded) with the issuer's key.
func (idp *testIdP) tokenFor(t testing.TB, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: idp.key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
