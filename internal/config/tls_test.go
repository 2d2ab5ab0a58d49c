package config

import (
	"strings"
	"testing"
)

// TestValidateTLSAndMetrics: the TLS pair comes together, only 1.2 and
// 1.3 are minimum versions, and the metrics listener and token are checked.
func TestValidateTLSAndMetrics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"pair", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "c.pem", "k.pem" }, ""},
		{"1.3", func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile, c.TLS.MinVersion = "c.pem", "k.pem", "1.3" }, ""},
		{"cert only", func(c *Config) { c.TLS.CertFile = "c.pem" }, "--tls-cert and --tls-key must be given together (got only --tls-cert)"},
		{"key only", func(c *Config) { c.TLS.KeyFile = "k.pem" }, "--tls-cert and --tls-key must be given together (got only --tls-key)"},
		{"min 1.1", func(c *Config) { c.TLS.MinVersion = "1.1" }, "--tls-min-version"},
		{"min empty", func(c *Config) { c.TLS.MinVersion = "" }, "--tls-min-version"},
		{"metrics addr", func(c *Config) { c.Metrics.Addr = "9090" }, "--metrics-addr"},
		{"metrics addr ok", func(c *Config) { c.Metrics.Addr = "127.0.0.1:9090" }, ""},
		{"token short", func(c *Config) { c.Metrics.Token = "short" }, "CASTELLAN_METRICS_TOKEN must be at least 16"},
		{"token space", func(c *Config) { c.Metrics.Token = "0123456789 abcdef" }, "CASTELLAN_METRICS_TOKEN must not contain"},
		{"token ok", func(c *Config) { c.Metrics.Token = "0123456789abcdef" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want a problem naming %q", err, tc.want)
			}
		})
	}
}
