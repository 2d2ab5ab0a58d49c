package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDefaultIsValid: the defaults of the contract validate as they are.
func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	for name, got := range map[string]string{
		"addr": c.Addr, "data dir": c.DataDir, "region": c.Region,
		"max clock skew": c.MaxClockSkew.String(), "min session duration": c.MinSessionDuration.String(),
	} {
		want := map[string]string{
			"addr": "127.0.0.1:8080", "data dir": "./castellan-data", "region": "us-east-1",
			"max clock skew": "15m0s", "min session duration": "15m0s",
		}[name]
		if got != want {
			t.Errorf("default %s = %q, want %q (DESIGN's contract)", name, got, want)
		}
	}
	if !c.Audit.Enabled || !c.Audit.FailClosed {
		t.Error("auditing must be on and fail closed by default")
	}
}

// TestValidateEachProblem: every bad field is reported, each naming its
// flag, and all of them at once.
func TestValidateEachProblem(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"addr", func(c *Config) { c.Addr = "8080" }, "--addr"},
		{"data dir", func(c *Config) { c.DataDir = "" }, "--data-dir"},
		{"account id short", func(c *Config) { c.AccountID = "12345" }, "--account-id"},
		{"account id letters", func(c *Config) { c.AccountID = "12345678901a" }, "--account-id"},
		{"region", func(c *Config) { c.Region = "US_EAST_1" }, "--region"},
		{"regions", func(c *Config) { c.Regions = []string{"eu-west-1", "mars"} }, "--regions"},
		{"skew zero", func(c *Config) { c.MaxClockSkew = 0 }, "--max-clock-skew"},
		{"skew too long", func(c *Config) { c.MaxClockSkew = 25 * time.Hour }, "--max-clock-skew"},
		{"min session too short", func(c *Config) { c.MinSessionDuration = time.Millisecond }, "--min-session-duration"},
		{"min session above AWS", func(c *Config) { c.MinSessionDuration = 16 * time.Minute }, "--min-session-duration"},
		{"rotation period", func(c *Config) { c.KeyRotationPeriod = time.Second }, "--key-rotation-period"},
		{"root id without secret", func(c *Config) { c.RootAccessKeyID = "AKIAIOSFODNN7EXAMPLE" }, "set together"},
		{"root id not AKIA", func(c *Config) {
			c.RootAccessKeyID, c.RootSecretAccessKey = "ASIAIOSFODNN7EXAMPLE", "0123456789abcdef0123"
		}, "AKIA"},
		{"root secret short", func(c *Config) {
			c.RootAccessKeyID, c.RootSecretAccessKey = "AKIAIOSFODNN7EXAMPLE", "short"
		}, "at least 16"},
		{"log level", func(c *Config) { c.LogLevel = "trace" }, "--log-level"},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, "--log-format"},
		{"audit file size", func(c *Config) { c.Audit.MaxFileBytes = 10 }, "--audit-max-file-size"},
		{"audit retention", func(c *Config) { c.Audit.Retention = -time.Hour }, "--audit-retention"},
		{"audit webhook", func(c *Config) { c.Audit.WebhookURL = "ftp://x" }, "--audit-webhook-url"},
		{"notify webhook", func(c *Config) { c.Audit.NotifyURL = "http://" }, "--notify-webhook-url"},
		{"sweep", func(c *Config) { c.Audit.SweepInterval = time.Millisecond }, "--session-sweep-interval"},
		{"watch", func(c *Config) { c.Audit.WatchInterval = time.Millisecond }, "--watch-interval"},
		{"expiry notice", func(c *Config) { c.Audit.ExpiryNotice = -1 }, "--expiry-notice"},
		{"auto deactivate", func(c *Config) { c.Audit.KeyUnused = 0; c.Audit.AutoDeactivateUnused = true }, "--auto-deactivate-unused"},
	}
	all := Default()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want a problem naming %q", err, tc.want)
			}
		})
		tc.mutate(&all)
	}
	err := all.Validate()
	if err == nil {
		t.Fatal("a configuration with every problem validated")
	}
	// Later cases overwrite some fields of earlier ones; every flag whose
	// last mutation stands must still be named.
	for _, want := range []string{"--addr", "--data-dir", "--account-id", "--region", "--regions", "--max-clock-skew",
		"--min-session-duration", "--key-rotation-period", "at least 16", "--log-level", "--log-format",
		"--audit-max-file-size", "--audit-retention", "--audit-webhook-url", "--notify-webhook-url",
		"--session-sweep-interval", "--watch-interval", "--expiry-notice", "--auto-deactivate-unused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("all problems at once: %q missing from\n%v", want, err)
		}
	}
}

// TestValidRegions: AWS's region names of every partition shape pass.
func TestValidRegions(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-2", "ap-southeast-3", "us-gov-west-1", "cn-northwest-1", "il-central-1"} {
		c := Default()
		c.Region = r
		if err := c.Validate(); err != nil {
			t.Errorf("region %s: %v", r, err)
		}
	}
}

func TestEnabledRegions(t *testing.T) {
	c := Default()
	c.Region = "eu-west-1"
	c.Regions = []string{"us-east-1", "eu-west-1", "ap-south-1"}
	got := strings.Join(c.EnabledRegions(), ",")
	if got != "eu-west-1,us-east-1,ap-south-1" {
		t.Errorf("EnabledRegions = %s, want the default region first, once", got)
	}
}

func TestSQLitePath(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", filepath.Join("/d", "castellan.db")},
		{"sqlite:///var/lib/c.db", "/var/lib/c.db"},
		{"/srv/c.db", "/srv/c.db"},
		{"postgres://u@h/db", ""},
	} {
		c := Default()
		c.DataDir, c.StoreURL = "/d", tc.url
		if got := c.SQLitePath(); got != tc.want {
			t.Errorf("SQLitePath(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	c := Default()
	c.DataDir = "/d"
	if got := c.MasterKeyPath(); got != "/d/master.key" {
		t.Errorf("MasterKeyPath = %s", got)
	}
	if got := c.RootCredentialsPath(); got != "/d/root-credentials" {
		t.Errorf("RootCredentialsPath = %s", got)
	}
	if got := c.AuditDir(); got != "/d/audit" {
		t.Errorf("AuditDir = %s", got)
	}
	c.Audit.Dir = "/logs"
	if got := c.AuditDir(); got != "/logs" {
		t.Errorf("AuditDir with --audit-dir = %s", got)
	}
}
