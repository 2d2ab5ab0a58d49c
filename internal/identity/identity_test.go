package identity

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
)

func TestIsRoot(t *testing.T) {
	var nilP *Principal
	for _, tc := range []struct {
		p    *Principal
		want bool
	}{
		{nilP, false},
		{&Principal{Type: Root}, true},
		{&Principal{Type: Root, Session: &Session{Issuer: "GetSessionToken"}}, true},
		{&Principal{Type: IAMUser}, false},
		{&Principal{Type: AssumedRole}, false},
	} {
		if got := tc.p.IsRoot(); got != tc.want {
			t.Errorf("%+v.IsRoot() = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// TestSessionWireNames: the JSON names of Session are part of the sealed
// token format; renaming one would make every outstanding token unreadable.
// The secret is never marshalled with the session.
func TestSessionWireNames(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := Session{
		Issuer: "AssumeRole", AccountID: "123456789012", PrincipalID: "AROAEXAMPLE", UserName: "u", UserARN: "ua",
		RoleARN: "ra", RoleName: "rn", RoleID: "ri", SessionName: "sn", FederatedName: "fn",
		WebIdentityProvider: "wp", WebIdentitySubject: "ws", WebIdentityAudience: "wa", SourceIdentity: "si",
		Policy: "po", PolicyARNs: []string{"pa"}, HasSessionPolicy: true, Tags: []Tag{{"k", "v"}},
		TransitiveTagKeys: []string{"k"}, MFA: true, MFAAuthTime: at, IssuedAt: at, Expires: at, Region: "us-east-1",
		TokenVersion: 2, ChainDepth: 1, Secret: secret.New("the-temporary-secret"),
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"is":"AssumeRole","a":"123456789012","p":"AROAEXAMPLE","un":"u","ua":"ua","ra":"ra","rn":"rn","ri":"ri",` +
		`"sn":"sn","fn":"fn","wp":"wp","ws":"ws","wa":"wa","si":"si","po":"po","pa":["pa"],"hp":true,"t":[{"k":"k","v":"v"}],` +
		`"tt":["k"],"m":true,"mt":"2026-01-02T03:04:05Z","ia":"2026-01-02T03:04:05Z","ex":"2026-01-02T03:04:05Z","r":"us-east-1","v":2,"cd":1}`
	if string(b) != want {
		t.Errorf("session JSON\n got %s\nwant %s", b, want)
	}
	if strings.Contains(string(b), "the-temporary-secret") {
		t.Error("the secret was marshalled with the session")
	}
	var empty Session
	if b, _ := json.Marshal(empty); string(b) != "{}" {
		t.Errorf("empty session marshals to %s, want {} (fields are omitted when empty)", b)
	}
}
