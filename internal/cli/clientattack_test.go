package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCredentialProcessRefusesHostileServer: a server whose GetSessionToken
// secret carries a credential_process line gets no output from
// credential-process (the SDK would otherwise hand the value on) and a clear
// error, and the user's files stay as they were.
func TestCredentialProcessRefusesHostileServer(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("Action") != "GetSessionToken" {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials>` +
			`<AccessKeyId>ASIAZ2XKQBN7EXAMPLE7</AccessKeyId><SecretAccessKey>` + secret + `&#xA;[default]&#xA;credential_process = evil</SecretAccessKey>` +
			`<SessionToken>FwoGZXIvYXdzEBYaDHqa0AP1gP5s+/ZTsA==</SessionToken><Expiration>` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `</Expiration>` +
			`</Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetSessionTokenResponse>`))
	}))
	t.Cleanup(srv.Close)
	h := newHome(t)
	h.write(h.files.credentials, "[alice]\naws_access_key_id = AKIAZ2XKQBN7EXAMPLE7\naws_secret_access_key = "+secret+"\n")
	h.write(h.files.config, "[profile alice]\nregion = us-east-1\nendpoint_url = "+srv.URL+"\n")
	cred, conf := h.read(h.files.credentials), h.read(h.files.config)
	r := run(t, "", "credential-process", "--profile", "alice")
	if r.code == 0 || r.stdout != "" {
		t.Fatalf("credential-process passed on a hostile answer: %d %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "not in AWS's format") || !strings.Contains(r.stderr, "secret access key containing a newline") || strings.Contains(r.stderr, "evil") {
		t.Errorf("stderr = %q, want the refusal naming the field without the value", r.stderr)
	}
	if h.read(h.files.credentials) != cred || h.read(h.files.config) != conf {
		t.Error("the AWS files changed")
	}
}
