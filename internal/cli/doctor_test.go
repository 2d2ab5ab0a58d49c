package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/config"
)

type doctorReport struct {
	Profile  string
	Findings []struct {
		Check, Severity, Cause, Message, Fix string
	}
	Problems, Warnings int
	OK                 bool
}

// fakeTools puts stand-ins for the aws CLI and python3 (boto3) first on
// PATH, reporting the given versions, so the doctor's version probe is fast
// and deterministic.
func fakeTools(t *testing.T, awsVersion, botocoreVersion string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("aws", "echo 'aws-cli/"+awsVersion+" Python/3.11.7 Linux/6 botocore/"+botocoreVersion+"'")
	write("python3", "echo 'botocore "+botocoreVersion+"'; echo 'boto3 1.40.0'")
	t.Setenv("PATH", dir+":/usr/bin:/bin")
}

// baseline is a sound setup: region and an endpoint in the environment,
// new tools.
func baseline(t *testing.T, endpoint string) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	fakeTools(t, "1.45.11", "1.43.11")
}

func runDoctor(t *testing.T, args ...string) (doctorReport, result) {
	t.Helper()
	r := run(t, "", append([]string{"doctor", "--output", "json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor output %q (stderr %q): %v", r.stdout, r.stderr, err)
	}
	return rep, r
}

// closedURL is an endpoint where nothing listens.
func closedURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

// skewedServer answers with a Date header off by skew.
func skewedServer(t *testing.T, skew time.Duration) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

const asiaKeyID = "ASIAZ2XKQBN7EXAMPLE7"

// TestDoctorCauses seeds each cause into a fresh HOME and environment; the
// first finding must name it and say how to fix it.
func TestDoctorCauses(t *testing.T) {
	good := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	for _, tc := range []struct {
		name  string
		want  string // the first finding's cause
		sev   string // its severity (default problem)
		args  []string
		setup func(t *testing.T, h *home) []string // returns extra args
	}{
		{name: "half a key pair in the environment", want: "partial-environment-keys", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
			return []string{"--offline"}
		}},
		{name: "environment keys beat AWS_PROFILE", want: "environment-keys-beat-profile", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("dev", aws.Credentials{AccessKeyID: "AKIAZ2XKQBN7DEVDEV22", SecretAccessKey: testSecret})
			t.Setenv("AWS_PROFILE", "dev")
			t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			return []string{"--offline"}
		}},
		{name: "profile not found", want: "profile-not-found", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("dev", good)
			return []string{"--offline", "--profile", "prod"}
		}},
		{name: "no credentials at all", want: "no-credentials", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			return []string{"--offline"}
		}},
		{name: "id and secret swapped", want: "swapped-key-id-and-secret", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", aws.Credentials{AccessKeyID: testSecret, SecretAccessKey: testKeyID})
			return []string{"--offline"}
		}},
		{name: "invisible character in the key id", want: "whitespace-in-key-id", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", aws.Credentials{AccessKeyID: testKeyID[:8] + "\u200b" + testKeyID[8:], SecretAccessKey: testSecret})
			return []string{"--offline"}
		}},
		{name: "trailing space in the secret", want: "whitespace-in-secret", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret+" ")
			return []string{"--offline"}
		}},
		{name: "newline in the session token", want: "whitespace-in-session-token", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", asiaKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			t.Setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDH\n")
			return []string{"--offline"}
		}},
		{name: "key id too short", want: "malformed-key-id", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", aws.Credentials{AccessKeyID: "AKIAZ2XKQBN7EXA", SecretAccessKey: testSecret})
			return []string{"--offline"}
		}},
		{name: "secret truncated", want: "malformed-secret", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret[:39]})
			return []string{"--offline"}
		}},
		{name: "ASIA key without a session token", want: "temporary-key-without-session-token", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", asiaKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			return []string{"--offline"}
		}},
		{name: "stale session token with a long-term key", want: "stale-session-token", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			t.Setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDHleftover")
			return []string{"--offline"}
		}},
		{name: "expired environment credentials", want: "expired-environment-credentials", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			t.Setenv("AWS_ACCESS_KEY_ID", asiaKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			t.Setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDHtoken")
			t.Setenv("AWS_CREDENTIAL_EXPIRATION", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
			return []string{"--offline"}
		}},
		{name: "credential_process hands out expired credentials", want: "credential-process-expired", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			out := `{"Version":1,"AccessKeyId":"` + asiaKeyID + `","SecretAccessKey":"` + testSecret + `","SessionToken":"tok","Expiration":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + `"}`
			h.profile("default", aws.Credentials{}, "credential_process = echo '"+out+"'")
			return []string{"--offline"}
		}},
		{name: "credential_process fails", want: "credential-process-failed", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", aws.Credentials{}, "credential_process = sh -c 'echo no session >&2; exit 1'")
			return []string{"--offline"}
		}},
		{name: "no region", want: "no-region", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			os.Unsetenv("AWS_REGION")
			h.profile("default", good)
			return []string{"--offline"}
		}},
		{name: "no endpoint: requests would reach real AWS", want: "no-endpoint", setup: func(t *testing.T, h *home) []string {
			baseline(t, "")
			h.profile("default", good)
			return []string{"--offline"}
		}},
		{name: "endpoint only on the doctor's command line", want: "endpoint-only-on-command-line", sev: "warning", setup: func(t *testing.T, h *home) []string {
			baseline(t, "")
			h.profile("default", good)
			return []string{"--offline", "--endpoint-url", "http://127.0.0.1:8080"}
		}},
		{name: "configured endpoints ignored", want: "configured-endpoints-ignored", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", good)
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
			return []string{"--offline"}
		}},
		{name: "aws CLI too old for endpoint_url", want: "tool-ignores-endpoint", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			fakeTools(t, "1.27.40", "1.29.40")
			h.profile("default", good)
			return []string{"--offline"}
		}},
		{name: "endpoint unreachable", want: "endpoint-unreachable", setup: func(t *testing.T, h *home) []string {
			baseline(t, closedURL(t))
			h.profile("default", good)
			return nil
		}},
		{name: "clock skewed beyond the limit", want: "clock-skew", setup: func(t *testing.T, h *home) []string {
			baseline(t, skewedServer(t, -40*time.Minute))
			h.profile("default", good)
			return nil
		}},
		{name: "clock skewed beyond 5 minutes", want: "clock-skew-over-5-minutes", sev: "warning", setup: func(t *testing.T, h *home) []string {
			s := newServer(t)
			baseline(t, s.url)
			h.profile("default", s.root)
			// The doctor compares against the server's Date header; a server
			// 7 minutes ahead stands in for a local clock 7 minutes behind.
			t.Setenv("AWS_ENDPOINT_URL", skewedServer(t, 7*time.Minute))
			return nil
		}},
		{name: "key inactive (or deleted)", want: "key-not-accepted", setup: func(t *testing.T, h *home) []string {
			s := newServer(t)
			baseline(t, s.url)
			alice := s.user("alice")
			if _, err := s.iam(s.root).UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
				AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
				skipIfMissing(t, err, "IAM UpdateAccessKey")
				t.Fatal(err)
			}
			h.profile("default", alice)
			return nil
		}},
		{name: "wrong secret", want: "wrong-secret", setup: func(t *testing.T, h *home) []string {
			s := newServer(t)
			baseline(t, s.url)
			h.profile("default", aws.Credentials{AccessKeyID: s.root.AccessKeyID, SecretAccessKey: testSecret})
			return nil
		}},
		{name: "expired session token", want: "expired-token", setup: func(t *testing.T, h *home) []string {
			s := newServer(t, func(c *config.Config) { c.MinSessionDuration = time.Second })
			baseline(t, s.url)
			out, err := s.sts(s.root).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(1)})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(aws.ToTime(out.Credentials.Expiration)) + 100*time.Millisecond)
			t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(out.Credentials.AccessKeyId))
			t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(out.Credentials.SecretAccessKey))
			t.Setenv("AWS_SESSION_TOKEN", aws.ToString(out.Credentials.SessionToken))
			return nil
		}},
		{name: "region the server does not enable", want: "region-not-enabled", setup: func(t *testing.T, h *home) []string {
			s := newServer(t)
			baseline(t, s.url)
			t.Setenv("AWS_REGION", "ap-southeast-2")
			h.profile("default", s.root)
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHome(t)
			args := tc.setup(t, h)
			rep, r := runDoctor(t, append(tc.args, args...)...)
			if len(rep.Findings) == 0 {
				t.Fatalf("no findings; stderr %s", r.stderr)
			}
			f := rep.Findings[0]
			sev := tc.sev
			if sev == "" {
				sev = "problem"
			}
			if f.Cause != tc.want || f.Severity != sev || f.Fix == "" {
				b, _ := json.MarshalIndent(rep.Findings, "", "  ")
				t.Errorf("first finding %s/%s, want %s/%s with a fix; all:\n%s", f.Severity, f.Cause, sev, tc.want, b)
			}
			// A warning is advice: the run passes unless --strict.
			wantCode, wantOK := 1, false
			if sev == "warning" {
				wantCode, wantOK = 0, true
				if r := run(t, "", append(append([]string{"doctor", "--strict"}, tc.args...), args...)...); r.code != 1 {
					t.Errorf("with --strict: exit code %d, want 1", r.code)
				}
			}
			if r.code != wantCode || rep.OK != wantOK {
				t.Errorf("exit code %d, ok %v; want %d, %v", r.code, rep.OK, wantCode, wantOK)
			}
			for _, secret := range []string{testSecret, testKeyID} {
				if strings.Contains(r.stdout, secret) {
					t.Errorf("the report shows a secret or an unmasked key id")
				}
			}
		})
	}
}

func TestDoctorHealthy(t *testing.T) {
	h := newHome(t)
	s := newServer(t)
	fakeTools(t, "1.45.11", "1.43.11")
	h.profile("dev", s.root, "region = us-east-1", "endpoint_url = "+s.url)
	rep, r := runDoctor(t, "--profile", "dev")
	if r.code != 0 || !rep.OK {
		t.Fatalf("healthy profile: exit %d\n%s", r.code, r.stdout)
	}
	var live bool
	for _, f := range rep.Findings {
		if f.Check == "live" && f.Severity == "ok" && strings.Contains(f.Message, ":root") {
			live = true
		}
		if f.Severity != "ok" && f.Severity != "info" {
			t.Errorf("finding %+v", f)
		}
	}
	if !live {
		t.Errorf("no successful live check:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, s.root.AccessKeyID) || strings.Contains(r.stdout, s.root.SecretAccessKey) {
		t.Errorf("report shows the key id or secret")
	}

	t.Run("text table", func(t *testing.T) {
		r := run(t, "", "doctor", "--profile", "dev")
		if r.code != 0 || !strings.Contains(r.stdout, "STATUS") || !strings.Contains(r.stdout, "FIX") || !strings.Contains(r.stdout, "no problems found") {
			t.Errorf("text output:\n%s", r.stdout)
		}
	})
	t.Run("offline: live check skipped", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", "")
		rep, r := runDoctor(t, "--profile", "dev", "--offline")
		var skipped bool
		for _, f := range rep.Findings {
			skipped = skipped || f.Check == "live" && strings.Contains(f.Message, "skipped")
		}
		if r.code != 0 || !skipped {
			t.Errorf("offline doctor: exit %d\n%s", r.code, r.stdout)
		}
	})
	t.Run("first row of the table names the cause", func(t *testing.T) {
		t.Setenv("AWS_SESSION_TOKEN", "leftover")
		t.Setenv("AWS_ACCESS_KEY_ID", s.root.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", s.root.SecretAccessKey)
		r := run(t, "", "doctor")
		lines := strings.Split(r.stdout, "\n")
		if r.code != 1 || len(lines) < 4 || !strings.HasPrefix(lines[3], "PROBLEM") || !strings.Contains(lines[3], "stale-session-token") || !strings.Contains(lines[3], "unset AWS_SESSION_TOKEN") {
			t.Errorf("text output:\n%s", r.stdout)
		}
	})
}

// TestDoctorWarningsApart: warnings are counted and listed apart from
// problems; they fail the run only with --strict.
func TestDoctorWarningsApart(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, h *home) []string
		strict   bool
		code     int
		problems int
		warnings int
		text     []string // the text report contains these
		notText  []string // and not these
	}{
		{name: "healthy", setup: func(t *testing.T, h *home) []string {
			h.profile("default", s.root, "region = us-east-1", "endpoint_url = "+s.url)
			return nil
		}, code: 0, text: []string{"no problems found"}, notText: []string{"Warnings (advice", "warning(s)"}},
		{name: "healthy, strict", strict: true, setup: func(t *testing.T, h *home) []string {
			h.profile("default", s.root, "region = us-east-1", "endpoint_url = "+s.url)
			return nil
		}, code: 0, text: []string{"no problems found"}},
		{name: "live check succeeds, endpoint only on the command line", setup: func(t *testing.T, h *home) []string {
			h.profile("default", s.root, "region = us-east-1")
			return []string{"--endpoint-url", s.url}
		}, code: 0, warnings: 1,
			text:    []string{"no problems found; 1 warning(s)", "Warnings (advice", "endpoint-only-on-command-line"},
			notText: []string{"problem(s) found", "most likely cause", "WARNING"}},
		{name: "endpoint only on the command line, strict", strict: true, setup: func(t *testing.T, h *home) []string {
			h.profile("default", s.root, "region = us-east-1")
			return []string{"--endpoint-url", s.url}
		}, code: 1, warnings: 1, text: []string{"endpoint-only-on-command-line"}},
		{name: "a problem and a warning", setup: func(t *testing.T, h *home) []string {
			h.profile("default", aws.Credentials{AccessKeyID: s.root.AccessKeyID, SecretAccessKey: testSecret}, "region = us-east-1")
			return []string{"--endpoint-url", s.url}
		}, code: 1, problems: 1, warnings: 1,
			text: []string{"1 problem(s) found; the first is the most likely cause; 1 warning(s)", "wrong-secret", "Warnings (advice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHome(t)
			fakeTools(t, "1.45.11", "1.43.11")
			args := tc.setup(t, h)
			if tc.strict {
				args = append(args, "--strict")
			}
			rep, r := runDoctor(t, args...)
			if r.code != tc.code || rep.Problems != tc.problems || rep.Warnings != tc.warnings || rep.OK != (tc.problems == 0) {
				t.Errorf("exit %d, problems %d, warnings %d, ok %v; want %d, %d, %d\n%s", r.code, rep.Problems, rep.Warnings, rep.OK, tc.code, tc.problems, tc.warnings, r.stdout)
			}
			var live bool
			for _, f := range rep.Findings {
				live = live || f.Check == "live" && f.Severity == "ok"
			}
			if tc.problems == 0 && !live {
				t.Errorf("the live check did not succeed:\n%s", r.stdout)
			}
			text := run(t, "", append([]string{"doctor"}, args...)...)
			if text.code != tc.code {
				t.Errorf("text run: exit %d, want %d", text.code, tc.code)
			}
			for _, want := range tc.text {
				if !strings.Contains(text.stdout, want) {
					t.Errorf("text report lacks %q:\n%s", want, text.stdout)
				}
			}
			for _, not := range tc.notText {
				if strings.Contains(text.stdout, not) {
					t.Errorf("text report says %q:\n%s", not, text.stdout)
				}
			}
		})
	}
}
