package store

import (
	"context"
	"time"
)

// This file holds the records and interfaces of the audit trail and the
// credential lifecycle: CloudTrail-format events kept for LookupEvents, the
// index of issued temporary credentials (for the expiry sweeper and
// `castellan sessions list`), first uses of long-term keys, the dedup state
// of watch findings and the credential report.

// AuditAttribute is a LookupEvents lookup attribute.
type AuditAttribute string

// The lookup attributes a store indexes (CloudTrail's LookupAttributeKey,
// minus the ones Castellan has no data for).
const (
	AuditEventID      AuditAttribute = "EventId"
	AuditEventName    AuditAttribute = "EventName"
	AuditReadOnly     AuditAttribute = "ReadOnly" // value "true" or "false"
	AuditUsername     AuditAttribute = "Username"
	AuditResourceType AuditAttribute = "ResourceType"
	AuditResourceName AuditAttribute = "ResourceName"
	AuditEventSource  AuditAttribute = "EventSource"
	AuditAccessKeyID  AuditAttribute = "AccessKeyId"
)

// AuditResource is a resource an event names.
type AuditResource struct {
	Type string // AWS::IAM::User, AWS::IAM::AccessKey, …
	Name string // a name, an ARN or a key id
}

// AuditEvent is one stored CloudTrail record with the fields it is looked up
// by. Record is the record's JSON, stored and returned verbatim.
type AuditEvent struct {
	ID          string // eventID, a UUID; unique
	Time        time.Time
	Name        string // eventName
	Source      string // eventSource
	Username    string
	AccessKeyID string
	ReadOnly    bool
	Resources   []AuditResource
	Record      []byte
}

// AuditQuery selects events for LookupEvents: at most one attribute (empty
// Attribute: all events) within [Start, End] (zero: unbounded), newest
// first. Marker is the opaque Page.Next of the previous page; Limit ≥ 1.
type AuditQuery struct {
	Attribute AuditAttribute
	Value     string
	Start     time.Time
	End       time.Time
	Marker    string
	Limit     int
}

// AuditEvents stores audit events.
type AuditEvents interface {
	// AppendAuditEvents stores a batch of new events in one transaction
	// and returns how many it stored. It does not look for duplicates (a
	// batch is new by construction); replays check AuditEventIDsSince
	// first.
	AppendAuditEvents(ctx context.Context, events []AuditEvent) (int, error)
	// LookupAuditEvents pages the events matching q, newest first (events
	// of the same time: last stored first).
	LookupAuditEvents(ctx context.Context, q AuditQuery) (Page[AuditEvent], error)
	// AuditEventIDsSince returns the ids of the events at or after since.
	AuditEventIDsSince(ctx context.Context, since time.Time) (map[string]bool, error)
	// LatestAuditEventTime returns the time of the newest event (zero when
	// there is none).
	LatestAuditEventTime(ctx context.Context) (time.Time, error)
	// PruneAuditEvents deletes events older than before and returns how many.
	PruneAuditEvents(ctx context.Context, before time.Time) (int64, error)
}

// IssuedSession is one temporary credential in the session index.
type IssuedSession struct {
	AccessKeyID  string // ASIA…
	AccountID    string
	Issuer       string // the STS API that issued it (GetSessionToken, AssumeRole, …)
	PrincipalARN string // the session's ARN (assumed-role/…, federated-user/…, user or root)
	SourceARN    string // the ARN of the caller that asked for it ("" for unsigned calls)
	SessionName  string
	SourceIP     string
	RequestID    string
	IssuedAt     time.Time
	Expires      time.Time

	FirstUsedAt time.Time // zero until used
	LastUsedAt  time.Time
	LastUsedIP  string
	RevokedAt   time.Time // zero unless revoked
	ExpiredAt   time.Time // set when its expiry has been recorded
}

// SessionUse is one coalesced observation of a temporary credential in use.
type SessionUse struct {
	AccessKeyID string
	First       time.Time // earliest use in the batch
	Last        time.Time // latest use in the batch
	SourceIP    string    // of the latest use
}

// SessionListOptions selects sessions: by default the active ones (not
// expired at Now, not revoked), soonest expiry first.
type SessionListOptions struct {
	Now          time.Time
	PrincipalARN string // "" for all
	IncludeEnded bool   // also expired and revoked sessions
	// ExpiresBefore, when set, keeps the sessions expiring at or before it.
	ExpiresBefore time.Time
	Limit         int // 0: no limit
}

// MaxLiveSessions bounds LiveSessions.
const MaxLiveSessions = 10

// SessionIndex is the index of issued temporary credentials. Issuance and
// use are recorded in batches (group-committed), never per request.
type SessionIndex interface {
	// RecordSessions stores newly issued sessions; a session already stored
	// is kept as it is.
	RecordSessions(ctx context.Context, sessions []IssuedSession) error
	// RecordSessionUses moves each session's last use forward and sets its
	// first use when it had none. It returns the sessions whose first use
	// this call set (as stored after the update). Uses of unknown sessions
	// are ignored.
	RecordSessionUses(ctx context.Context, uses []SessionUse) ([]IssuedSession, error)
	// GetSession returns one session; ErrNotFound.
	GetSession(ctx context.Context, accessKeyID string) (IssuedSession, error)
	// ListSessions lists sessions per opt.
	ListSessions(ctx context.Context, opt SessionListOptions) ([]IssuedSession, error)
	// CountActiveSessions counts the sessions neither expired at now nor
	// revoked.
	CountActiveSessions(ctx context.Context, now time.Time) (int, error)
	// LiveSessions returns the sessions of principalARN with sessionName
	// that were neither expired at now nor revoked, excluding exceptID: the
	// MaxLiveSessions most recently issued, newest first. The bound keeps
	// issuance O(1) when a client reuses one session name for every call.
	LiveSessions(ctx context.Context, principalARN, sessionName string, now time.Time, exceptID string) ([]IssuedSession, error)
	// ClaimExpiredSessions marks at most limit sessions whose expiry is at
	// or before now and not yet recorded as expired (ExpiredAt = now), and
	// returns them: each session is returned by exactly one call, even
	// with concurrent sweepers.
	ClaimExpiredSessions(ctx context.Context, now time.Time, limit int) ([]IssuedSession, error)
	// RevokeSession marks a session revoked at at; ErrNotFound. Revoking a
	// revoked session keeps the first time.
	RevokeSession(ctx context.Context, accessKeyID string, at time.Time) (IssuedSession, error)
	// PruneSessions deletes sessions that expired before before.
	PruneSessions(ctx context.Context, before time.Time) (int64, error)
}

// KeyFirstUse is the first observed use of a long-term access key.
type KeyFirstUse struct {
	AccessKeyID string
	At          time.Time
	Service     string
	Region      string
	SourceIP    string
}

// KeyFirstUses records which long-term keys have been used at least once.
type KeyFirstUses interface {
	// RecordKeyFirstUses stores the uses of keys not seen before and
	// returns those (the others are ignored).
	RecordKeyFirstUses(ctx context.Context, uses []KeyFirstUse) ([]KeyFirstUse, error)
}

// WatchFindings keeps which watch conditions hold, so each finding is
// reported once per condition rather than on every sweep.
type WatchFindings interface {
	// SyncWatchFindings sets the findings of rule to current (subjects) in
	// one transaction and returns the subjects that were not findings
	// before (to report). Subjects no longer current are forgotten, so
	// they are reported again if the condition returns.
	SyncWatchFindings(ctx context.Context, rule string, current []string, at time.Time) ([]string, error)
}

// CredentialReportState is the generation state of a credential report.
type CredentialReportState string

// Report states (IAM's ReportStateType).
const (
	ReportStarted    CredentialReportState = "STARTED"
	ReportInProgress CredentialReportState = "INPROGRESS"
	ReportComplete   CredentialReportState = "COMPLETE"
)

// CredentialReport is the account's latest credential report.
type CredentialReport struct {
	AccountID   string
	State       CredentialReportState // "" when none was ever requested
	StartedAt   time.Time
	GeneratedAt time.Time // zero until complete
	Content     []byte    // the CSV, when complete
}

// CredentialReports stores the credential report.
type CredentialReports interface {
	// UpdateCredentialReport reads the account's report (a zero record
	// with AccountID set when none exists), calls fn and stores what fn
	// leaves, in one transaction. fn's error aborts and is returned as is.
	UpdateCredentialReport(ctx context.Context, accountID string, fn func(*CredentialReport) error) (CredentialReport, error)
	// GetCredentialReport returns the report; ErrNotFound when none exists.
	GetCredentialReport(ctx context.Context, accountID string) (CredentialReport, error)
}

// AuditStore is the union of the audit and lifecycle stores.
type AuditStore interface {
	AuditEvents
	SessionIndex
	KeyFirstUses
	WatchFindings
	CredentialReports
}
