package config

import (
	"net"

	"github.com/castellan-sts/castellan/internal/tlsserve"
)

// TLS configures HTTPS on every listener of the server: the API and the
// console (--addr), the gateway (--gateway-addr) and the metrics port
// (--metrics-addr). Without CertFile they all speak plain HTTP.
type TLS struct {
	// CertFile and KeyFile are --tls-cert and --tls-key: PEM files, the
	// certificate chain (leaf first) and its private key. Both or
	// neither; re-read on SIGHUP.
	CertFile, KeyFile string
	// MinVersion is --tls-min-version: "1.2" (default) or "1.3".
	MinVersion string
}

// DefaultTLS returns the TLS defaults: off, and TLS 1.2 at least when on.
func DefaultTLS() TLS { return TLS{MinVersion: "1.2"} }

// Enabled reports whether the listeners serve HTTPS.
func (t *TLS) Enabled() bool { return t.CertFile != "" }

func (t *TLS) validate(add func(string, ...any)) {
	if (t.CertFile == "") != (t.KeyFile == "") {
		add("--tls-cert and --tls-key must be given together (got only %s)", map[bool]string{true: "--tls-key", false: "--tls-cert"}[t.CertFile == ""])
	}
	if _, err := tlsserve.ParseMinVersion(t.MinVersion); err != nil {
		add("%s", err.Error())
	}
}

// Metrics configures /metrics.
type Metrics struct {
	// Addr is --metrics-addr: when set, /metrics is served there alone and
	// no longer on --addr.
	Addr string
	// Token is CASTELLAN_METRICS_TOKEN: when set, /metrics requires
	// "Authorization: Bearer <Token>" wherever it is served.
	Token string
}

// MinMetricsTokenLength is the shortest CASTELLAN_METRICS_TOKEN accepted:
// a guessable bearer token protects nothing.
const MinMetricsTokenLength = 16

func (m *Metrics) validate(add func(string, ...any)) {
	if m.Addr != "" {
		if _, _, err := net.SplitHostPort(m.Addr); err != nil {
			add("--metrics-addr %q: want host:port", m.Addr)
		}
	}
	if m.Token != "" && len(m.Token) < MinMetricsTokenLength {
		add("CASTELLAN_METRICS_TOKEN must be at least %d characters", MinMetricsTokenLength)
	}
	for _, c := range m.Token {
		if c <= ' ' || c == 0x7f {
			add("CASTELLAN_METRICS_TOKEN must not contain spaces or control characters")
			break
		}
	}
}
