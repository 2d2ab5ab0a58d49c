package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/castellan-sts/castellan/internal/server"
	"github.com/castellan-sts/castellan/internal/tlsserve"
)

// listenParts is what the listeners share: the TLS certificate (nil for
// plain HTTP) and its minimum version.
type listenParts struct {
	certs  *tlsserve.Reloader
	tlsMin uint16
}

// openTLS loads --tls-cert and --tls-key; a pair that does not load stops
// the start, before any store is opened.
func (a *App) openTLS() error {
	if !a.cfg.TLS.Enabled() {
		return nil
	}
	v, err := tlsserve.ParseMinVersion(a.cfg.TLS.MinVersion)
	if err != nil {
		return err
	}
	r, err := tlsserve.New(a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile, a.log, a.now)
	if err != nil {
		return err
	}
	a.listen = listenParts{certs: r, tlsMin: v}
	return nil
}

// ReloadTLS re-reads --tls-cert and --tls-key for every listener (what
// SIGHUP does). On an error the previous certificate stays in service.
// Without TLS it does nothing.
func (a *App) ReloadTLS() error {
	if a.listen.certs == nil {
		return nil
	}
	return a.listen.certs.Reload()
}

// scheme is the URL scheme of the listeners: https with --tls-cert.
func (a *App) scheme() string {
	if a.listen.certs != nil {
		return "https"
	}
	return "http"
}

// netListen listens on addr, through TLS when it is configured.
func (a *App) netListen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if a.listen.certs != nil {
		// Each listener gets its own tls.Config (they are not to be shared
		// once in use); the certificate behind them is one.
		ln = tls.NewListener(ln, a.listen.certs.Config(a.listen.tlsMin))
	}
	return ln, nil
}

// watchSIGHUP reloads the certificate on every SIGHUP until ctx ends.
// The signal is only taken over with TLS on: without it SIGHUP keeps its
// default meaning.
func (a *App) watchSIGHUP(ctx context.Context) {
	if a.listen.certs == nil {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				a.log.Info("SIGHUP: reloading the TLS certificate", "cert", a.cfg.TLS.CertFile)
				_ = a.ReloadTLS() // logged by the reloader; the old certificate serves on
			}
		}
	}()
}

// MetricsHandler returns what --metrics-addr serves: /metrics alone,
// behind CASTELLAN_METRICS_TOKEN when set.
func (a *App) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", server.MetricsHandler(a.registry, a.cfg.Metrics.Token))
	return mux
}

// runMetrics listens on --metrics-addr and prints "castellan metrics
// listening on http(s)://ADDR"; the returned server is shut down with the
// main one. Without --metrics-addr it does nothing.
func (a *App) runMetrics(out io.Writer, errc chan<- error) (*http.Server, error) {
	if a.cfg.Metrics.Addr == "" {
		return nil, nil
	}
	ln, err := a.netListen(a.cfg.Metrics.Addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	hs := a.serve(ln, a.MetricsHandler(), true, errc)
	fmt.Fprintf(out, "castellan metrics listening on %s://%s\n", a.scheme(), ln.Addr())
	return hs, nil
}

// serve serves h on ln with the server's header limits, sending a failure
// other than a shutdown to errc. bounded adds the API's read and write
// timeouts; the gateway goes without them, as its bodies may stream for
// longer than any fixed bound.
func (a *App) serve(ln net.Listener, h http.Handler, bounded bool, errc chan<- error) *http.Server {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: server.ReadHeaderTimeout,
		IdleTimeout:       server.IdleTimeout,
		MaxHeaderBytes:    server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if bounded {
		hs.ReadTimeout, hs.WriteTimeout = server.ReadTimeout, server.WriteTimeout
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	return hs
}
