package app

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/store"
)

// subscribe makes this node's caches follow changes committed by any node,
// when the store can tell (store.Notifier: PostgreSQL). Without it (SQLite,
// one process) the local invalidations and the caches' TTLs suffice.
func (a *App) subscribe(ctx context.Context) {
	n, ok := a.store.(store.Notifier)
	if !ok {
		return
	}
	m := metrics.NewChanges(a.registry)
	apply := func(c store.Change) {
		a.applyChange(ctx, c)
		if !c.At.IsZero() {
			// Wall-clock latency against the database's clock, not the
			// injected one (tests freeze that): a measurement, not a rule.
			m.Applied(string(c.Kind), time.Since(c.At))
		}
	}
	if err := n.Subscribe(ctx, apply); err != nil {
		// It keeps retrying; caches fall back on their TTLs meanwhile.
		a.log.Warn("listening for other nodes' changes", "err", err)
	}
}

// applyChange drops or reloads what a change makes stale.
func (a *App) applyChange(ctx context.Context, c store.Change) {
	switch c.Kind {
	case store.ChangeAccessKey:
		a.source.Invalidate(c.ID)
	case store.ChangeUser:
		// Cached principals embed the user's name, path and tags; its
		// boundary is in its policy set.
		a.source.InvalidateAll()
		a.iam.InvalidatePolicies()
	case store.ChangePolicy:
		a.iam.InvalidatePolicies()
	case store.ChangeKeyring:
		a.reloadKeyring(ctx)
	case store.ChangeRevocation:
		a.refreshDeny(ctx)
	case store.ChangeResync:
		a.log.Info("change notifications resumed; reloading caches")
		a.source.InvalidateAll()
		a.iam.InvalidatePolicies()
		a.reloadKeyring(ctx)
		a.refreshDeny(ctx)
	}
}

// changeTimeout bounds one reload after a change, so a database that hangs
// does not stall the notifications behind it.
const changeTimeout = 10 * time.Second

func (a *App) reloadKeyring(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	if err := a.keyring.Reload(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("reloading the keyring after a change", "err", err)
	}
}

func (a *App) refreshDeny(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	if err := a.deny.Refresh(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("refreshing the revocation deny set after a change", "err", err)
	}
}
