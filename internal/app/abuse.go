package app

import (
	"context"
	"sync/atomic"

	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/monitor"
)

// abuseReporter implements iam.AbuseReporter: lockouts become metrics and
// watch findings (audit event + notification). The lifecycle is set once
// the audit trail is open, after the IAM service exists; until then, and
// with auditing off, only the metrics count.
type abuseReporter struct {
	m  *metrics.Abuse
	lc atomic.Pointer[monitor.Lifecycle]
}

func (r *abuseReporter) LockedOut(ctx context.Context, l iam.Lockout) {
	rule, kind := monitor.RuleMFALockedOut, metrics.LockoutMFA
	if l.Kind == iam.LockoutPassword {
		rule, kind = monitor.RulePasswordLockedOut, metrics.LockoutPassword
	}
	r.m.Lockout(kind)
	name := l.UserName
	if name == "" && l.Kind == iam.LockoutMFA {
		name = "root"
	}
	// The finding is written without the request's cancellation: the
	// guesser hanging up must not keep it off the trail.
	r.lc.Load().LockedOut(context.WithoutCancel(ctx), rule, name, l.SerialNumber, l.Failures, l.Until)
}

func (r *abuseReporter) RefusedLocked(kind string) { r.m.LockedRefusal(kind) }

func (r *abuseReporter) HashThrottled() { r.m.HashThrottled() }
