package cli

import (
	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

func newServeCmd(streams IO) *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Castellan server",
		Long: `Run the Castellan server: STS and IAM on the AWS query protocol, with SigV4
authentication, on one port beside /healthz, /readyz and /metrics.

On an empty store it creates the account and a root access key and writes them
to <data-dir>/root-credentials (profile "castellan"). Every flag can also be set
with an environment variable CASTELLAN_<FLAG>, e.g. CASTELLAN_ADDR.`,
		Example: `  castellan serve
  castellan serve --addr 0.0.0.0:8080 --data-dir /var/lib/castellan
  AWS_SHARED_CREDENTIALS_FILE=castellan-data/root-credentials AWS_PROFILE=castellan \
    aws --endpoint-url http://127.0.0.1:8080 --region us-east-1 sts get-caller-identity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			cfg.MasterKey = streams.Getenv("CASTELLAN_MASTER_KEY")
			cfg.RootAccessKeyID = streams.Getenv("CASTELLAN_ROOT_ACCESS_KEY_ID")
			cfg.RootSecretAccessKey = streams.Getenv("CASTELLAN_ROOT_SECRET_ACCESS_KEY")
			auditSecrets(&cfg.Audit, streams.Getenv) // auditflags.go
			metricsSecrets(&cfg.Metrics, streams.Getenv)
			log := newLogger(streams.Stderr, cfg.LogLevel, cfg.LogFormat)
			if cfg.Audit.Enabled {
				log.Debug("runtime", "gomaxprocs", app.TuneProcs(streams.Getenv))
			}
			log.Debug("runtime", "gogc", app.TuneGC(streams.Getenv))
			a, err := app.New(cmd.Context(), cfg, app.Options{Logger: log})
			if err != nil {
				return err
			}
			return a.Run(cmd.Context(), streams.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (host:port)")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the database, master key, root credentials and audit logs")
	f.StringVar(&cfg.StoreURL, "store-url", cfg.StoreURL, "store: empty for SQLite in the data dir, a sqlite:// path, or postgres://… for multi-node")
	f.StringVar(&cfg.AccountID, "account-id", cfg.AccountID, "12-digit account id (generated once at bootstrap when absent)")
	f.StringVar(&cfg.Region, "region", cfg.Region, "default region")
	f.StringSliceVar(&cfg.Regions, "regions", cfg.Regions, "enabled regions (comma-separated); --region is always enabled")
	f.DurationVar(&cfg.MaxClockSkew, "max-clock-skew", cfg.MaxClockSkew, "largest accepted difference between a request's signing time and the server's clock")
	f.DurationVar(&cfg.MinSessionDuration, "min-session-duration", cfg.MinSessionDuration, "shortest temporary credential (AWS: 15m; lower only to test expiry handling)")
	f.DurationVar(&cfg.KeyRotationPeriod, "key-rotation-period", cfg.KeyRotationPeriod, "rotate the session-token keyring when its primary key is this old (0: only by 'castellan keys rotate')")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json")
	addAuditFlags(f, &cfg.Audit)  // auditflags.go
	addLimitFlags(f, &cfg.Limits) // limitflags.go
	addOIDCFlags(f, &cfg.OIDC)    // oidcflags.go
	f.StringVar(&cfg.Gateway.ConfigFile, "gateway-config", cfg.Gateway.ConfigFile, "routes file (YAML) of the SigV4 + IAM gateway; turns on the gateway and /authorize")
	f.StringVar(&cfg.Gateway.Addr, "gateway-addr", cfg.Gateway.Addr, "listen address of the gateway (with --gateway-config)")
	// Envoy gRPC ext_authz (issue 17).
	f.StringVar(&cfg.Gateway.AuthzGRPCAddr, "authz-grpc-addr", cfg.Gateway.AuthzGRPCAddr, "listen address of Envoy's gRPC ext_authz service (envoy.service.auth.v3.Authorization/Check; with --gateway-config; empty: off)")
	f.IntVar(&cfg.MaxInflight, "max-inflight", cfg.MaxInflight, "API requests served at once; more are refused with Throttling (Rate exceeded) instead of queueing")
	f.BoolVar(&cfg.Console, "console", cfg.Console, "serve the admin web console at /console/ (--console=false turns it off)")
	// TLS listeners and the metrics listener (issue 14).
	addTLSFlags(f, &cfg.TLS, &cfg.Metrics) // tlsflags.go
	return cmd
}
