// Package monitor follows every credential through its life and watches
// for risky states: it records temporary credentials in the session index
// when issued and first used, sweeps the index for expiries, records
// long-term key lifecycle steps, runs the watch rules (expiring sessions,
// old or unused keys, root key use, users without MFA) and builds the IAM
// credential report. Every step and finding becomes an audit event; findings
// also go to the notifier and the log, once per condition.
//
// Nothing here runs on a request's hot path beyond an in-memory note: the
// index is written in batches (group-committed) by Run's loop.
package monitor

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/metrics"
	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/store"
)

// Lifecycle event names (AwsServiceEvent records).
const (
	EventSessionIssued     = "SessionIssued"
	EventSessionFirstUsed  = "SessionFirstUsed"
	EventSessionRefreshed  = "SessionRefreshed"
	EventSessionRevoked    = "SessionRevoked"
	EventSessionExpired    = "SessionExpired"
	EventKeyCreated        = "AccessKeyCreated"
	EventKeyFirstUsed      = "AccessKeyFirstUsed"
	EventKeyDeactivated    = "AccessKeyDeactivated"
	EventKeyReactivated    = "AccessKeyReactivated"
	EventKeyDeleted        = "AccessKeyDeleted"
	EventKeyRotated        = "AccessKeyRotated"
	EventKeyAutoDeactivate = "AccessKeyAutoDeactivated"
)

// Emitter writes audit events (*audit.Auditor).
type Emitter interface {
	Emit(ctx context.Context, durable bool, events ...*audit.Event) error
}

// Notifier delivers findings to people (the notification webhook).
type Notifier interface {
	Enqueue(batch []audit.Record)
}

// LifecycleStore is what the lifecycle needs from the store.
type LifecycleStore interface {
	store.SessionIndex
	store.KeyFirstUses
	store.WatchFindings
	GetUser(ctx context.Context, accountID, name string) (store.User, error)
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error)
	PruneAuditEvents(ctx context.Context, before time.Time) (int64, error)
	ListRevocations(ctx context.Context, now time.Time) ([]store.Revocation, error)
}

// Limits of the lifecycle loop.
const (
	flushInterval  = 500 * time.Millisecond
	maxPendingUses = 1 << 20
	claimBatch     = 500
	// sessionKeep is how long ended sessions stay in the index.
	sessionKeep = 7 * 24 * time.Hour
)

// LifecycleConfig configures a Lifecycle.
type LifecycleConfig struct {
	Store   LifecycleStore
	Emitter Emitter
	// Notifier receives findings; may be nil.
	Notifier Notifier
	Metrics  *metrics.Audit
	Logger   *slog.Logger
	Now      func() time.Time
	Account  string
	// SweepInterval is how often expiries are swept (default 5s).
	SweepInterval time.Duration
	// ExpiryNotice warns this long before a session expires; 0 disables.
	ExpiryNotice time.Duration
	// Retention prunes stored audit events older than this (hourly); 0 keeps them.
	Retention time.Duration
}

// Lifecycle follows credentials; it implements server.CredentialLifecycle.
type Lifecycle struct {
	st      LifecycleStore
	emit    Emitter
	notify  Notifier
	m       *metrics.Audit
	log     *slog.Logger
	now     func() time.Time
	account string
	sweep   time.Duration
	notice  time.Duration
	keep    time.Duration
	pruned  time.Time // last audit prune

	mu      sync.Mutex
	issued  []store.IssuedSession
	uses    map[string]store.SessionUse
	keyUses map[string]store.KeyFirstUse

	knownMu sync.RWMutex
	known   map[string]bool // long-term keys whose first use is recorded

	// applied holds the revocations already applied to the index (read
	// and written by Sweep only).
	applied map[revocationID]bool

	// latest remembers, per principal and session name, the newest session
	// this node recorded, so refresh detection needs no store read when a
	// client keeps reusing one session name (read only from Flush).
	latest map[string]store.IssuedSession
}

// maxLatest bounds Lifecycle.latest; past it the map is cleared and
// refresh detection falls back to the store.
const maxLatest = 100_000

// NewLifecycle returns a Lifecycle; call Run to flush and sweep.
func NewLifecycle(cfg LifecycleConfig) *Lifecycle {
	l := &Lifecycle{
		st: cfg.Store, emit: cfg.Emitter, notify: cfg.Notifier, m: cfg.Metrics, log: cfg.Logger, now: cfg.Now,
		account: cfg.Account, sweep: cfg.SweepInterval, notice: cfg.ExpiryNotice, keep: cfg.Retention,
		uses: map[string]store.SessionUse{}, keyUses: map[string]store.KeyFirstUse{}, known: map[string]bool{},
		latest: map[string]store.IssuedSession{}, applied: map[revocationID]bool{},
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.sweep <= 0 {
		l.sweep = 5 * time.Second
	}
	return l
}

// Used implements server.CredentialLifecycle: an in-memory note, written
// by the next flush.
func (l *Lifecycle) Used(p *identity.Principal, service, region, sourceIP string, at time.Time) {
	if p == nil || p.AccessKeyID == "" {
		return
	}
	id := p.AccessKeyID
	if p.Session != nil {
		l.mu.Lock()
		u, ok := l.uses[id]
		if !ok {
			if len(l.uses) >= maxPendingUses {
				l.mu.Unlock()
				return
			}
			u = store.SessionUse{AccessKeyID: id, First: at, Last: at, SourceIP: sourceIP}
		} else {
			if at.Before(u.First) {
				u.First = at
			}
			if !at.Before(u.Last) {
				u.Last, u.SourceIP = at, sourceIP
			}
		}
		l.uses[id] = u
		l.mu.Unlock()
		return
	}
	l.knownMu.RLock()
	known := l.known[id]
	l.knownMu.RUnlock()
	if known {
		return
	}
	svc, _, _ := strings.Cut(service, ".")
	l.mu.Lock()
	if u, ok := l.keyUses[id]; !ok || at.Before(u.At) {
		l.keyUses[id] = store.KeyFirstUse{AccessKeyID: id, At: at, Service: svc, Region: region, SourceIP: sourceIP}
	}
	l.mu.Unlock()
}

// serviceEvent builds a lifecycle event about one credential.
func (l *Lifecycle) serviceEvent(at time.Time, source, name, userName, accessKeyID string, details map[string]any) *audit.Event {
	if details == nil {
		details = map[string]any{}
	}
	if accessKeyID != "" {
		details["accessKeyId"] = accessKeyID
	}
	if userName != "" {
		details["userName"] = userName
	}
	l.m.LifecycleEvent(name)
	return audit.NewServiceEvent(at, source, name, l.account, details)
}

// Succeeded implements server.CredentialLifecycle.
func (l *Lifecycle) Succeeded(ctx context.Context, call *identity.Call, ev *audit.Event) []*audit.Event {
	switch {
	case ev.EventSource == "sts.amazonaws.com" && operation.IssuesCredentials(ev.EventName):
		if e := l.issuedSession(call, ev); e != nil {
			return []*audit.Event{e}
		}
	case ev.EventSource == "iam.amazonaws.com":
		return l.keyEvents(ctx, call, ev)
	}
	return nil
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

func sub(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

// issuedSession queues the index entry of a new temporary credential and
// returns its SessionIssued event.
func (l *Lifecycle) issuedSession(call *identity.Call, ev *audit.Event) *audit.Event {
	creds := sub(ev.ResponseElements, "credentials")
	akid := str(creds, "accessKeyId")
	exp, ok := creds["expiration"].(audit.Date)
	if akid == "" || !ok {
		return nil
	}
	x := store.IssuedSession{
		AccessKeyID: akid,
		AccountID:   l.account,
		Issuer:      ev.EventName,
		SourceIP:    call.SourceIP,
		RequestID:   call.RequestID,
		IssuedAt:    call.Time.UTC(),
		Expires:     exp.Time().UTC(),
	}
	if call.Caller != nil {
		x.SourceARN = call.Caller.ARN
		x.AccountID = call.Caller.AccountID
	}
	userName := ""
	switch {
	case sub(ev.ResponseElements, "assumedRoleUser") != nil:
		x.PrincipalARN = str(sub(ev.ResponseElements, "assumedRoleUser"), "arn")
		x.SessionName = str(ev.RequestParameters, "roleSessionName")
		userName = x.SessionName
	case sub(ev.ResponseElements, "federatedUser") != nil:
		x.PrincipalARN = str(sub(ev.ResponseElements, "federatedUser"), "arn")
		x.SessionName = str(ev.RequestParameters, "name")
		userName = x.SessionName
	case call.Caller != nil:
		x.PrincipalARN = call.Caller.ARN
		userName = call.Caller.UserName
		if call.Caller.IsRoot() {
			userName = "root"
		}
	}
	l.mu.Lock()
	l.issued = append(l.issued, x)
	l.mu.Unlock()
	l.m.SessionIssued(ev.EventName)
	return l.serviceEvent(call.Time, "sts.amazonaws.com", EventSessionIssued, userName, akid, map[string]any{
		"issuedBy":        ev.EventName,
		"requestID":       call.RequestID,
		"principalArn":    x.PrincipalARN,
		"sourceArn":       x.SourceARN,
		"sessionName":     x.SessionName,
		"sourceIPAddress": x.SourceIP,
		"expiration":      x.Expires.Format(time.RFC3339),
	})
}

// keyEvents returns the lifecycle events of a successful IAM call on keys.
func (l *Lifecycle) keyEvents(ctx context.Context, call *identity.Call, ev *audit.Event) []*audit.Event {
	at := call.Time
	rp := ev.RequestParameters
	switch ev.EventName {
	case "CreateAccessKey":
		k := sub(ev.ResponseElements, "accessKey")
		id, user := str(k, "accessKeyId"), str(k, "userName")
		if id == "" {
			return nil
		}
		owner := user
		if owner == "" {
			owner = "root"
		}
		out := []*audit.Event{l.serviceEvent(at, "iam.amazonaws.com", EventKeyCreated, owner, id, map[string]any{"requestID": call.RequestID})}
		if prev := l.otherActiveKeys(ctx, user, id); len(prev) > 0 {
			out = append(out, l.serviceEvent(at, "iam.amazonaws.com", EventKeyRotated, owner, id, map[string]any{
				"requestID": call.RequestID, "previousAccessKeyIds": prev,
			}))
		}
		return out
	case "UpdateAccessKey":
		id := str(rp, "accessKeyId")
		name := EventKeyDeactivated
		if str(rp, "status") == string(store.KeyActive) {
			name = EventKeyReactivated
		}
		return []*audit.Event{l.serviceEvent(at, "iam.amazonaws.com", name, ownerName(call, rp), id, map[string]any{"requestID": call.RequestID})}
	case "DeleteAccessKey":
		id := str(rp, "accessKeyId")
		return []*audit.Event{l.serviceEvent(at, "iam.amazonaws.com", EventKeyDeleted, ownerName(call, rp), id, map[string]any{"requestID": call.RequestID})}
	}
	return nil
}

func ownerName(call *identity.Call, rp map[string]any) string {
	if u := str(rp, "userName"); u != "" {
		return u
	}
	if call.Caller != nil {
		if call.Caller.IsRoot() {
			return "root"
		}
		return call.Caller.UserName
	}
	return ""
}

// otherActiveKeys lists the owner's active keys other than id.
func (l *Lifecycle) otherActiveKeys(ctx context.Context, userName, id string) []string {
	uid := ""
	if userName != "" {
		u, err := l.st.GetUser(ctx, l.account, userName)
		if err != nil {
			return nil
		}
		uid = u.ID
	}
	keys, err := l.st.ListAccessKeys(ctx, l.account, uid)
	if err != nil {
		return nil
	}
	var out []string
	for _, k := range keys {
		if k.ID != id && k.Status == store.KeyActive {
			out = append(out, k.ID)
		}
	}
	return out
}

// Revoked records that a temporary credential was revoked (for callers that
// revoke, such as `castellan sessions revoke`).
func (l *Lifecycle) Revoked(ctx context.Context, accessKeyID, by string) error {
	x, err := l.st.RevokeSession(ctx, accessKeyID, l.now())
	if err != nil {
		return err
	}
	return l.emit.Emit(ctx, true, l.serviceEvent(x.RevokedAt, "sts.amazonaws.com", EventSessionRevoked, sessionUser(x), x.AccessKeyID,
		map[string]any{"principalArn": x.PrincipalARN, "sessionName": x.SessionName, "revokedBy": by}))
}

func sessionUser(x store.IssuedSession) string {
	if x.SessionName != "" {
		return x.SessionName
	}
	if strings.HasSuffix(x.PrincipalARN, ":root") {
		return "root"
	}
	if i := strings.LastIndexByte(x.PrincipalARN, '/'); i >= 0 {
		return x.PrincipalARN[i+1:]
	}
	return ""
}

// Run flushes pending issuances and uses and sweeps expiries until ctx
// ends; then it flushes once more.
func (l *Lifecycle) Run(ctx context.Context) {
	flush := time.NewTicker(flushInterval)
	defer flush.Stop()
	sweep := time.NewTicker(l.sweep)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			l.Flush(fctx)
			cancel()
			return
		case <-flush.C:
			l.Flush(ctx)
		case <-sweep.C:
			l.Flush(ctx)
			l.Sweep(ctx)
		}
	}
}

// previous returns the live sessions issued before x for the same principal
// and session name: from this node's memory when it has seen that name,
// else from the store's index. It records x as the newest.
func (l *Lifecycle) previous(ctx context.Context, x store.IssuedSession) ([]store.IssuedSession, error) {
	key := x.PrincipalARN + "\x00" + x.SessionName
	last, ok := l.latest[key]
	if len(l.latest) >= maxLatest {
		clear(l.latest)
	}
	if !ok || x.IssuedAt.Before(last.IssuedAt) {
		l.latest[key] = x
		return l.st.LiveSessions(ctx, x.PrincipalARN, x.SessionName, x.IssuedAt, x.AccessKeyID)
	}
	l.latest[key] = x
	if last.AccessKeyID == x.AccessKeyID || !last.Expires.After(x.IssuedAt) {
		return nil, nil
	}
	return []store.IssuedSession{last}, nil
}

// Flush writes pending issuances, session uses and key first uses, and
// emits the lifecycle events they reveal.
func (l *Lifecycle) Flush(ctx context.Context) {
	l.mu.Lock()
	issued, uses, keyUses := l.issued, l.uses, l.keyUses
	l.issued, l.uses, l.keyUses = nil, map[string]store.SessionUse{}, map[string]store.KeyFirstUse{}
	l.mu.Unlock()
	var evs []*audit.Event
	if len(issued) > 0 {
		// Concurrent requests queue their issuances a little out of
		// order; in issue order, refresh detection finds each one's
		// predecessor in memory instead of asking the store.
		slices.SortFunc(issued, func(a, b store.IssuedSession) int {
			return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), strings.Compare(a.AccessKeyID, b.AccessKeyID))
		})
		if err := l.st.RecordSessions(ctx, issued); err != nil {
			l.log.Error("recording issued sessions", "sessions", len(issued), "err", err)
			l.requeue(issued, nil, nil)
			return
		}
		for _, x := range issued {
			prev, err := l.previous(ctx, x)
			if err != nil || len(prev) == 0 {
				continue
			}
			var ids []string
			for _, p := range prev {
				if p.IssuedAt.Before(x.IssuedAt) || p.IssuedAt.Equal(x.IssuedAt) && p.AccessKeyID < x.AccessKeyID {
					ids = append(ids, p.AccessKeyID)
				}
			}
			if len(ids) > 0 {
				evs = append(evs, l.serviceEvent(x.IssuedAt, "sts.amazonaws.com", EventSessionRefreshed, sessionUser(x), x.AccessKeyID,
					map[string]any{"principalArn": x.PrincipalARN, "sessionName": x.SessionName, "previousAccessKeyIds": ids}))
			}
		}
	}
	if len(uses) > 0 {
		batch := make([]store.SessionUse, 0, len(uses))
		for _, u := range uses {
			batch = append(batch, u)
		}
		firsts, err := l.st.RecordSessionUses(ctx, batch)
		if err != nil {
			l.log.Error("recording session uses", "err", err)
			l.requeue(nil, uses, nil)
		}
		for _, x := range firsts {
			evs = append(evs, l.serviceEvent(x.FirstUsedAt, "sts.amazonaws.com", EventSessionFirstUsed, sessionUser(x), x.AccessKeyID,
				map[string]any{"principalArn": x.PrincipalARN, "sessionName": x.SessionName, "sourceIPAddress": x.LastUsedIP}))
		}
	}
	if len(keyUses) > 0 {
		batch := make([]store.KeyFirstUse, 0, len(keyUses))
		for _, u := range keyUses {
			batch = append(batch, u)
		}
		firsts, err := l.st.RecordKeyFirstUses(ctx, batch)
		if err != nil {
			l.log.Error("recording key first uses", "err", err)
			l.requeue(nil, nil, keyUses)
		} else {
			l.knownMu.Lock()
			for _, u := range batch {
				l.known[u.AccessKeyID] = true
			}
			l.knownMu.Unlock()
		}
		for _, u := range firsts {
			evs = append(evs, l.serviceEvent(u.At, "iam.amazonaws.com", EventKeyFirstUsed, "", u.AccessKeyID,
				map[string]any{"serviceName": u.Service, "region": u.Region, "sourceIPAddress": u.SourceIP}))
		}
	}
	if len(evs) > 0 {
		if err := l.emit.Emit(ctx, false, evs...); err != nil && !errors.Is(err, context.Canceled) {
			l.log.Error("emitting lifecycle events", "err", err)
		}
	}
}

func (l *Lifecycle) requeue(issued []store.IssuedSession, uses map[string]store.SessionUse, keyUses map[string]store.KeyFirstUse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.issued = append(issued, l.issued...)
	for k, u := range uses {
		if cur, ok := l.uses[k]; ok {
			if cur.First.Before(u.First) {
				u.First = cur.First
			}
			if cur.Last.After(u.Last) {
				u.Last, u.SourceIP = cur.Last, cur.SourceIP
			}
		}
		l.uses[k] = u
	}
	for k, u := range keyUses {
		if cur, ok := l.keyUses[k]; !ok || u.At.Before(cur.At) {
			l.keyUses[k] = u
		}
	}
}

// Sweep records the expiry of lapsed sessions, warns of sessions about to
// expire (once each) and updates the active-session gauge.
func (l *Lifecycle) Sweep(ctx context.Context) {
	now := l.now()
	for {
		exp, err := l.st.ClaimExpiredSessions(ctx, now, claimBatch)
		if err != nil {
			l.log.Error("sweeping expired sessions", "err", err)
			return
		}
		if len(exp) == 0 {
			break
		}
		evs := make([]*audit.Event, 0, len(exp))
		for _, x := range exp {
			evs = append(evs, l.serviceEvent(x.Expires, "sts.amazonaws.com", EventSessionExpired, sessionUser(x), x.AccessKeyID, map[string]any{
				"principalArn": x.PrincipalARN, "sessionName": x.SessionName, "issuedBy": x.Issuer,
				"expiration": x.Expires.Format(time.RFC3339), "used": !x.FirstUsedAt.IsZero(), "revoked": !x.RevokedAt.IsZero(),
			}))
		}
		if err := l.emit.Emit(ctx, true, evs...); err != nil {
			l.log.Error("emitting session expiries", "err", err)
		}
		if len(exp) < claimBatch {
			break
		}
	}
	// Nothing here reads every active session: a busy issuer has many, and
	// the sweep runs every few seconds.
	l.sweepRevoked(ctx, now)
	if n, err := l.st.CountActiveSessions(ctx, now); err != nil {
		l.log.Error("counting sessions", "err", err)
	} else {
		l.m.SetActiveSessions(n)
	}
	if l.notice > 0 {
		l.noticeExpiring(ctx, now)
	}
	if _, err := l.st.PruneSessions(ctx, now.Add(-sessionKeep)); err != nil {
		l.log.Warn("pruning sessions", "err", err)
	}
	if l.keep > 0 && now.Sub(l.pruned) >= time.Hour {
		l.pruned = now
		if n, err := l.st.PruneAuditEvents(ctx, now.Add(-l.keep)); err != nil {
			l.log.Warn("pruning audit events", "err", err)
		} else if n > 0 {
			l.log.Info("pruned audit events past the retention", "events", n)
		}
	}
}

// noticeExpiring reports, once each, the sessions that expire within the
// notice. On a failed read it reports nothing: syncing the findings with an
// empty list would forget the notices already sent and send them again.
func (l *Lifecycle) noticeExpiring(ctx context.Context, now time.Time) {
	expiring, err := l.st.ListSessions(ctx, store.SessionListOptions{Now: now, ExpiresBefore: now.Add(l.notice)})
	if err != nil {
		l.log.Error("listing expiring sessions", "err", err)
		return
	}
	soon := make([]string, 0, len(expiring))
	byID := make(map[string]store.IssuedSession, len(expiring))
	for _, x := range expiring {
		soon = append(soon, x.AccessKeyID)
		byID[x.AccessKeyID] = x
	}
	added, err := l.st.SyncWatchFindings(ctx, RuleSessionExpiring, soon, now)
	if err != nil {
		l.log.Error("syncing expiry notices", "err", err)
	}
	var evs []*audit.Event
	for _, id := range added {
		x := byID[id]
		evs = append(evs, l.finding(now, RuleSessionExpiring, "sts.amazonaws.com", sessionUser(x), id, map[string]any{
			"principalArn": x.PrincipalARN, "sessionName": x.SessionName,
			"expiration": x.Expires.Format(time.RFC3339), "expiresInSeconds": int64(x.Expires.Sub(now).Seconds()),
		}))
	}
	l.report(ctx, evs)
}

// revocationSettle is how long after a revocation a sweep must start for
// every session it covers to be in the index: they were issued before it,
// and nodes record issuances within a flushInterval.
const revocationSettle = 20 * flushInterval

// sweepRevoked records, once each, the revocations (castellan sessions
// revoke, shared through the store's deny set) that cover active sessions.
// A revocation covers only sessions issued before it, so once a sweep that
// began revocationSettle after it has applied it, it is remembered as done
// and the active sessions are read only while some revocation is new.
func (l *Lifecycle) sweepRevoked(ctx context.Context, now time.Time) {
	revs, err := l.st.ListRevocations(ctx, now)
	if err != nil {
		l.log.Error("listing revocations", "err", err)
		return
	}
	var fresh []store.Revocation
	live := make(map[revocationID]bool, len(revs))
	for _, r := range revs {
		id := revocationID{r.Kind, r.Subject, r.CreatedAt.UnixNano()}
		live[id] = true
		if !l.applied[id] {
			fresh = append(fresh, r)
		}
	}
	for id := range l.applied {
		if !live[id] {
			delete(l.applied, id) // expired or replaced
		}
	}
	if len(fresh) == 0 {
		return
	}
	active, err := l.st.ListSessions(ctx, store.SessionListOptions{Now: now})
	if err != nil {
		l.log.Error("listing sessions", "err", err)
		return
	}
	var evs []*audit.Event
	failed := false
	for _, x := range active {
		r, ok := revokedBy(fresh, x)
		if !ok {
			continue
		}
		if _, err := l.st.RevokeSession(ctx, x.AccessKeyID, r.CreatedAt); err != nil {
			l.log.Error("recording a revoked session", "err", err)
			failed = true
			continue
		}
		evs = append(evs, l.serviceEvent(r.CreatedAt, "sts.amazonaws.com", EventSessionRevoked, sessionUser(x), x.AccessKeyID,
			map[string]any{"principalArn": x.PrincipalARN, "sessionName": x.SessionName, "revocation": string(r.Kind), "revokedSubject": r.Subject}))
	}
	if len(evs) > 0 {
		if err := l.emit.Emit(ctx, true, evs...); err != nil {
			l.log.Error("emitting revocations", "err", err)
		}
	}
	if failed {
		return
	}
	for _, r := range fresh {
		if now.Sub(r.CreatedAt) >= revocationSettle {
			l.applied[revocationID{r.Kind, r.Subject, r.CreatedAt.UnixNano()}] = true
		}
	}
}

// revocationID identifies a revocation (PutRevocation replaces by kind and
// subject; a replacement has a new creation time).
type revocationID struct {
	kind    store.RevocationKind
	subject string
	created int64
}

// revokedBy finds a revocation covering session x: its key id, or its
// principal (a user's ARN, or the role of an assumed-role session) for
// sessions issued before the revocation.
func revokedBy(revs []store.Revocation, x store.IssuedSession) (store.Revocation, bool) {
	for _, r := range revs {
		switch r.Kind {
		case store.RevokeKey:
			if r.Subject == x.AccessKeyID {
				return r, true
			}
		case store.RevokePrincipal:
			if !x.IssuedAt.Before(r.Before) {
				continue
			}
			if r.Subject == x.PrincipalARN || r.Subject == x.SourceARN && x.SessionName == "" || roleOfSession(x.PrincipalARN) != "" && roleOfSession(x.PrincipalARN) == roleName(r.Subject) && accountOfARN(r.Subject) == accountOfARN(x.PrincipalARN) {
				return r, true
			}
		}
	}
	return store.Revocation{}, false
}

// roleOfSession returns ROLE of arn:aws:sts::ACCT:assumed-role/ROLE/SESSION.
func roleOfSession(arn string) string {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return ""
	}
	role, _, _ := strings.Cut(rest, "/")
	return role
}

// roleName returns NAME of arn:aws:iam::ACCT:role/path/NAME.
func roleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		return rest[i+1:]
	}
	return rest
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// finding builds a watch finding event and logs it.
func (l *Lifecycle) finding(at time.Time, rule, source, userName, accessKeyID string, details map[string]any) *audit.Event {
	if details == nil {
		details = map[string]any{}
	}
	details["rule"] = rule
	l.m.Finding(rule)
	attrs := []any{"rule", rule}
	if userName != "" {
		attrs = append(attrs, "user", userName)
	}
	if accessKeyID != "" {
		attrs = append(attrs, "access_key_id", maskKey(accessKeyID))
	}
	l.log.Warn("watch finding", attrs...)
	return l.serviceEvent(at, source, "Watch"+rule, userName, accessKeyID, details)
}

// report writes findings durably and hands them to the notifier.
func (l *Lifecycle) report(ctx context.Context, evs []*audit.Event) {
	if len(evs) == 0 {
		return
	}
	if err := l.emit.Emit(ctx, true, evs...); err != nil {
		l.log.Error("emitting findings", "err", err)
	}
	if l.notify == nil {
		return
	}
	recs := make([]audit.Record, 0, len(evs))
	for _, e := range evs {
		b, err := e.Marshal()
		if err == nil {
			recs = append(recs, audit.Record{Event: e, JSON: b})
		}
	}
	l.notify.Enqueue(recs)
}

// maskKey shows an access key id's first four and last four characters.
func maskKey(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}
