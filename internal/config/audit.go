package config

import (
	"net/url"
	"path/filepath"
	"time"
)

// Audit configures the audit trail, the credential lifecycle and the watch
// rules (issue 7).
type Audit struct {
	// Enabled turns auditing on (--audit, default true).
	Enabled bool
	// Dir holds the JSON-lines files; empty means <data-dir>/audit.
	Dir string
	// MaxFileBytes rotates a file past this size (besides daily).
	MaxFileBytes int64
	// Retention deletes audit files and stored events older than this; 0 keeps all.
	Retention time.Duration
	// FailClosed refuses mutating calls with a 5xx while no audit sink can write.
	FailClosed bool
	// WebhookURL receives every event (batched, retried, HMAC-signed);
	// WebhookSecret (CASTELLAN_AUDIT_WEBHOOK_SECRET) signs the payloads.
	WebhookURL    string
	WebhookSecret string
	// NotifyURL receives watch findings and lifecycle notices;
	// NotifySecret (CASTELLAN_NOTIFY_WEBHOOK_SECRET) signs them.
	NotifyURL    string
	NotifySecret string

	// SweepInterval is how often the session index is swept (expiry,
	// expiry notices) and pending uses are flushed.
	SweepInterval time.Duration
	// WatchInterval is how often the key rules run.
	WatchInterval time.Duration
	// ExpiryNotice warns this long before a temporary credential expires; 0 disables.
	ExpiryNotice time.Duration
	// KeyMaxAge flags active access keys older than this; 0 disables.
	KeyMaxAge time.Duration
	// KeyUnused flags active access keys unused for this long; 0 disables.
	KeyUnused time.Duration
	// AutoDeactivateUnused deactivates the keys KeyUnused flags.
	AutoDeactivateUnused bool
	// WatchRoot flags use of the root's access keys; WatchMFA users without MFA.
	WatchRoot bool
	WatchMFA  bool
}

// DefaultAudit returns the audit defaults.
func DefaultAudit() Audit {
	return Audit{
		Enabled:       true,
		MaxFileBytes:  64 << 20,
		Retention:     90 * 24 * time.Hour,
		FailClosed:    true,
		SweepInterval: 5 * time.Second,
		WatchInterval: time.Minute,
		ExpiryNotice:  15 * time.Minute,
		KeyMaxAge:     90 * 24 * time.Hour,
		KeyUnused:     90 * 24 * time.Hour,
		WatchRoot:     true,
		WatchMFA:      true,
	}
}

// AuditDir is where the audit files go.
func (c *Config) AuditDir() string {
	if c.Audit.Dir != "" {
		return c.Audit.Dir
	}
	return filepath.Join(c.DataDir, "audit")
}

// validate adds the audit settings' problems.
func (a *Audit) validate(add func(format string, args ...any)) {
	if a.MaxFileBytes < 1<<10 {
		add("--audit-max-file-size %d: want at least 1024 bytes", a.MaxFileBytes)
	}
	if a.Retention < 0 {
		add("--audit-retention %s: want 0 (keep all) or more", a.Retention)
	}
	for _, u := range []struct{ flag, v string }{{"--audit-webhook-url", a.WebhookURL}, {"--notify-webhook-url", a.NotifyURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("%s %q: want an http(s) URL", u.flag, u.v)
		}
	}
	if a.SweepInterval < 100*time.Millisecond {
		add("--session-sweep-interval %s: want at least 100ms", a.SweepInterval)
	}
	if a.WatchInterval < time.Second {
		add("--watch-interval %s: want at least 1s", a.WatchInterval)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--expiry-notice", a.ExpiryNotice}, {"--key-max-age", a.KeyMaxAge}, {"--key-unused-after", a.KeyUnused}} {
		if d.v < 0 {
			add("%s %s: want 0 (off) or more", d.flag, d.v)
		}
	}
	if a.AutoDeactivateUnused && a.KeyUnused == 0 {
		add("--auto-deactivate-unused needs --key-unused-after")
	}
}
