// Package tlsserve is the TLS side of `castellan serve`'s listeners: the
// certificate and key named by --tls-cert and --tls-key, reloaded in place
// (SIGHUP) without dropping open connections, and the --tls-min-version
// rule. Every listener of one server shares one Reloader, so a reload
// swaps the certificate of all of them at once.
package tlsserve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// MinVersions maps the accepted --tls-min-version values to their
// protocol versions. Anything older than TLS 1.2 is refused: AWS itself
// requires 1.2 on every endpoint since 2023.
var minVersions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// ParseMinVersion returns the protocol version of a --tls-min-version
// value ("1.2" or "1.3").
func ParseMinVersion(s string) (uint16, error) {
	v, ok := minVersions[s]
	if !ok {
		return 0, fmt.Errorf("--tls-min-version %q: want 1.2 or 1.3", s)
	}
	return v, nil
}

// Reloader holds the serving certificate of a key pair on disk. Its
// GetCertificate reads the current pair on every handshake, so Reload
// takes effect for new connections while established ones keep the
// session they negotiated.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time
	cur               atomic.Pointer[tls.Certificate]
}

// New loads certFile and keyFile (PEM) and returns their Reloader. A
// pair that cannot be loaded is an error: the server must not start
// without the certificate it was told to serve. log and now may be nil.
func New(certFile, keyFile string, log *slog.Logger, now func() time.Time) (*Reloader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log, now: now}
	c, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cur.Store(c)
	r.logLoaded("tls certificate loaded", c)
	return r, nil
}

// load reads and checks the key pair without installing it.
func (r *Reloader) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		// LoadX509KeyPair's errors name neither file; say which pair.
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf == nil { // set unless GODEBUG x509keypairleaf=0
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("--tls-cert %s: %w", r.certFile, err)
		}
		c.Leaf = leaf
	}
	return &c, nil
}

// Reload reads the pair again and, when it loads, serves it from the
// next handshake on. A pair that does not load (missing, half-written,
// key not matching the certificate) leaves the current certificate in
// place: the error is logged and returned, and serving goes on.
func (r *Reloader) Reload() error {
	c, err := r.load()
	if err != nil {
		r.log.Error("tls certificate reload failed; still serving the previous certificate", "err", err,
			"serving_not_after", r.cur.Load().Leaf.NotAfter)
		return err
	}
	r.cur.Store(c)
	r.logLoaded("tls certificate reloaded", c)
	return nil
}

func (r *Reloader) logLoaded(msg string, c *tls.Certificate) {
	attrs := []any{"cert", r.certFile, "subject", c.Leaf.Subject.String(), "dns_names", c.Leaf.DNSNames,
		"not_after", c.Leaf.NotAfter}
	if r.now().After(c.Leaf.NotAfter) {
		// Served anyway (the operator may be mid-renewal), but said loudly:
		// every client will refuse it.
		r.log.Warn(msg+": the certificate has expired", attrs...)
		return
	}
	r.log.Info(msg, attrs...)
}

// Certificate returns the certificate being served.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load() }

// GetCertificate is a tls.Config.GetCertificate serving the current pair.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := r.cur.Load()
	if c == nil {
		return nil, errors.New("tlsserve: no certificate loaded")
	}
	return c, nil
}

// Config returns the server TLS configuration of a listener: the
// reloading certificate, minVersion (from ParseMinVersion) and HTTP/1.1
// only, as the API, console and gateway speak it (AWS's STS and IAM
// endpoints do too).
func (r *Reloader) Config(minVersion uint16) *tls.Config {
	return &tls.Config{
		GetCertificate: r.GetCertificate,
		MinVersion:     minVersion,
		NextProtos:     []string{"http/1.1"},
	}
}
