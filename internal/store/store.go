// Package store defines Castellan's persistent records, the small
// per-aggregate interfaces that services consume, and the errors every
// backend returns. Backends live in subpackages (sqlite, postgres) and must
// pass the conformance suite in storetest.
//
// Secrets (secret access keys, TOTP seeds, keyring keys) cross this boundary
// as secret.String in clear; a backend seals them with the master-key box
// before they touch disk and opens them on read.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
)

// Errors every backend returns (wrapped or bare); services translate them to
// AWS errors, since only they know the entity's name and the message.
var (
	// ErrNotFound means the addressed record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness constraint would be violated (a name
	// already taken, case-insensitively where IAM says so).
	ErrConflict = errors.New("store: conflict")
	// ErrLimit means a per-entity quota enforced atomically by the store
	// (for example two access keys per user) would be exceeded.
	ErrLimit = errors.New("store: limit exceeded")
	// ErrHasDependents means a delete was refused because dependent records
	// (keys, policies, memberships, …) remain.
	ErrHasDependents = errors.New("store: entity has dependents")
	// ErrUnavailable means the store cannot take the work now (its disk is
	// full, or an I/O error): nothing was written, and the call may succeed
	// once an operator frees space. It reports itself as unavailable, so the
	// edge answers 503 ServiceUnavailable, which clients retry, rather
	// than 500.
	ErrUnavailable error = unavailableError{}
)

type unavailableError struct{}

func (unavailableError) Error() string { return "store: storage unavailable" }

// Unavailable marks the error for awserr.Internal.
func (unavailableError) Unavailable() bool { return true }

// Tag is an IAM tag.
type Tag struct {
	Key   string
	Value string
}

// Account is the one AWS-style account a Castellan deployment serves.
type Account struct {
	ID        string // 12 digits
	CreatedAt time.Time
}

// User is an IAM user.
type User struct {
	AccountID           string
	ID                  string // AIDA…
	Name                string
	Path                string // "/" or "/a/b/"
	PermissionsBoundary string // managed policy ARN, or ""
	Tags                []Tag
	CreatedAt           time.Time
	PasswordLastUsed    time.Time // zero when never
}

// AccessKeyStatus is an access key's state.
type AccessKeyStatus string

// Access key states (the IAM model's statusType).
const (
	KeyActive   AccessKeyStatus = "Active"
	KeyInactive AccessKeyStatus = "Inactive"
	KeyExpired  AccessKeyStatus = "Expired"
)

// AccessKey is a long-term access key. UserName and UserID are empty for the
// account's root key.
type AccessKey struct {
	AccountID string
	ID        string // AKIA…
	UserID    string // AIDA… or "" for root
	UserName  string // "" for root
	Secret    secret.String
	Status    AccessKeyStatus
	CreatedAt time.Time

	LastUsedAt      time.Time // zero when never
	LastUsedService string
	LastUsedRegion  string
}

// KeyUse is one coalesced "last used" observation of an access key.
type KeyUse struct {
	AccessKeyID string
	At          time.Time
	Service     string
	Region      string
}

// ListOptions pages through a listing ordered by a stable key (the entity
// name, compared case-insensitively). Marker is the opaque value returned as
// Page.Next; Limit is at least 1.
type ListOptions struct {
	PathPrefix string
	Marker     string
	Limit      int
}

// Page is one page of a listing; Next is empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}

// Accounts reads and creates the account.
type Accounts interface {
	// CreateAccount creates the account; ErrConflict if one exists.
	CreateAccount(ctx context.Context, a Account) error
	// GetAccount returns the account; ErrNotFound when none exists yet.
	GetAccount(ctx context.Context) (Account, error)
}

// Users manages IAM users.
type Users interface {
	// CreateUser stores u; ErrConflict when the name is taken (case-insensitively).
	CreateUser(ctx context.Context, u User) error
	// GetUser finds a user by name (case-insensitively); ErrNotFound.
	GetUser(ctx context.Context, accountID, name string) (User, error)
	// GetUserByID finds a user by its AIDA id; ErrNotFound.
	GetUserByID(ctx context.Context, accountID, id string) (User, error)
	// ListUsers pages users ordered by name.
	ListUsers(ctx context.Context, accountID string, opt ListOptions) (Page[User], error)
	// DeleteUser removes a user; ErrNotFound; ErrHasDependents while access
	// keys (or later: policies, groups, MFA devices, login profile) remain.
	DeleteUser(ctx context.Context, accountID, name string) error
}

// AccessKeys manages long-term access keys.
type AccessKeys interface {
	// CreateAccessKey stores k; ErrLimit when the user already has max keys
	// (checked atomically with the insert); ErrConflict on a duplicate id.
	CreateAccessKey(ctx context.Context, k AccessKey, max int) error
	// GetAccessKey finds a key by id, secret opened; ErrNotFound.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys lists a user's keys ("" userID = the root keys), oldest first.
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]AccessKey, error)
	// UpdateAccessKeyStatus sets a key's status; ErrNotFound.
	UpdateAccessKeyStatus(ctx context.Context, id string, status AccessKeyStatus) error
	// DeleteAccessKey removes a key; ErrNotFound.
	DeleteAccessKey(ctx context.Context, id string) error
	// RecordKeyUse stores a batch of last-used observations, keeping the
	// latest per key.
	RecordKeyUse(ctx context.Context, uses []KeyUse) error
}

// KeyringKey is one key of the token keyring. The store keeps it generically:
// it seals Secret with the master-key box (additional data = ID) and does not
// interpret the value.
type KeyringKey struct {
	ID          string
	Secret      secret.String
	CreatedAt   time.Time
	RetireAfter time.Time // zero when not scheduled for retirement
	Primary     bool      // at most one key is primary
}

// KeyringKeys stores the token keyring's keys.
type KeyringKeys interface {
	// AddKeyringKey stores k; ErrConflict on a duplicate id. When k.Primary,
	// every other key stops being primary in the same transaction, so readers
	// never see two primaries (or, once one exists, none).
	AddKeyringKey(ctx context.Context, k KeyringKey) error
	// ListKeyringKeys returns every key, secret opened, oldest first (ties
	// broken by id).
	ListKeyringKeys(ctx context.Context) ([]KeyringKey, error)
	// DeleteKeyringKey removes a key; ErrNotFound.
	DeleteKeyringKey(ctx context.Context, id string) error
	// SetKeyringKeyRetireAfter sets when a key stops opening tokens (an
	// early retirement of its successor keeps the key's own deadline);
	// ErrNotFound.
	SetKeyringKeyRetireAfter(ctx context.Context, id string, at time.Time) error
}

// Store is the union a backend implements. Consumers accept the smallest
// interface they need.
type Store interface {
	Accounts
	Users
	AccessKeys
	KeyringKeys
	Revocations
	AccountSettingsStore
	CredentialStore
	IAMStore   // iamstore.go
	AuditStore // auditstore.go
	// Ping checks the backend is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
}
