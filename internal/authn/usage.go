package authn

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

// UsageWriter stores batches of key-use observations.
type UsageWriter interface {
	RecordKeyUse(ctx context.Context, uses []store.KeyUse) error
}

// usageFlushInterval is how often coalesced key uses reach the store.
const usageFlushInterval = 2 * time.Second

// Usage coalesces "access key last used" observations in memory and writes
// them to the store in one batch every few seconds and at shutdown, so
// authenticating a request never costs a store write.
type Usage struct {
	w   UsageWriter
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]store.KeyUse
}

// NewUsage returns a recorder writing to w.
func NewUsage(w UsageWriter, log *slog.Logger) *Usage {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Usage{w: w, log: log, pending: map[string]store.KeyUse{}}
}

// Record notes one use; only the latest per key is kept until the flush.
func (u *Usage) Record(accessKeyID, service, region string, at time.Time) {
	u.mu.Lock()
	if prev, ok := u.pending[accessKeyID]; !ok || at.After(prev.At) {
		u.pending[accessKeyID] = store.KeyUse{AccessKeyID: accessKeyID, At: at.UTC().Truncate(time.Second), Service: service, Region: region}
	}
	u.mu.Unlock()
}

// Flush writes the pending observations. On failure they are kept for the
// next flush (newer observations win).
func (u *Usage) Flush(ctx context.Context) error {
	u.mu.Lock()
	if len(u.pending) == 0 {
		u.mu.Unlock()
		return nil
	}
	batch := make([]store.KeyUse, 0, len(u.pending))
	for _, ku := range u.pending {
		batch = append(batch, ku)
	}
	clear(u.pending)
	u.mu.Unlock()
	if err := u.w.RecordKeyUse(ctx, batch); err != nil {
		u.mu.Lock()
		for _, ku := range batch {
			if prev, ok := u.pending[ku.AccessKeyID]; !ok || ku.At.After(prev.At) {
				u.pending[ku.AccessKeyID] = ku
			}
		}
		u.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every few seconds until ctx ends, then flushes once more.
func (u *Usage) Run(ctx context.Context) {
	t := time.NewTicker(usageFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := u.Flush(fctx); err != nil {
				u.log.Error("flushing key usage at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := u.Flush(ctx); err != nil {
				u.log.Warn("flushing key usage", "err", err)
			}
		}
	}
}
