package store

import (
	"context"
	"time"
)

// ChangeKind says what changed in a Change.
type ChangeKind string

// The changes a Notifier reports: those that nodes cache.
const (
	// ChangeAccessKey: an access key was created, changed status or was
	// deleted. Change.ID is the key id.
	ChangeAccessKey ChangeKind = "key"
	// ChangeUser: a user was renamed, retagged, re-pathed or deleted, so
	// principals cached for its keys are stale. Change.ID is the user id.
	ChangeUser ChangeKind = "user"
	// ChangeKeyring: a token keyring key was added or deleted.
	ChangeKeyring ChangeKind = "keyring"
	// ChangeRevocation: the revocation deny set grew.
	ChangeRevocation ChangeKind = "revocation"
	// ChangePolicy: something a principal's permissions are computed from
	// changed (inline or managed policies, attachments, default versions,
	// group memberships, roles).
	ChangePolicy ChangeKind = "policy"
	// ChangeResync: notifications may have been missed (the listener lost
	// its connection and got it back); drop or reload everything cached.
	ChangeResync ChangeKind = "resync"
)

// Change is one notification of a committed change.
type Change struct {
	Kind ChangeKind
	ID   string // for ChangeAccessKey and ChangeUser; "" otherwise
	// At is when the change committed, by the database's clock, when the
	// store knows it (castellan_change_apply_seconds measures from it).
	At time.Time
}

// Notifier is an optional capability of a store shared by several nodes:
// it tells every node about the changes any node commits, so each can
// invalidate its caches. Check for it with a type assertion; a store used
// by one process (SQLite) does not need it.
type Notifier interface {
	// Subscribe calls fn, from one goroutine and in commit order, for each
	// change committed by any node (this one included) until ctx ends or
	// the store is closed. It returns once the subscription is listening,
	// so changes committed after it returns are delivered; when it cannot
	// listen yet it returns the error and keeps trying in the background,
	// reporting ChangeResync once it succeeds. Delivery is best effort:
	// after a lost connection fn receives ChangeResync.
	Subscribe(ctx context.Context, fn func(Change)) error
}
