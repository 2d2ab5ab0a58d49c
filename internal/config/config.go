// Package config holds the configuration of `castellan serve`: one struct,
// its defaults and a Validate that reports every problem at once.
// Precedence (flag, then CASTELLAN_* environment, then default) is applied
// by internal/cli; secrets come only from the environment or files.
package config

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awsid"
)

// Config is the configuration of a server.
type Config struct {
	// Addr is the listen address (host:port).
	Addr string
	// DataDir holds the SQLite database, master.key, root-credentials and audit logs.
	DataDir string
	// StoreURL selects the store: empty means SQLite in DataDir;
	// sqlite:///path or a file path; postgres://… for multi-node.
	StoreURL string
	// AccountID is the 12-digit account id; generated at bootstrap when empty.
	AccountID string
	// Region is the default region; Regions the enabled set (Region is always in it).
	Region  string
	Regions []string
	// MaxClockSkew is the SigV4 window (AWS: 15 minutes for STS and IAM).
	MaxClockSkew time.Duration
	// MinSessionDuration is the shortest temporary credential (AWS: 15 minutes).
	MinSessionDuration time.Duration
	// KeyRotationPeriod rotates the token keyring automatically when its
	// primary key is this old; 0 disables automatic rotation.
	KeyRotationPeriod time.Duration
	// LogLevel is debug, info, warn or error; LogFormat text or json.
	LogLevel  string
	LogFormat string
	// Audit configures the audit trail and the credential watch (audit.go).
	Audit Audit
	// Limits are the failed-authentication limits (limits.go).
	Limits Limits
	// Gateway configures the SigV4 + IAM gateway (gateway.go).
	Gateway Gateway
	// OIDC configures OpenID Connect fetches (oidc.go).
	OIDC OIDC
	// MaxInflight bounds the API requests served at once; past it a
	// request is refused at once with Throttling ("Rate exceeded"), which
	// SDKs retry with backoff, instead of queueing until clients time out.
	MaxInflight int
	// Console serves the admin web console at /console/ (--console).
	Console bool
	// TLS turns every listener to HTTPS (tls.go).
	TLS TLS
	// Metrics moves /metrics to its own listener and guards it (tls.go).
	Metrics Metrics

	// Secrets, from the environment only (never flags, which show in ps).
	MasterKey           string // CASTELLAN_MASTER_KEY, base64
	RootAccessKeyID     string // CASTELLAN_ROOT_ACCESS_KEY_ID
	RootSecretAccessKey string // CASTELLAN_ROOT_SECRET_ACCESS_KEY
}

// Default returns the defaults of the DESIGN contract.
func Default() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		DataDir:            "./castellan-data",
		Region:             "us-east-1",
		MaxClockSkew:       15 * time.Minute,
		MinSessionDuration: 15 * time.Minute,
		KeyRotationPeriod:  30 * 24 * time.Hour,
		LogLevel:           "info",
		LogFormat:          "text",
		Audit:              DefaultAudit(),
		Limits:             DefaultLimits(),
		Gateway:            DefaultGateway(),
		MaxInflight:        DefaultMaxInflight,
		Console:            true,
		TLS:                DefaultTLS(),
	}
}

// DefaultMaxInflight is --max-inflight's default: enough concurrency to
// keep the fsync group commits full (a few dozen requests share one), and
// bounded memory: each request holds at most its 1 MiB body.
const DefaultMaxInflight = 512

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// Validate checks every field and reports all problems together.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		add("--addr %q: want host:port", c.Addr)
	}
	if c.DataDir == "" {
		add("--data-dir must not be empty")
	}
	if c.AccountID != "" && !awsid.ValidAccountID(c.AccountID) {
		add("--account-id %q: want 12 digits", c.AccountID)
	}
	if !regionRE.MatchString(c.Region) {
		add("--region %q: not a region name such as us-east-1", c.Region)
	}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			add("--regions: %q is not a region name", r)
		}
	}
	if c.MaxClockSkew <= 0 || c.MaxClockSkew > 24*time.Hour {
		add("--max-clock-skew %s: want more than 0 and at most 24h", c.MaxClockSkew)
	}
	if c.MinSessionDuration < time.Second || c.MinSessionDuration > 15*time.Minute {
		add("--min-session-duration %s: want 1s to 15m", c.MinSessionDuration)
	}
	if c.KeyRotationPeriod != 0 && c.KeyRotationPeriod < time.Minute {
		add("--key-rotation-period %s: want 0 (off) or at least 1m", c.KeyRotationPeriod)
	}
	if c.MaxInflight < 1 || c.MaxInflight > 1<<20 {
		add("--max-inflight %d: want 1 to 1048576", c.MaxInflight)
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		add("CASTELLAN_ROOT_ACCESS_KEY_ID and CASTELLAN_ROOT_SECRET_ACCESS_KEY must be set together")
	}
	if c.RootAccessKeyID != "" && (!strings.HasPrefix(c.RootAccessKeyID, "AKIA") || !awsid.ValidKeyID(c.RootAccessKeyID)) {
		add("CASTELLAN_ROOT_ACCESS_KEY_ID must be an AKIA… key id of 16-128 word characters")
	}
	if c.RootSecretAccessKey != "" && len(c.RootSecretAccessKey) < 16 {
		add("CASTELLAN_ROOT_SECRET_ACCESS_KEY must be at least 16 characters")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		add("--log-format %q: want text or json", c.LogFormat)
	}
	c.Audit.validate(add)
	c.Limits.validate(add)
	c.Gateway.validate(add)
	c.TLS.validate(add)
	c.Metrics.validate(add)
	return errors.Join(errs...)
}

// EnabledRegions returns Regions with Region included.
func (c *Config) EnabledRegions() []string {
	out := []string{c.Region}
	for _, r := range c.Regions {
		if r != c.Region {
			out = append(out, r)
		}
	}
	return out
}

// SQLitePath returns the SQLite database path the configuration selects,
// or "" when StoreURL names another backend.
func (c *Config) SQLitePath() string {
	switch {
	case c.StoreURL == "":
		return filepath.Join(c.DataDir, "castellan.db")
	case strings.HasPrefix(c.StoreURL, "sqlite://"):
		return strings.TrimPrefix(c.StoreURL, "sqlite://")
	case strings.Contains(c.StoreURL, "://"):
		return ""
	default:
		return c.StoreURL
	}
}

// MasterKeyPath is where the master key file lives.
func (c *Config) MasterKeyPath() string { return filepath.Join(c.DataDir, "master.key") }

// RootCredentialsPath is where bootstrap writes the root key.
func (c *Config) RootCredentialsPath() string { return filepath.Join(c.DataDir, "root-credentials") }
