package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/authn"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/monitor"
	"github.com/castellan-sts/castellan/internal/notify"
	"github.com/castellan-sts/castellan/internal/server"
)

// replayFiles is how many of the newest audit files are replayed into the
// store at startup (events a crash left in the file only).
const replayFiles = 2

// auditParts are the audit trail's running pieces.
type auditParts struct {
	auditor   *audit.Auditor
	lifecycle *monitor.Lifecycle
	watch     *monitor.Watch
	webhooks  []*notify.Webhook
	reports   *monitor.Reports
}

// openAudit opens the audit sinks (replaying the file's tail into the store
// first), the lifecycle and the watch, and returns the server's audit
// configuration. With auditing disabled only the credential report is served.
func (a *App) openAudit(ctx context.Context, source *authn.Source) (server.AuditConfig, error) {
	c := a.cfg.Audit
	m := metrics.NewAudit(a.registry)
	p := &auditParts{reports: monitor.NewReports(a.store, a.account, a.now, a.log)}
	a.audit = p
	sc := server.AuditConfig{Reports: p.reports, Account: a.account, Region: a.cfg.Region, FailClosed: c.FailClosed}
	if !c.Enabled {
		return sc, nil
	}
	dir := a.cfg.AuditDir()
	file, err := audit.OpenFile(audit.FileConfig{Dir: dir, MaxBytes: c.MaxFileBytes, Retention: c.Retention, Now: a.now})
	if err != nil {
		return sc, err
	}
	if n, err := audit.Replay(ctx, dir, a.store, replayFiles); err != nil {
		file.Close()
		return sc, fmt.Errorf("audit: replaying %s into the store: %w", dir, err)
	} else if n > 0 {
		a.log.Warn("audit events found only in the file were added to the store", "events", n)
	}
	var followers []audit.Follower
	if c.WebhookURL != "" {
		wh := notify.NewWebhook(notify.WebhookConfig{Name: "audit", URL: c.WebhookURL, Secret: c.WebhookSecret, Logger: a.log, Observer: m, Now: a.now})
		p.webhooks = append(p.webhooks, wh)
		followers = append(followers, wh)
	}
	var notifier monitor.Notifier
	if c.NotifyURL != "" {
		wh := notify.NewWebhook(notify.WebhookConfig{Name: "notify", URL: c.NotifyURL, Secret: c.NotifySecret, Logger: a.log, Observer: m, Now: a.now})
		p.webhooks = append(p.webhooks, wh)
		notifier = wh
	}
	p.auditor, err = audit.New(audit.Config{
		Sinks:     []audit.Sink{file, audit.NewStoreSink(a.store)},
		Followers: followers,
		Logger:    a.log,
		Observer:  m,
	})
	if err != nil {
		file.Close()
		return sc, err
	}
	p.lifecycle = monitor.NewLifecycle(monitor.LifecycleConfig{
		Store: a.store, Emitter: p.auditor, Notifier: notifier, Metrics: m, Logger: a.log, Now: a.now,
		Account: a.account, SweepInterval: c.SweepInterval, ExpiryNotice: c.ExpiryNotice, Retention: c.Retention,
	})
	p.watch = monitor.NewWatch(monitor.WatchConfig{
		Store: a.store, Emitter: p.auditor, Notifier: notifier, Metrics: m, Logger: a.log, Now: a.now,
		Account: a.account, Interval: c.WatchInterval,
		KeyMaxAge: c.KeyMaxAge, KeyUnused: c.KeyUnused, AutoDeactivateUnused: c.AutoDeactivateUnused,
		WatchRoot: c.WatchRoot, WatchMFA: c.WatchMFA, Invalidate: source.Invalidate,
	})
	sc.Auditor = p.auditor
	sc.Lifecycle = p.lifecycle
	sc.Lookup = audit.NewLookup(a.store, p.auditor, a.now)
	return sc, nil
}

// ready is /readyz: the store answers and an audit sink can write.
func (a *App) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	if a.audit != nil && a.audit.auditor != nil {
		return a.audit.auditor.Ready(ctx)
	}
	return nil
}

// runAudit starts the lifecycle and watch loops; the returned func waits
// for them to end (after ctx is cancelled).
func (a *App) runAudit(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if p := a.audit; p != nil && p.lifecycle != nil {
		wg.Go(func() { p.lifecycle.Run(ctx) })
		wg.Go(func() { p.watch.Run(ctx) })
	}
	return wg.Wait
}

// closeAudit flushes and closes the auditor, then the webhooks. The loops
// must have stopped.
func (a *App) closeAudit() error {
	p := a.audit
	if p == nil {
		return nil
	}
	var errs []error
	if p.auditor != nil {
		errs = append(errs, p.auditor.Close())
	}
	for _, w := range p.webhooks {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}

// Lifecycle returns the credential lifecycle (nil when auditing is off).
func (a *App) Lifecycle() *monitor.Lifecycle {
	if a.audit == nil {
		return nil
	}
	return a.audit.lifecycle
}

// Reports returns the credential report service.
func (a *App) Reports() *monitor.Reports {
	if a.audit == nil {
		return nil
	}
	return a.audit.reports
}
