package monitor

import (
	"context"
	"log/slog"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/store"
)

// Watch rules; a finding's event is named "Watch" + rule.
const (
	RuleSessionExpiring = "SessionExpiring"
	RuleKeyTooOld       = "AccessKeyTooOld"
	RuleKeyUnused       = "AccessKeyUnused"
	RuleRootKeyInUse    = "RootKeyInUse"
	RuleUserWithoutMFA  = "UserWithoutMFA"
)

// rootUseWindow is how recent a root key's last use must be for the
// RootKeyInUse condition to hold.
const rootUseWindow = 24 * time.Hour

// WatchStore is what the key rules need from the store.
type WatchStore interface {
	store.WatchFindings
	ListUsers(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.User], error)
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error)
	UpdateAccessKeyStatus(ctx context.Context, id string, status store.AccessKeyStatus) error
	UserCredentialCounts(ctx context.Context, accountID, userID string) (store.UserCredentialCounts, error)
	ListMFADevices(ctx context.Context, accountID string, opt store.MFAListOptions) (store.Page[store.MFADevice], error)
}

// WatchConfig configures the key rules.
type WatchConfig struct {
	Store    WatchStore
	Emitter  Emitter
	Notifier Notifier
	Metrics  *metrics.Audit
	Logger   *slog.Logger
	Now      func() time.Time
	Account  string
	Interval time.Duration

	KeyMaxAge            time.Duration // 0: off
	KeyUnused            time.Duration // 0: off
	AutoDeactivateUnused bool
	WatchRoot            bool
	WatchMFA             bool
	// Invalidate drops a deactivated key from the authentication cache.
	Invalidate func(accessKeyID string)
}

// Watch runs the key and user rules periodically.
type Watch struct {
	cfg WatchConfig
	lc  *Lifecycle // for finding/report helpers
}

// NewWatch returns the rules runner.
func NewWatch(cfg WatchConfig) *Watch {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	lc := &Lifecycle{emit: cfg.Emitter, notify: cfg.Notifier, m: cfg.Metrics, log: cfg.Logger, now: cfg.Now, account: cfg.Account}
	return &Watch{cfg: cfg, lc: lc}
}

// Run runs the rules now and then every interval until ctx ends.
func (w *Watch) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type keyOwner struct {
	userID, userName string
}

// Check runs every rule once.
func (w *Watch) Check(ctx context.Context) {
	c := &w.cfg
	now := c.Now()
	owners := []keyOwner{{"", "root"}}
	var users []store.User
	marker := ""
	for {
		p, err := c.Store.ListUsers(ctx, c.Account, store.ListOptions{Marker: marker, Limit: 1000})
		if err != nil {
			if ctx.Err() == nil {
				c.Logger.Error("watch: listing users", "err", err)
			}
			return
		}
		users = append(users, p.Items...)
		if p.Next == "" {
			break
		}
		marker = p.Next
	}
	for _, u := range users {
		owners = append(owners, keyOwner{u.ID, u.Name})
	}
	var (
		old, unused, rootUse []string
		ages                 []time.Duration
		keyOwnerOf           = map[string]string{}
		keys                 = map[string]store.AccessKey{}
	)
	for _, o := range owners {
		ks, err := c.Store.ListAccessKeys(ctx, c.Account, o.userID)
		if err != nil {
			c.Logger.Error("watch: listing keys", "err", err)
			return
		}
		for _, k := range ks {
			if k.Status != store.KeyActive {
				continue
			}
			keyOwnerOf[k.ID], keys[k.ID] = o.userName, k
			age := now.Sub(k.CreatedAt)
			ages = append(ages, age)
			if c.KeyMaxAge > 0 && age >= c.KeyMaxAge {
				old = append(old, k.ID)
			}
			last := k.LastUsedAt
			if last.IsZero() {
				last = k.CreatedAt
			}
			if c.KeyUnused > 0 && now.Sub(last) >= c.KeyUnused {
				unused = append(unused, k.ID)
			}
			if c.WatchRoot && o.userID == "" && !k.LastUsedAt.IsZero() && now.Sub(k.LastUsedAt) < rootUseWindow {
				rootUse = append(rootUse, k.ID)
			}
		}
	}
	c.Metrics.SetKeysByAge(ages)
	var evs []*audit.Event
	keyFinding := func(rule string, ids []string, details func(k store.AccessKey) map[string]any) {
		added, err := c.Store.SyncWatchFindings(ctx, rule, ids, now)
		if err != nil {
			c.Logger.Error("watch: syncing findings", "rule", rule, "err", err)
			return
		}
		for _, id := range added {
			evs = append(evs, w.lc.finding(now, rule, "iam.amazonaws.com", keyOwnerOf[id], id, details(keys[id])))
		}
	}
	if c.KeyMaxAge > 0 {
		keyFinding(RuleKeyTooOld, old, func(k store.AccessKey) map[string]any {
			return map[string]any{"createDate": k.CreatedAt.Format(time.RFC3339), "ageDays": int(now.Sub(k.CreatedAt).Hours() / 24), "maxAgeDays": int(c.KeyMaxAge.Hours() / 24)}
		})
	}
	if c.KeyUnused > 0 {
		keyFinding(RuleKeyUnused, unused, func(k store.AccessKey) map[string]any {
			d := map[string]any{"createDate": k.CreatedAt.Format(time.RFC3339), "unusedDays": int(c.KeyUnused.Hours() / 24)}
			if !k.LastUsedAt.IsZero() {
				d["lastUsedDate"] = k.LastUsedAt.Format(time.RFC3339)
			}
			return d
		})
		if c.AutoDeactivateUnused {
			for _, id := range unused {
				if keys[id].UserID == "" {
					continue // never lock the root out: its keys are reported only
				}
				if err := c.Store.UpdateAccessKeyStatus(ctx, id, store.KeyInactive); err != nil {
					c.Logger.Error("watch: deactivating unused key", "access_key_id", maskKey(id), "err", err)
					continue
				}
				if c.Invalidate != nil {
					c.Invalidate(id)
				}
				evs = append(evs, w.lc.serviceEvent(now, "iam.amazonaws.com", EventKeyAutoDeactivate, keyOwnerOf[id], id,
					map[string]any{"rule": RuleKeyUnused}))
			}
		}
	}
	if c.WatchRoot {
		keyFinding(RuleRootKeyInUse, rootUse, func(k store.AccessKey) map[string]any {
			return map[string]any{"lastUsedDate": k.LastUsedAt.Format(time.RFC3339), "serviceName": k.LastUsedService, "region": k.LastUsedRegion}
		})
	}
	if c.WatchMFA {
		var noMFA []string
		for _, u := range users {
			n, err := c.Store.UserCredentialCounts(ctx, c.Account, u.ID)
			if err != nil {
				c.Logger.Error("watch: credential counts", "err", err)
				return
			}
			if n.MFADevices == 0 {
				noMFA = append(noMFA, u.Name)
			}
		}
		if p, err := c.Store.ListMFADevices(ctx, c.Account, store.MFAListOptions{UserID: c.Account, Limit: 1}); err == nil && len(p.Items) == 0 {
			noMFA = append(noMFA, "root")
		}
		added, err := c.Store.SyncWatchFindings(ctx, RuleUserWithoutMFA, noMFA, now)
		if err != nil {
			c.Logger.Error("watch: syncing findings", "rule", RuleUserWithoutMFA, "err", err)
		}
		for _, name := range added {
			evs = append(evs, w.lc.finding(now, RuleUserWithoutMFA, "iam.amazonaws.com", name, "", nil))
		}
	}
	w.lc.report(ctx, evs)
}
