package app

import (
	"context"
	"time"
)

// keyringReloadInterval is how often a node re-reads the keyring, so that a
// rotation made on another node (or by `castellan keys rotate`) becomes this
// node's sealing key too, and retired keys are dropped.
const keyringReloadInterval = 10 * time.Second

// maintainKeyring reloads the keyring periodically and rotates it when the
// primary key is older than period (0: never automatically).
func (a *App) maintainKeyring(ctx context.Context, period time.Duration) {
	t := time.NewTicker(keyringReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.keyring.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				a.log.Warn("reloading the keyring", "err", err)
			}
			continue
		}
		if a.keyring.NeedsRotation(period) {
			if _, err := a.keyring.Rotate(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("rotating the keyring", "err", err)
			}
		}
	}
}
