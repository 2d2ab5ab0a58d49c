package monitor

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
)

// Lockout findings: an MFA device or a console password locked out after
// too many wrong attempts (issue 14).
const (
	RuleMFALockedOut      = "MFADeviceLockedOut"
	RulePasswordLockedOut = "ConsolePasswordLockedOut"
)

// LockedOut records a lockout as a watch finding: an audit event
// (WatchMFADeviceLockedOut or WatchConsolePasswordLockedOut, written
// durably) sent to the notification webhook. serial is the MFA device, ""
// for a password. It returns once the event is written.
func (l *Lifecycle) LockedOut(ctx context.Context, rule, userName, serial string, failures int, until time.Time) {
	if l == nil {
		return
	}
	details := map[string]any{"failures": failures, "lockedUntil": until.UTC().Format(time.RFC3339)}
	if serial != "" {
		details["serialNumber"] = serial
	}
	l.report(ctx, []*audit.Event{l.finding(l.now(), rule, "iam.amazonaws.com", userName, "", details)})
}
