package cli

import (
	"github.com/spf13/pflag"

	"github.com/castellan-sts/castellan/internal/config"
)

// addAuditFlags registers serve's audit trail and credential watch flags.
func addAuditFlags(f *pflag.FlagSet, a *config.Audit) {
	f.BoolVar(&a.Enabled, "audit", a.Enabled, "record every request as a CloudTrail-format event (file + store, LookupEvents)")
	f.StringVar(&a.Dir, "audit-dir", a.Dir, "directory of the JSON-lines audit files (default <data-dir>/audit)")
	f.Int64Var(&a.MaxFileBytes, "audit-max-file-size", a.MaxFileBytes, "rotate an audit file past this many bytes (files also rotate daily, UTC)")
	f.DurationVar(&a.Retention, "audit-retention", a.Retention, "delete audit files and stored events older than this (0 keeps everything)")
	f.BoolVar(&a.FailClosed, "audit-fail-closed", a.FailClosed, "refuse mutating calls with 503 while no audit sink can write")
	f.StringVar(&a.WebhookURL, "audit-webhook-url", a.WebhookURL, "also POST every event here, batched and retried (HMAC key: CASTELLAN_AUDIT_WEBHOOK_SECRET)")
	f.StringVar(&a.NotifyURL, "notify-webhook-url", a.NotifyURL, "POST watch findings (expiring sessions, old/unused keys, root use, no MFA) here (HMAC key: CASTELLAN_NOTIFY_WEBHOOK_SECRET)")
	f.DurationVar(&a.SweepInterval, "session-sweep-interval", a.SweepInterval, "how often the session index is swept for expiries and expiry notices")
	f.DurationVar(&a.WatchInterval, "watch-interval", a.WatchInterval, "how often the access key and MFA rules run")
	f.DurationVar(&a.ExpiryNotice, "expiry-notice", a.ExpiryNotice, "notify this long before a temporary credential expires (0: off)")
	f.DurationVar(&a.KeyMaxAge, "key-max-age", a.KeyMaxAge, "flag active access keys older than this (0: off)")
	f.DurationVar(&a.KeyUnused, "key-unused-after", a.KeyUnused, "flag active access keys unused for this long (0: off)")
	f.BoolVar(&a.AutoDeactivateUnused, "auto-deactivate-unused", a.AutoDeactivateUnused, "deactivate the keys --key-unused-after flags")
	f.BoolVar(&a.WatchRoot, "watch-root-key", a.WatchRoot, "flag use of the root's access keys")
	f.BoolVar(&a.WatchMFA, "watch-mfa", a.WatchMFA, "flag users (and the root) without an MFA device")
}

// auditSecrets reads the webhook HMAC keys from the environment (never flags).
func auditSecrets(a *config.Audit, getenv Env) {
	a.WebhookSecret = getenv("CASTELLAN_AUDIT_WEBHOOK_SECRET")
	a.NotifySecret = getenv("CASTELLAN_NOTIFY_WEBHOOK_SECRET")
}
