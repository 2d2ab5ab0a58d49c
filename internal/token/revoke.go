package token

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// RevocationStore is where the deny set lives.
type RevocationStore interface {
	ListRevocations(ctx context.Context, now time.Time) ([]store.Revocation, error)
	PruneRevocations(ctx context.Context, now time.Time) error
}

// DenyRefreshInterval is how often every node reloads the deny set: a
// revocation applies everywhere within this interval (well inside the
// 5 seconds promised to operators).
const DenyRefreshInterval = 2 * time.Second

// DenySet is the cached revocation deny set: temporary key ids, and
// "issued before T" per principal. Checking it costs two map lookups.
type DenySet struct {
	st  RevocationStore
	now func() time.Time
	log *slog.Logger

	mu         sync.RWMutex
	keys       map[string]struct{}
	principals map[string]time.Time
}

// NewDenySet returns an empty deny set; call Refresh or Run to load it.
func NewDenySet(st RevocationStore, now func() time.Time, log *slog.Logger) *DenySet {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DenySet{st: st, now: now, log: log, keys: map[string]struct{}{}, principals: map[string]time.Time{}}
}

// Revoked implements Revoker: the key id is revoked, or the session's
// principal (its role, or the user of a GetSessionToken session) or any of
// its origins (the user, root or role whose credentials issued it, through
// every step of a role chain: GetSessionToken, GetFederationToken and
// AssumeRole sessions of a user or of the root) was revoked after the
// session was issued.
func (d *DenySet) Revoked(accessKeyID string, s *identity.Session) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, ok := d.keys[accessKeyID]; ok {
		return true
	}
	if len(d.principals) == 0 {
		return false
	}
	revoked := func(subject string) bool {
		before, ok := d.principals[subject]
		return ok && subject != "" && s.IssuedAt.Before(before)
	}
	if revoked(s.RoleARN) || revoked(s.UserARN) {
		return true
	}
	for _, o := range s.Origins {
		if revoked(o) {
			return true
		}
	}
	return false
}

// Refresh reloads the deny set from the store.
func (d *DenySet) Refresh(ctx context.Context) error {
	recs, err := d.st.ListRevocations(ctx, d.now())
	if err != nil {
		return err
	}
	keys := make(map[string]struct{}, len(recs))
	principals := map[string]time.Time{}
	for _, r := range recs {
		switch r.Kind {
		case store.RevokeKey:
			keys[r.Subject] = struct{}{}
		case store.RevokePrincipal:
			if r.Before.After(principals[r.Subject]) {
				principals[r.Subject] = r.Before
			}
		}
	}
	d.mu.Lock()
	d.keys, d.principals = keys, principals
	d.mu.Unlock()
	return nil
}

// Run refreshes the deny set every DenyRefreshInterval and prunes expired
// entries, until ctx ends.
func (d *DenySet) Run(ctx context.Context) {
	t := time.NewTicker(DenyRefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.Refresh(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("refreshing the revocation deny set", "err", err)
			}
		}
	}
}
