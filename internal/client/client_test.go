package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

func TestMaskKeyID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AKIAIOSFODNN7EXAMPLE", "AKIA************MPLE"},
		{"ASIAZ2XKQBN7EXAMPLE7", "ASIA************PLE7"},
		{"short", "*****"},
		{"", ""},
	} {
		if got := MaskKeyID(tc.in); got != tc.want {
			t.Errorf("MaskKeyID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKeyShapes(t *testing.T) {
	const id, secret = "AKIAZ2XKQBN7EXAMPLE7", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	for _, tc := range []struct {
		name, id, secret, wantID, wantSecret string
		swapped                              bool
	}{
		{name: "good", id: id, secret: secret},
		{name: "lower case", id: strings.ToLower(id), secret: secret, wantID: "'a'"},
		{name: "short", id: id[:15], secret: secret, wantID: "15 characters"},
		{name: "19 characters", id: id[:19], secret: secret, wantID: "AWS and Castellan issue 20"},
		{name: "prefix", id: "AXIA" + id[4:], secret: secret, wantID: "not AKIA"},
		{name: "newline", id: id + "\n", secret: secret, wantID: "a newline at position 21"},
		{name: "nbsp", id: id, secret: secret[:3] + "\u00a0" + secret[3:], wantSecret: "a non-breaking space at position 4"},
		{name: "bom", id: "\ufeff" + id, secret: secret, wantID: "a byte-order mark at position 1"},
		{name: "short secret", id: id, secret: secret[:30], wantSecret: "30 characters"},
		{name: "swapped", id: secret, secret: id, wantID: "upper-case", swapped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KeyIDProblem(tc.id); tc.wantID == "" && got != "" || !strings.Contains(got, tc.wantID) {
				t.Errorf("KeyIDProblem(%q) = %q, want it to contain %q", tc.id, got, tc.wantID)
			}
			if got := SecretProblem(tc.secret); tc.wantSecret == "" && got != "" && !tc.swapped || !strings.Contains(got, tc.wantSecret) {
				t.Errorf("SecretProblem(%q) = %q, want it to contain %q", tc.secret, got, tc.wantSecret)
			}
			if got := LooksSwapped(tc.id, tc.secret); got != tc.swapped {
				t.Errorf("LooksSwapped = %v, want %v", got, tc.swapped)
			}
		})
	}
}

func TestINIEdit(t *testing.T) {
	in := "# top\n[default]\nregion = us-east-1\n\n[profile dev]\nregion=eu-west-1 ; why\ns3 =\n  max_concurrent_requests = 10\n# dev comment\n\n[profile   other]\noutput = json\n"
	f := &iniFile{lines: strings.Split(strings.TrimSuffix(in, "\n"), "\n")}
	f.set("profile dev", "region", "us-west-2")
	f.set("profile dev", "endpoint_url", "http://127.0.0.1:8080")
	f.set("profile other", "region", "ap-south-1")
	f.set("profile new", "region", "us-east-2")
	f.del("profile dev", "s3")
	if v, ok := f.get("profile other", "output"); !ok || v != "json" {
		t.Errorf("get = %q, %v", v, ok)
	}
	want := "# top\n[default]\nregion = us-east-1\n\n[profile dev]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:8080\n# dev comment\n\n[profile   other]\noutput = json\nregion = ap-south-1\n\n[profile new]\nregion = us-east-2\n"
	if diff := cmp.Diff(want, string(f.bytes())); diff != "" {
		t.Errorf("edited file (-want +got):\n%s", diff)
	}
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := func(left time.Duration) aws.Credentials {
		return aws.Credentials{CanExpire: true, Expires: now.Add(left)}
	}
	for _, tc := range []struct {
		name   string
		c      aws.Credentials
		issued time.Time
		want   bool
	}{
		{"static", aws.Credentials{}, time.Time{}, true},
		{"an hour left", c(time.Hour), now.Add(-time.Minute), true},
		{"inside the 15-minute window", c(14 * time.Minute), now.Add(-46 * time.Minute), false},
		{"expired", c(-time.Second), now.Add(-time.Hour), false},
		{"short session, before half-life", c(3 * time.Second), now.Add(-time.Second), true},
		{"short session, past half-life", c(time.Second), now.Add(-3 * time.Second), false},
	} {
		if got := Fresh(tc.c, tc.issued, now, DefaultRefreshAhead); got != tc.want {
			t.Errorf("%s: Fresh = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1.27.40", "1.29.0", true}, {"1.29.0", "1.29.0", false}, {"1.45.11", "1.29.0", false},
		{"2.9.19", "2.13.0", true}, {"1.31", "1.31.0", false}, {"1.30.99", "1.31.0", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPromptMFA(t *testing.T) {
	var out strings.Builder
	code, err := promptMFA(strings.NewReader("12 34\n123456\n"), &out, "arn:aws:iam::123456789012:mfa/alice")
	if err != nil || code != "123456" || !strings.Contains(out.String(), "want the 6 digits") {
		t.Errorf("promptMFA = %q, %v; prompts %q", code, err, out.String())
	}
	if _, err := StaticMFA("12345")(context.Background(), "x"); err == nil {
		t.Errorf("StaticMFA accepted 5 digits")
	}
}

func TestCredentialServer(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	var fetches atomic.Int32
	src := func(context.Context) (aws.Credentials, error) {
		n := fetches.Add(1)
		return aws.Credentials{AccessKeyID: "ASIAZ2XKQBN7EXAMPL" + string(rune('A'+n)), SecretAccessKey: "s", SessionToken: "t",
			CanExpire: true, Expires: clock.Add(time.Hour)}, nil
	}
	s := NewCredentialServer(src, nil)
	s.Now = func() time.Time { return clock }
	srv := httptest.NewServer(s)
	defer srv.Close()
	get := func(token string) (*http.Response, containerCredentials) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+CredentialsPath, nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c containerCredentials
		json.NewDecoder(resp.Body).Decode(&c)
		return resp, c
	}
	if resp, _ := get(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %s", resp.Status)
	}
	if resp, _ := get(s.Token + "x"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %s", resp.Status)
	}
	resp, c1 := get(s.Token)
	if resp.StatusCode != 200 || c1.Token != "t" || c1.Expiration != "2026-01-01T13:00:00Z" {
		t.Fatalf("credentials %s %+v", resp.Status, c1)
	}
	if _, c := get(s.Token); c.AccessKeyID != c1.AccessKeyID || fetches.Load() != 1 {
		t.Errorf("fresh credentials were fetched again")
	}
	clock = now.Add(46 * time.Minute) // 14 minutes left: inside the refresh window
	if _, c := get(s.Token); c.AccessKeyID == c1.AccessKeyID {
		t.Errorf("credentials inside the refresh window were served")
	}
	if at := refreshAt(aws.Credentials{Expires: now.Add(10 * time.Second)}, now, DefaultRefreshAhead); !at.Equal(now.Add(5 * time.Second)) {
		t.Errorf("refreshAt for a 10s session = %v, want half-life", at.Sub(now))
	}
}

func TestEnviron(t *testing.T) {
	env := []string{"PATH=/bin", "AWS_PROFILE=dev", "AWS_SESSION_TOKEN=old", "AWS_REGION=eu-west-1", "HOME=/h"}
	set := CredentialVars(aws.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "t", CanExpire: true,
		Expires: time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)}, Target{Region: "us-east-1", Endpoint: "http://127.0.0.1:8080"}, env)
	got := map[string]string{}
	for _, kv := range Environ(env, set) {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	want := map[string]string{"PATH": "/bin", "HOME": "/h", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAX",
		"AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t", "AWS_CREDENTIAL_EXPIRATION": "2026-01-01T13:00:00Z",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:8080"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child environment (-want +got):\n%s", diff)
	}
}
