package cli

import (
	"github.com/spf13/pflag"

	"github.com/castellan-sts/castellan/internal/config"
)

// addTLSFlags registers serve's HTTPS and metrics-listener flags.
func addTLSFlags(f *pflag.FlagSet, t *config.TLS, m *config.Metrics) {
	f.StringVar(&t.CertFile, "tls-cert", t.CertFile, "serve HTTPS on every listener with this PEM certificate chain (with --tls-key; re-read on SIGHUP)")
	f.StringVar(&t.KeyFile, "tls-key", t.KeyFile, "PEM private key of --tls-cert (re-read on SIGHUP)")
	f.StringVar(&t.MinVersion, "tls-min-version", t.MinVersion, "oldest TLS version accepted: 1.2 or 1.3")
	f.StringVar(&m.Addr, "metrics-addr", m.Addr, "serve /metrics on this address (host:port) alone instead of on --addr (bearer token: CASTELLAN_METRICS_TOKEN)")
}

// metricsSecrets reads the /metrics bearer token from the environment
// (never a flag, which would show in ps).
func metricsSecrets(m *config.Metrics, getenv Env) {
	m.Token = getenv("CASTELLAN_METRICS_TOKEN")
}
