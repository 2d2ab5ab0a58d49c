package server

import (
	"net"
	"strconv"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/ratelimit"
)

// This file bounds what failed authentication costs: a request whose
// access key id or source address failed too often is refused with
// Throttling before any HMAC or store work, and the audit event of a
// failed authentication is a bounded summary, sampled per address.

// AbuseConfig configures the failed-authentication limits. Zero values
// turn a limit off. The limits are per node: each node counts the failures
// it sees.
type AbuseConfig struct {
	// FailuresPerKey is how many failed authentications one access key id
	// may have per minute before its requests are refused (burst and
	// refill, a token bucket).
	FailuresPerKey int
	// FailuresPerAddress is the same per source address (IPv6: per /64).
	FailuresPerAddress int
	// AuditPerAddress is how many audit events of failed authentication
	// one source address may cause per minute; past it events are left out
	// and the next one written counts them.
	AuditPerAddress int
	// Metrics counts refusals, decisions and sampling; may be nil.
	Metrics *metrics.Abuse
}

// Limits of failed-authentication handling.
const (
	// limitWindow is the period of every failed-authentication bucket.
	limitWindow = time.Minute
	// maxLimitKeys bounds each limiter's memory (keys tracked at once).
	maxLimitKeys = 1 << 16
	// Bounds of a failed-authentication audit event: with them the whole
	// event stays under maxFailedAuthEvent bytes of JSON.
	maxFailedAuthAgent     = 256
	maxFailedAuthMessage   = 256
	maxFailedAuthAction    = 64
	maxFailedAuthCanonical = 512
	maxFailedAuthEvent     = 2 << 10
)

// authLimits are a server's failed-authentication limiters.
type authLimits struct {
	perKey, perAddr, audit *ratelimit.Buckets
	cfg                    AbuseConfig
}

func newAuthLimits(cfg AbuseConfig) *authLimits {
	return &authLimits{
		perKey:  ratelimit.NewBuckets(cfg.FailuresPerKey, limitWindow, maxLimitKeys),
		perAddr: ratelimit.NewBuckets(cfg.FailuresPerAddress, limitWindow, maxLimitKeys),
		audit:   ratelimit.NewBuckets(cfg.AuditPerAddress, limitWindow, maxLimitKeys),
		cfg:     cfg,
	}
}

// addressKey is the bucket key of a source address: the address, or for
// IPv6 its /64, which one client usually holds whole.
func addressKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil || a.To4() != nil {
		return ip
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// throttle refuses a request whose key id or address is over its limit.
// It runs before verification; while no failure is remembered it costs two
// atomic loads. While one is, it also drops, once a window, the buckets
// that have refilled, so that the cost goes back to two loads once
// failures stop.
func (s *Server) throttle(x *exchange, sourceIP string) error {
	l := s.limits
	now := x.start
	if l.perAddr.Len() > 0 {
		l.perAddr.SweepIfDue(now)
		if k := addressKey(sourceIP); l.perAddr.Limited(k, now) {
			return s.throttled(x, l.perAddr, k, metrics.LimitSourceAddress, l.cfg.FailuresPerAddress)
		}
	}
	if l.perKey.Len() > 0 {
		l.perKey.SweepIfDue(now)
		if k := presentedKeyID(x.r, nil); k != "" && l.perKey.Limited(k, now) {
			return s.throttled(x, l.perKey, k, metrics.LimitAccessKey, l.cfg.FailuresPerKey)
		}
	}
	return nil
}

// throttled is the refusal of a limited request: AWS's Throttling "Rate
// exceeded". Only the first refusal of a window is audited, with the
// number of refusals the previous window left unaudited.
func (s *Server) throttled(x *exchange, b *ratelimit.Buckets, key, limit string, perMinute int) error {
	notice, suppressed := b.Refused(key, x.start)
	s.limits.cfg.Metrics.Throttle(limit, notice)
	x.authFailed = true
	if x.au != nil {
		if notice {
			x.au.extra = map[string]any{"limitedBy": limit, "failuresPerMinute": perMinute, "refusedUnaudited": suppressed}
		} else {
			x.au.committed = true // audited once per window, not per request
			x.quiet = true
		}
	}
	return awserr.New(awserr.Throttling)
}

// authFailedFor counts a failed authentication (err, e its AWS form)
// against the request's address and presented key id. Server-side failures
// (a store outage) do not count.
func (s *Server) authFailedFor(x *exchange, sourceIP string, err error, e *awserr.Error) {
	x.authFailed = true
	if e.Fault == awserr.Receiver {
		return
	}
	l := s.limits
	l.perAddr.Take(addressKey(sourceIP), x.start)
	if k := presentedKeyID(x.r, err); k != "" {
		l.perKey.Take(k, x.start)
	}
}

// summarizeAuthFailure turns the event of a request that failed
// authentication into a bounded summary: operation, source address, user
// agent (truncated), presented key id and error; never the parameters.
// It reports false when per-address sampling leaves the event out.
func (s *Server) summarizeAuthFailure(x *exchange, ev *audit.Event) bool {
	if !x.au.committed && x.au.extra == nil { // not the audited limit decision
		ok, dropped := s.limits.audit.Take(addressKey(ev.SourceIPAddress), x.start)
		if !ok {
			s.limits.cfg.Metrics.SampledOut()
			return false
		}
		if dropped > 0 {
			if ev.AdditionalEventData == nil {
				ev.AdditionalEventData = map[string]any{}
			}
			ev.AdditionalEventData["failedAuthEventsSampledOut"] = dropped
		}
	}
	ev.RequestParameters, ev.Resources = nil, nil
	ev.EventName = truncate(ev.EventName, maxFailedAuthAction)
	ev.UserAgent = truncate(ev.UserAgent, maxFailedAuthAgent)
	ev.ErrorMessage = truncate(ev.ErrorMessage, maxFailedAuthMessage)
	if ev.TLSDetails != nil {
		ev.TLSDetails.ClientProvidedHostHeader = truncate(ev.TLSDetails.ClientProvidedHostHeader, 64)
	}
	if c, ok := ev.AdditionalEventData["canonicalRequest"].(string); ok && len(c) > maxFailedAuthCanonical {
		// The head (method, path, query) and the tail (signed headers,
		// payload hash) explain most mismatches.
		h := maxFailedAuthCanonical / 2
		ev.AdditionalEventData["canonicalRequest"] = c[:h] + "…(" + strconv.Itoa(len(c)-2*h) + " bytes)…" + c[len(c)-h:]
	}
	return true
}
