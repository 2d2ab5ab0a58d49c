package store

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/secret"
)

// This file holds the records and interfaces of the credentials that are not
// access keys: virtual MFA devices, console passwords (login profiles and the
// account password policy) and OpenID Connect identity providers.

// MFADevice is a virtual MFA device. A device is created unassigned and is
// assigned to an identity by EnableMFADevice; UserID is then the user's AIDA
// id, or the account id for the account's root.
type MFADevice struct {
	AccountID    string
	SerialNumber string // arn:aws:iam::ACCT:mfa/<path><name>; unique case-insensitively
	Name         string
	Path         string
	Seed         secret.String // the TOTP key, base32 without padding; sealed at rest
	Tags         []Tag
	CreatedAt    time.Time

	UserID    string    // "" while unassigned
	UserName  string    // read only: the assigned user's name ("" for root or unassigned)
	EnabledAt time.Time // zero while unassigned

	// LastStep is the highest TOTP time step (device clock) accepted so far:
	// a code of that step or an earlier one is a replay. Drift is the number
	// of steps the device's clock runs ahead of ours (negative: behind), as
	// measured by the last enable or resync.
	LastStep int64
	Drift    int64
}

// Assigned reports whether the device is enabled for an identity.
func (d *MFADevice) Assigned() bool { return d.UserID != "" }

// MFAAssignment selects devices by assignment in a listing.
type MFAAssignment string

// Assignment filters (the IAM model's assignmentStatusType).
const (
	MFAAny        MFAAssignment = "Any"
	MFAAssigned   MFAAssignment = "Assigned"
	MFAUnassigned MFAAssignment = "Unassigned"
)

// MFAListOptions pages MFA devices ordered by serial number
// (case-insensitively). UserID, when set, selects the devices assigned to
// that identity and overrides Assignment. Marker is the opaque Page.Next.
type MFAListOptions struct {
	UserID     string
	Assignment MFAAssignment // "" is MFAAny
	Marker     string
	Limit      int
}

// MFADevices stores virtual MFA devices. Seeds cross this interface in clear
// and are sealed by the backend (additional data: the serial number).
type MFADevices interface {
	// CreateMFADevice stores an unassigned device; ErrConflict when the
	// serial number is taken (case-insensitively).
	CreateMFADevice(ctx context.Context, d MFADevice) error
	// GetMFADevice returns a device, seed opened; ErrNotFound.
	GetMFADevice(ctx context.Context, accountID, serial string) (MFADevice, error)
	// ListMFADevices pages devices ordered by serial number.
	ListMFADevices(ctx context.Context, accountID string, opt MFAListOptions) (Page[MFADevice], error)
	// UpdateMFADevice reads a device (ErrNotFound), calls fn with it and, if
	// fn returns nil, stores the mutable fields fn may change (UserID,
	// EnabledAt, LastStep, Drift, Tags), all in one transaction: concurrent
	// updates of one device are serialised, so a compare-and-set written in
	// fn (for example "step > LastStep") holds. fn's error is returned as
	// is. When fn assigns the device to an identity that did not hold it,
	// the user must exist (ErrNotFound) unless UserID is the account id, and
	// the identity may hold at most maxPerIdentity devices (ErrLimit).
	UpdateMFADevice(ctx context.Context, accountID, serial string, maxPerIdentity int, fn func(*MFADevice) error) (MFADevice, error)
	// DeleteMFADevice removes an unassigned device; ErrNotFound;
	// ErrHasDependents while it is assigned.
	DeleteMFADevice(ctx context.Context, accountID, serial string) error
}

// LoginProfile is an IAM user's console password.
type LoginProfile struct {
	AccountID string
	UserID    string
	UserName  string // read only
	// PasswordHash is the password's encoded memory-hard hash (for example
	// "$argon2id$v=19$m=…,t=…,p=…$salt$hash"); never the password.
	PasswordHash string
	// PreviousHashes are the hashes of earlier passwords, newest first,
	// kept for the password policy's reuse prevention.
	PreviousHashes        []string
	PasswordResetRequired bool
	CreatedAt             time.Time
	PasswordChangedAt     time.Time
}

// LoginProfiles stores console passwords, at most one per user.
type LoginProfiles interface {
	// CreateLoginProfile stores p; ErrNotFound when the user does not
	// exist; ErrConflict when the user already has one.
	CreateLoginProfile(ctx context.Context, p LoginProfile) error
	// GetLoginProfile returns a user's profile; ErrNotFound.
	GetLoginProfile(ctx context.Context, accountID, userID string) (LoginProfile, error)
	// UpdateLoginProfile reads the profile (ErrNotFound), calls fn and, if
	// it returns nil, stores PasswordHash, PreviousHashes,
	// PasswordResetRequired and PasswordChangedAt, in one transaction. fn's
	// error is returned as is.
	UpdateLoginProfile(ctx context.Context, accountID, userID string, fn func(*LoginProfile) error) (LoginProfile, error)
	// DeleteLoginProfile removes a user's profile; ErrNotFound.
	DeleteLoginProfile(ctx context.Context, accountID, userID string) error
}

// PasswordPolicy is the account password policy.
type PasswordPolicy struct {
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days; 0: passwords do not expire
	PasswordReusePrevention    int // 0: no prevention
	HardExpiry                 bool
}

// PasswordPolicies stores the account password policy.
type PasswordPolicies interface {
	// PutPasswordPolicy creates or replaces the account's policy.
	PutPasswordPolicy(ctx context.Context, accountID string, p PasswordPolicy) error
	// GetPasswordPolicy returns the policy; ErrNotFound when none is set.
	GetPasswordPolicy(ctx context.Context, accountID string) (PasswordPolicy, error)
	// DeletePasswordPolicy removes the policy; ErrNotFound when none is set.
	DeletePasswordPolicy(ctx context.Context, accountID string) error
}

// OIDCProvider is an IAM OpenID Connect identity provider.
type OIDCProvider struct {
	AccountID   string
	ARN         string // arn:aws:iam::ACCT:oidc-provider/<URL without https://>
	URL         string // https://host[/path], as created
	ClientIDs   []string
	Thumbprints []string // lower-case hex SHA-1
	Tags        []Tag
	CreatedAt   time.Time
}

// OIDCProviders stores OpenID Connect providers.
type OIDCProviders interface {
	// CreateOIDCProvider stores p; ErrConflict when the ARN (that is, the
	// URL) exists; ErrLimit when the account already has max providers.
	CreateOIDCProvider(ctx context.Context, p OIDCProvider, max int) error
	// GetOIDCProvider finds a provider by ARN; ErrNotFound.
	GetOIDCProvider(ctx context.Context, accountID, arn string) (OIDCProvider, error)
	// ListOIDCProviders returns the account's providers ordered by ARN.
	ListOIDCProviders(ctx context.Context, accountID string) ([]OIDCProvider, error)
	// UpdateOIDCProvider reads a provider (ErrNotFound), calls fn and, if
	// it returns nil, stores ClientIDs, Thumbprints and Tags, in one
	// transaction. fn's error is returned as is.
	UpdateOIDCProvider(ctx context.Context, accountID, arn string, fn func(*OIDCProvider) error) (OIDCProvider, error)
	// DeleteOIDCProvider removes a provider; ErrNotFound.
	DeleteOIDCProvider(ctx context.Context, accountID, arn string) error
}

// UserCredentialCounts are a user's credentials other than access keys.
type UserCredentialCounts struct {
	MFADevices   int
	LoginProfile bool
}

// AccountCredentialCounts are the account-wide counts GetAccountSummary
// reports.
type AccountCredentialCounts struct {
	MFADevices        int  // virtual MFA devices, assigned or not
	MFADevicesInUse   int  // devices enabled for a user or the root
	RootMFAEnabled    bool // the root has an enabled device
	OIDCProviders     int
	PasswordPolicySet bool
}

// CredentialStore is the union of the credential stores above.
type CredentialStore interface {
	MFADevices
	LoginProfiles
	PasswordPolicies
	OIDCProviders
	// UserCredentialCounts reports a user's MFA devices and login profile
	// (zero for an unknown user). DeleteUser refuses with ErrHasDependents
	// while either remains.
	UserCredentialCounts(ctx context.Context, accountID, userID string) (UserCredentialCounts, error)
	// AccountCredentialCounts counts the account's MFA devices and OIDC
	// providers.
	AccountCredentialCounts(ctx context.Context, accountID string) (AccountCredentialCounts, error)
}
