package app

import (
	"context"
	"fmt"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/token"
)

// EventKeyringKeyRetired is the audit event of `castellan keys retire`
// (an AwsServiceEvent, like the credential lifecycle's events).
const EventKeyringKeyRetired = "KeyringKeyRetired"

// RetireKey retires keyring key id at once (token.Keyring.Retire: the
// primary is rotated first) and records it in the store's audit trail, so
// LookupEvents shows who ended those sessions and when. The event names
// key ids only, never key material.
func (a *Admin) RetireKey(ctx context.Context, id string) (token.Retirement, error) {
	r, err := a.Keyring.Retire(ctx, id)
	if err != nil {
		return r, err
	}
	details := map[string]any{"keyId": r.KeyID, "via": "castellan keys retire --now"}
	if r.NewPrimary != "" {
		details["newPrimaryKeyId"] = r.NewPrimary
	}
	ev := audit.NewServiceEvent(a.now(), "sts.amazonaws.com", EventKeyringKeyRetired, a.Account, details)
	b, err := ev.Marshal()
	if err == nil {
		err = audit.NewStoreSink(a.Store).Write(ctx, []audit.Record{{Event: ev, JSON: b}})
	}
	if err != nil {
		// The retirement stands (every node already refuses the key);
		// only its record failed, which the operator must know.
		return r, fmt.Errorf("key %s retired, but recording it in the audit trail failed: %w", r.KeyID, err)
	}
	return r, nil
}
