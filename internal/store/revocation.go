package store

import (
	"context"
	"time"
)

// RevocationKind says what a revocation covers.
type RevocationKind string

// Revocation kinds.
const (
	// RevokeKey revokes one temporary access key id (ASIA…).
	RevokeKey RevocationKind = "key"
	// RevokePrincipal revokes every session of a principal (a role or user
	// ARN) issued before Before.
	RevokePrincipal RevocationKind = "principal"
)

// Revocation is one entry of the revocation deny set. It can be dropped once
// every session it could cover has expired (ExpiresAt).
type Revocation struct {
	Kind      RevocationKind
	Subject   string    // ASIA key id, or principal ARN
	Before    time.Time // for RevokePrincipal: sessions issued before this
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Revocations stores the revocation deny set, shared by every node.
type Revocations interface {
	// PutRevocation adds or replaces (by kind and subject) a revocation.
	PutRevocation(ctx context.Context, r Revocation) error
	// ListRevocations returns the revocations that have not expired at now.
	ListRevocations(ctx context.Context, now time.Time) ([]Revocation, error)
	// PruneRevocations deletes the revocations expired at now.
	PruneRevocations(ctx context.Context, now time.Time) error
}

// AccountSettings are account-wide settings.
type AccountSettings struct {
	// GlobalEndpointTokenVersion is v1Token or v2Token
	// (SetSecurityTokenServicePreferences); empty means AWS's default, v1Token.
	GlobalEndpointTokenVersion string
}

// AccountSettingsStore reads and writes AccountSettings.
type AccountSettingsStore interface {
	// GetAccountSettings returns the settings (zero value when never set).
	GetAccountSettings(ctx context.Context, accountID string) (AccountSettings, error)
	// PutAccountSettings replaces the settings.
	PutAccountSettings(ctx context.Context, accountID string, s AccountSettings) error
}
