// Package app is the composition root of `castellan serve`: configuration
// → master key → store → bootstrap → services → HTTP server, and graceful
// shutdown. It is the only package that imports the store backends.
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/castellan-sts/castellan/internal/authn"
	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/gateway"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/server"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/postgres"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
	"github.com/castellan-sts/castellan/internal/sts"
	"github.com/castellan-sts/castellan/internal/token"
	"github.com/castellan-sts/castellan/internal/webidentity"
	"github.com/castellan-sts/castellan/sigv4"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after SIGTERM.
const shutdownTimeout = 30 * time.Second

// App is a configured, running-capable server.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	now      func() time.Time
	store    store.Store
	handler  http.Handler
	account  string
	registry *prometheus.Registry
	usage    *authn.Usage
	source   *authn.Source // the long-term key cache (notify.go invalidates it)
	iam      *iam.Service  // its policy sets too
	keyring  *token.Keyring
	deny     *token.DenySet
	audit    *auditParts      // audit.go
	gateway  *gateway.Gateway // gateway.go; nil without --gateway-config
	listen   listenParts      // listeners.go: TLS
	// stop ends the background loops; done is closed when they have.
	stop context.CancelFunc
	done chan struct{}
}

// Options are the injectable dependencies of New (tests set Now).
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// OIDCRootCAs verifies OIDC issuers' certificates; nil uses the
	// system roots (tests pass their issuer's CA).
	OIDCRootCAs *x509.CertPool
	// OIDCDialAddress, when set, replaces the host:port OIDC fetches dial
	// (tests point a public issuer name at a local server; the address
	// rules of --oidc-allow-private still apply).
	OIDCDialAddress func(hostport string) string
}

// New builds the application: it opens the store, bootstraps the account
// and wires the services. Call Close when done (Run does it).
func New(ctx context.Context, cfg config.Config, opt Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: opt.Logger, now: opt.Now}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if err := a.openTLS(); err != nil { // listeners.go
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	mk, created, err := secret.LoadOrCreateMasterKey(cfg.MasterKey, cfg.MasterKeyPath())
	if err != nil {
		return nil, err
	}
	if created {
		a.log.Info("master key created", "path", cfg.MasterKeyPath())
	}
	box, err := secret.NewBox(mk)
	if err != nil {
		return nil, err
	}
	a.store, err = openStore(ctx, &cfg, box)
	if err != nil {
		return nil, err
	}
	a.account, err = bootstrap(ctx, a.store, &cfg, a.now(), a.log)
	if err != nil {
		a.store.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}

	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(a.registry)
	abuse := metrics.NewAbuse(a.registry)
	reporter := &abuseReporter{m: abuse}

	regions := cfg.EnabledRegions()
	keyring, err := token.Open(ctx, token.Config{Store: a.store, Now: a.now, Logger: a.log})
	if err != nil {
		a.store.Close()
		return nil, err
	}
	a.keyring = keyring
	a.deny = token.NewDenySet(a.store, a.now, a.log)
	if err := a.deny.Refresh(ctx); err != nil {
		a.store.Close()
		return nil, fmt.Errorf("loading revocations: %w", err)
	}
	keyring.SetRevoker(a.deny)
	source := authn.NewSource(authn.Config{Keys: a.store, Sessions: keyring, Now: a.now, Logger: a.log})
	a.source = source
	a.usage = authn.NewUsage(a.store, a.log)
	verifier := &sigv4.Verifier{
		Credentials: source,
		AllowRegion: func(r string) bool { return slices.Contains(regions, r) },
		MaxSkew:     cfg.MaxClockSkew,
		Now:         a.now,
	}
	iamSvc := iam.New(iam.Config{
		Store: a.store, Cache: source, Logger: a.log, Now: a.now,
		Account: a.account, Region: cfg.Region, Lockouts: reporter,
	})
	a.iam = iamSvc
	authorizer := authz.New(iamSvc, keyring, a.log)
	auditCfg, err := a.openAudit(ctx, source)
	if err != nil {
		a.store.Close()
		return nil, err
	}
	reporter.lc.Store(a.Lifecycle())
	srv, err := server.New(server.Config{
		Logger:   a.log,
		Now:      a.now,
		Verifier: verifier,
		STS: sts.New(sts.Config{
			Logger: a.log, Now: a.now, Keyring: keyring, Messages: keyring, MFA: iamSvc,
			Roles: stsRoles{iamSvc}, Trust: authorizer, Policies: iamSvc,
			WebIdentity: webidentity.New(webidentity.Config{Providers: iamSvc, Now: a.now, Logger: a.log,
				AllowInsecure: cfg.OIDC.AllowInsecure, AllowPrivate: cfg.OIDC.AllowPrivate,
				RootCAs: opt.OIDCRootCAs, DialAddress: opt.OIDCDialAddress}),
			Settings: a.store, GlobalRegion: cfg.Region,
		}),
		IAM:                iamSvc,
		MaxInflight:        cfg.MaxInflight,
		Authorizer:         authorizer,
		Usage:              a.usage,
		Registry:           a.registry,
		Metrics:            m,
		Ready:              a.ready,
		Audit:              auditCfg,
		MinSessionDuration: cfg.MinSessionDuration,
		MetricsElsewhere:   cfg.Metrics.Addr != "",
		MetricsToken:       cfg.Metrics.Token,
		Abuse: server.AbuseConfig{
			FailuresPerKey: cfg.Limits.AuthFailuresPerKey, FailuresPerAddress: cfg.Limits.AuthFailuresPerAddress,
			AuditPerAddress: cfg.Limits.AuditFailedAuthPerAddress, Metrics: abuse,
		},
	})
	if err != nil {
		a.store.Close()
		return nil, err
	}
	var h http.Handler
	if h, err = a.withConsole(srv, iamSvc); err == nil { // console.go
		a.handler, err = a.openGateway(h, source, authorizer, auditCfg, verifier.AllowRegion)
	}
	if err != nil {
		a.closeAudit()
		a.store.Close()
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	a.stop, a.done = stop, make(chan struct{})
	a.subscribe(bg) // notify.go: caches follow other nodes' changes
	go func() {
		defer close(a.done)
		wait := a.runAudit(bg)
		denyDone := make(chan struct{})
		go func() { defer close(denyDone); a.deny.Run(bg) }()
		keysDone := make(chan struct{})
		go func() { defer close(keysDone); a.maintainKeyring(bg, cfg.KeyRotationPeriod) }()
		defer func() { <-keysDone }()
		a.usage.Run(bg)
		<-denyDone
		wait()
	}()
	return a, nil
}

func openStore(ctx context.Context, cfg *config.Config, box *secret.Box) (store.Store, error) {
	if strings.HasPrefix(cfg.StoreURL, "postgres://") || strings.HasPrefix(cfg.StoreURL, "postgresql://") {
		st, err := postgres.Open(ctx, cfg.StoreURL, box)
		if err != nil {
			return nil, fmt.Errorf("opening store: %w", err)
		}
		return st, nil
	}
	path := cfg.SQLitePath()
	if path == "" {
		return nil, fmt.Errorf("--store-url %q: unsupported store (want a SQLite path, a sqlite:// or a postgres:// URL)", cfg.StoreURL)
	}
	st, err := sqlite.Open(ctx, path, box)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	return st, nil
}

// Handler returns the HTTP handler (for in-process tests).
func (a *App) Handler() http.Handler { return a.handler }

// AccountID returns the account the server serves.
func (a *App) AccountID() string { return a.account }

// Store returns the store (for tests that seed data).
func (a *App) Store() store.Store { return a.store }

// Close stops the background loops (flushing what they hold) and releases
// the store. Call it once.
func (a *App) Close() error {
	a.stop()
	<-a.done
	if err := a.closeAudit(); err != nil {
		a.log.Error("closing the audit trail", "err", err)
	}
	return a.store.Close()
}

// Run listens on the configured address, prints the contract's
// "castellan listening on http://ADDR" line (https:// with --tls-cert) to
// out, and serves until ctx is cancelled; then in-flight requests finish
// (up to shutdownTimeout) and the store is closed. With TLS, SIGHUP
// reloads the certificate of every listener.
func (a *App) Run(ctx context.Context, out io.Writer) error {
	defer a.Close()
	ln, err := a.netListen(a.cfg.Addr) // listeners.go
	if err != nil {
		return err
	}
	sigCtx, stopSig := context.WithCancel(ctx)
	defer stopSig()
	a.watchSIGHUP(sigCtx)
	hs := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: server.ReadHeaderTimeout,
		ReadTimeout:       server.ReadTimeout,
		WriteTimeout:      server.WriteTimeout,
		IdleTimeout:       server.IdleTimeout,
		MaxHeaderBytes:    server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 4)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(out, "castellan listening on %s://%s\n", a.scheme(), ln.Addr())
	gws, err := a.runGateway(out, errc) // gateway.go
	if err != nil {
		_ = hs.Close()
		return err
	}
	mhs, err := a.runMetrics(out, errc) // listeners.go
	if err != nil {
		_ = hs.Close()
		if gws != nil {
			_ = gws.Close()
		}
		return err
	}
	grpcs, err := a.runAuthzGRPC(out, errc) // gateway.go
	if err != nil && mhs != nil {
		_ = mhs.Close()
	}
	if err != nil {
		_ = hs.Close()
		if gws != nil {
			_ = gws.Close()
		}
		return err
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if gws != nil {
		_ = gws.Shutdown(sctx)
	}
	if mhs != nil {
		_ = mhs.Shutdown(sctx)
	}
	if grpcs != nil {
		stopped := make(chan struct{})
		go func() { grpcs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-sctx.Done():
			grpcs.Stop()
		}
	}
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
