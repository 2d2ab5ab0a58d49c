package token

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/castellan-sts/castellan/internal/store"
)

// ErrUnknownKey is returned by Retire for a key id the keyring does not
// hold (never existed, or already retired).
var ErrUnknownKey = errors.New("token: no such keyring key")

// Retirement is what Retire did.
type Retirement struct {
	// KeyID is the retired key.
	KeyID string
	// NewPrimary is the key Retire added first because KeyID was the
	// primary; empty when KeyID was a verify-only key.
	NewPrimary string
}

// Retire removes key id from the keyring at once (key compromise): every
// token it sealed stops opening, here immediately and on other nodes at
// their next reload (at once where the store notifies them). A keyring
// always needs a primary, so retiring the primary first rotates to a new
// one: under compromise that is what the operator needs anyway, and a
// refusal would only make them run `keys rotate` and retry.
//
// The key is deleted from the store rather than marked: its material must
// not outlive the retirement. Deleting it would make the previous key's
// successor a later one and so lengthen its life (Reload derives it from
// the successor's creation); the previous key's deadline is stored first.
func (k *Keyring) Retire(ctx context.Context, id string) (Retirement, error) {
	out := Retirement{KeyID: id}
	kid, err := parseKeyID(id)
	if err != nil {
		return out, fmt.Errorf("%w %q (castellan keys list shows the key ids)", ErrUnknownKey, id)
	}
	// Decide on the store's current state, not this node's last reload.
	if err := k.Reload(ctx); err != nil {
		return out, err
	}
	k.mu.RLock()
	target, ok := k.keys[kid]
	isPrimary := ok && target == k.primary
	k.mu.RUnlock()
	if !ok {
		return out, fmt.Errorf("%w %q (castellan keys list shows the key ids)", ErrUnknownKey, id)
	}
	if isPrimary {
		if out.NewPrimary, err = k.Rotate(ctx); err != nil {
			return out, fmt.Errorf("token: rotating before retiring the primary key: %w", err)
		}
	}
	if prev := k.predecessor(target); prev != nil {
		deadline := target.created.Add(MaxSessionLifetime)
		// Only a stored deadline survives the deletion below.
		if prev.retireAfter.IsZero() || deadline.Before(prev.retireAfter) {
			if err := k.ks.SetKeyringKeyRetireAfter(ctx, formatKeyID(prev.id), deadline); err != nil && !errors.Is(err, store.ErrNotFound) {
				return out, fmt.Errorf("token: keeping the previous key's retirement: %w", err)
			}
		}
	}
	if err := k.ks.DeleteKeyringKey(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("token: deleting keyring key %s: %w", id, err)
	}
	if err := k.Reload(ctx); err != nil {
		return out, err
	}
	k.dropCached(kid)
	k.log.Warn("keyring key retired early; every token it sealed is refused", "key_id", id, "new_primary", out.NewPrimary)
	return out, nil
}

// predecessor returns the key created just before ky, if this node holds it.
func (k *Keyring) predecessor(ky *key) *key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	older := make([]*key, 0, len(k.keys))
	for _, o := range k.keys {
		if o.created.Before(ky.created) {
			older = append(older, o)
		}
	}
	if len(older) == 0 {
		return nil
	}
	sort.Slice(older, func(i, j int) bool { return older[i].created.Before(older[j].created) })
	return older[len(older)-1]
}
