package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

// This file implements store.AuditStore: audit events, the session index,
// key first uses, watch findings and the credential report (0040_audit).

const (
	insertAuditEvent = `INSERT INTO audit_events (event_id, event_time, event_name, event_source, username,
access_key_id, read_only, resources, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING`
	insertAuditResource = `INSERT OR IGNORE INTO audit_resources (seq, event_time, type, name) VALUES (?, ?, ?, ?)`
	auditColumns        = `e.seq, e.event_id, e.event_time, e.event_name, e.event_source, e.username, e.access_key_id,
e.read_only, e.resources, e.record`
)

// AppendAuditEvents implements store.AuditEvents: one transaction (one
// fsync) for the whole batch.
func (s *Store) AppendAuditEvents(ctx context.Context, events []store.AuditEvent) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	n := 0
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		n = 0
		ins, err := tx.PrepareContext(ctx, insertAuditEvent)
		if err != nil {
			return err
		}
		defer ins.Close()
		var insRes *sql.Stmt
		for _, e := range events {
			res := ""
			if len(e.Resources) > 0 {
				b, err := json.Marshal(e.Resources)
				if err != nil {
					return err
				}
				res = string(b)
			}
			ro := 0
			if e.ReadOnly {
				ro = 1
			}
			r, err := ins.ExecContext(ctx, e.ID, e.Time.UnixMicro(), e.Name, e.Source, e.Username, e.AccessKeyID, ro, res, e.Record)
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k == 0 {
				continue // replayed
			}
			n++
			if len(e.Resources) == 0 {
				continue
			}
			seq, err := r.LastInsertId()
			if err != nil {
				return err
			}
			if insRes == nil {
				if insRes, err = tx.PrepareContext(ctx, insertAuditResource); err != nil {
					return err
				}
				defer insRes.Close()
			}
			for _, rr := range e.Resources {
				if _, err := insRes.ExecContext(ctx, seq, e.Time.UnixMicro(), rr.Type, rr.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, wrap("append audit events", err)
}

// LookupAuditEvents implements store.AuditEvents.
func (s *Store) LookupAuditEvents(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditEvent], error) {
	var page store.Page[store.AuditEvent]
	if q.Limit < 1 {
		q.Limit = 1
	}
	var (
		where []string
		args  []any
		from  = "audit_events e"
		// tcol and scol are the columns the order and the marker use: the
		// resource table's own copy when it drives the scan.
		tcol, scol = "e.event_time", "e.seq"
	)
	switch q.Attribute {
	case "":
	case store.AuditEventID:
		where, args = append(where, "e.event_id = ?"), append(args, q.Value)
	case store.AuditEventName:
		where, args = append(where, "e.event_name = ?"), append(args, q.Value)
	case store.AuditEventSource:
		where, args = append(where, "e.event_source = ?"), append(args, q.Value)
	case store.AuditUsername:
		where, args = append(where, "e.username = ? AND e.username <> ''"), append(args, q.Value)
	case store.AuditAccessKeyID:
		where, args = append(where, "e.access_key_id = ? AND e.access_key_id <> ''"), append(args, q.Value)
	case store.AuditReadOnly:
		v := 0
		if strings.EqualFold(q.Value, "true") {
			v = 1
		}
		where, args = append(where, "e.read_only = ?"), append(args, v)
	case store.AuditResourceName, store.AuditResourceType:
		col := "r.name"
		if q.Attribute == store.AuditResourceType {
			col = "r.type"
		}
		from = "audit_resources r JOIN audit_events e ON e.seq = r.seq"
		tcol, scol = "r.event_time", "r.seq"
		where, args = append(where, col+" = ?"), append(args, q.Value)
	default:
		return page, fmt.Errorf("sqlite: lookup audit events: unknown attribute %q", q.Attribute)
	}
	if !q.Start.IsZero() {
		where, args = append(where, tcol+" >= ?"), append(args, q.Start.UnixMicro())
	}
	if !q.End.IsZero() {
		where, args = append(where, tcol+" <= ?"), append(args, q.End.UnixMicro())
	}
	if q.Marker != "" {
		t, seq, ok := parseAuditMarker(q.Marker)
		if !ok {
			return page, fmt.Errorf("sqlite: lookup audit events: bad marker: %w", store.ErrNotFound)
		}
		where = append(where, "("+tcol+" < ? OR ("+tcol+" = ? AND "+scol+" < ?))")
		args = append(args, t, t, seq)
	}
	query := "SELECT DISTINCT " + auditColumns + " FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + tcol + " DESC, " + scol + " DESC LIMIT ?"
	args = append(args, q.Limit+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return page, wrap("lookup audit events", err)
	}
	defer rows.Close()
	type keyed struct {
		seq int64
		t   int64
	}
	var keys []keyed
	for rows.Next() {
		var (
			e        store.AuditEvent
			seq, t   int64
			ro       int
			res      string
			username string
		)
		if err := rows.Scan(&seq, &e.ID, &t, &e.Name, &e.Source, &username, &e.AccessKeyID, &ro, &res, &e.Record); err != nil {
			return page, wrap("lookup audit events", err)
		}
		e.Time = time.UnixMicro(t).UTC()
		e.Username = username
		e.ReadOnly = ro == 1
		if res != "" {
			if err := json.Unmarshal([]byte(res), &e.Resources); err != nil {
				return page, fmt.Errorf("sqlite: lookup audit events: resources of %s: %w", e.ID, err)
			}
		}
		page.Items = append(page.Items, e)
		keys = append(keys, keyed{seq, t})
	}
	if err := rows.Err(); err != nil {
		return page, wrap("lookup audit events", err)
	}
	if len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		last := keys[q.Limit-1]
		page.Next = strconv.FormatInt(last.t, 10) + ":" + strconv.FormatInt(last.seq, 10)
	}
	return page, nil
}

func parseAuditMarker(m string) (t, seq int64, ok bool) {
	a, b, found := strings.Cut(m, ":")
	if !found {
		return 0, 0, false
	}
	t, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	return t, seq, err1 == nil && err2 == nil
}

// PruneAuditEvents implements store.AuditEvents.
func (s *Store) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_resources WHERE event_time < ?`, before.UnixMicro()); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE event_time < ?`, before.UnixMicro())
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		return nil
	})
	return n, wrap("prune audit events", err)
}

const sessionColumns = `access_key_id, account_id, issuer, principal_arn, source_arn, session_name, source_ip, request_id,
issued_at, expires_at, first_used_at, last_used_at, last_used_ip, revoked_at, expired_at`

const (
	insertSession = `INSERT INTO issued_sessions (access_key_id, account_id, issuer, principal_arn, source_arn,
session_name, source_ip, request_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (access_key_id) DO NOTHING`
	selectSession = `SELECT ` + sessionColumns + ` FROM issued_sessions WHERE access_key_id = ?`
)

// RecordSessions implements store.SessionIndex.
func (s *Store) RecordSessions(ctx context.Context, sessions []store.IssuedSession) error {
	if len(sessions) == 0 {
		return nil
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, insertSession)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, x := range sessions {
			if _, err := st.ExecContext(ctx, x.AccessKeyID, x.AccountID, x.Issuer, x.PrincipalARN, x.SourceARN,
				x.SessionName, x.SourceIP, x.RequestID, x.IssuedAt.UnixMicro(), x.Expires.UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("record sessions", err)
}

// RecordSessionUses implements store.SessionIndex.
func (s *Store) RecordSessionUses(ctx context.Context, uses []store.SessionUse) ([]store.IssuedSession, error) {
	if len(uses) == 0 {
		return nil, nil
	}
	var firsts []string
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		firsts = firsts[:0]
		for _, u := range uses {
			// The first-use flag: was first_used_at NULL before? Read it
			// in the same transaction (writes are serialised).
			var prev sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT first_used_at FROM issued_sessions WHERE access_key_id = ?`, u.AccessKeyID).Scan(&prev)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE issued_sessions SET
	first_used_at = coalesce(first_used_at, ?1),
	last_used_ip = CASE WHEN last_used_at IS NULL OR last_used_at < ?2 THEN ?3 ELSE last_used_ip END,
	last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ?2 THEN ?2 ELSE last_used_at END
WHERE access_key_id = ?4`, u.First.UnixMicro(), u.Last.UnixMicro(), u.SourceIP, u.AccessKeyID); err != nil {
				return err
			}
			if !prev.Valid {
				firsts = append(firsts, u.AccessKeyID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("record session uses", err)
	}
	var out []store.IssuedSession
	for _, id := range firsts {
		x, err := s.GetSession(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// GetSession implements store.SessionIndex.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (store.IssuedSession, error) {
	x, err := scanSession(s.w.QueryRowContext(ctx, selectSession, accessKeyID))
	return x, wrap("get session", err)
}

// ListSessions implements store.SessionIndex.
func (s *Store) ListSessions(ctx context.Context, opt store.SessionListOptions) ([]store.IssuedSession, error) {
	q := `SELECT ` + sessionColumns + ` FROM issued_sessions`
	var where []string
	var args []any
	if !opt.IncludeEnded {
		where = append(where, "expires_at > ? AND revoked_at IS NULL")
		args = append(args, opt.Now.UnixMicro())
	}
	if opt.PrincipalARN != "" {
		where = append(where, "principal_arn = ?")
		args = append(args, opt.PrincipalARN)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY expires_at, access_key_id"
	if opt.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(opt.Limit)
	}
	return s.querySessions(ctx, s.r, "list sessions", q, args...)
}

// LiveSessions implements store.SessionIndex.
func (s *Store) LiveSessions(ctx context.Context, principalARN, sessionName string, now time.Time, exceptID string) ([]store.IssuedSession, error) {
	return s.querySessions(ctx, s.w, "live sessions", `SELECT `+sessionColumns+` FROM issued_sessions
WHERE principal_arn = ? AND session_name = ? AND expires_at > ? AND revoked_at IS NULL AND access_key_id <> ?
ORDER BY issued_at`, principalARN, sessionName, now.UnixMicro(), exceptID)
}

// ClaimExpiredSessions implements store.SessionIndex.
func (s *Store) ClaimExpiredSessions(ctx context.Context, now time.Time, limit int) ([]store.IssuedSession, error) {
	var out []store.IssuedSession
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM issued_sessions
WHERE expired_at IS NULL AND expires_at <= ? ORDER BY expires_at, access_key_id LIMIT ?`, now.UnixMicro(), limit)
		if err != nil {
			return err
		}
		out = out[:0]
		for rows.Next() {
			x, err := scanSession(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE issued_sessions SET expired_at = ? WHERE access_key_id = ?`,
				now.UnixMicro(), out[i].AccessKeyID); err != nil {
				return err
			}
			out[i].ExpiredAt = time.UnixMicro(now.UnixMicro()).UTC()
		}
		return nil
	})
	return out, wrap("claim expired sessions", err)
}

// RevokeSession implements store.SessionIndex.
func (s *Store) RevokeSession(ctx context.Context, accessKeyID string, at time.Time) (store.IssuedSession, error) {
	var x store.IssuedSession
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE issued_sessions SET revoked_at = coalesce(revoked_at, ?) WHERE access_key_id = ?`,
			at.UnixMicro(), accessKeyID); err != nil {
			return err
		}
		var err error
		x, err = scanSession(tx.QueryRowContext(ctx, selectSession, accessKeyID))
		return err
	})
	return x, wrap("revoke session", err)
}

// PruneSessions implements store.SessionIndex.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM issued_sessions WHERE expires_at < ? AND expired_at IS NOT NULL`, before.UnixMicro())
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		return nil
	})
	return n, wrap("prune sessions", err)
}

func (s *Store) querySessions(ctx context.Context, db pageQueryer, op, q string, args ...any) ([]store.IssuedSession, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []store.IssuedSession
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, x)
	}
	return out, wrap(op, rows.Err())
}

func scanSession(r scanner) (store.IssuedSession, error) {
	var (
		x                                       store.IssuedSession
		issued, expires                         int64
		firstUsed, lastUsed, revoked, expiredAt sql.NullInt64
	)
	err := r.Scan(&x.AccessKeyID, &x.AccountID, &x.Issuer, &x.PrincipalARN, &x.SourceARN, &x.SessionName, &x.SourceIP,
		&x.RequestID, &issued, &expires, &firstUsed, &lastUsed, &x.LastUsedIP, &revoked, &expiredAt)
	if err != nil {
		return x, err
	}
	x.IssuedAt = time.UnixMicro(issued).UTC()
	x.Expires = time.UnixMicro(expires).UTC()
	x.FirstUsedAt, x.LastUsedAt = goTime(firstUsed), goTime(lastUsed)
	x.RevokedAt, x.ExpiredAt = goTime(revoked), goTime(expiredAt)
	return x, nil
}

// RecordKeyFirstUses implements store.KeyFirstUses.
func (s *Store) RecordKeyFirstUses(ctx context.Context, uses []store.KeyFirstUse) ([]store.KeyFirstUse, error) {
	if len(uses) == 0 {
		return nil, nil
	}
	var out []store.KeyFirstUse
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, u := range uses {
			r, err := tx.ExecContext(ctx, `INSERT INTO key_first_uses (access_key_id, first_used_at, service, region, source_ip)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (access_key_id) DO NOTHING`, u.AccessKeyID, u.At.UnixMicro(), u.Service, u.Region, u.SourceIP)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 1 {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, wrap("record key first uses", err)
}

// SyncWatchFindings implements store.WatchFindings.
func (s *Store) SyncWatchFindings(ctx context.Context, rule string, current []string, at time.Time) ([]string, error) {
	var added []string
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		added = added[:0]
		rows, err := tx.QueryContext(ctx, `SELECT subject FROM watch_findings WHERE rule = ?`, rule)
		if err != nil {
			return err
		}
		old := map[string]bool{}
		for rows.Next() {
			var sub string
			if err := rows.Scan(&sub); err != nil {
				rows.Close()
				return err
			}
			old[sub] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, sub := range current {
			if seen[sub] {
				continue
			}
			seen[sub] = true
			if old[sub] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO watch_findings (rule, subject, found_at) VALUES (?, ?, ?)`,
				rule, sub, at.UnixMicro()); err != nil {
				return err
			}
			added = append(added, sub)
		}
		for sub := range old {
			if !seen[sub] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM watch_findings WHERE rule = ? AND subject = ?`, rule, sub); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, wrap("sync watch findings", err)
}

const selectCredentialReport = `SELECT account_id, state, started_at, generated_at, content FROM credential_reports WHERE account_id = ?`

func scanCredentialReport(r scanner) (store.CredentialReport, error) {
	var (
		c                  store.CredentialReport
		state              string
		started, generated sql.NullInt64
	)
	err := r.Scan(&c.AccountID, &state, &started, &generated, &c.Content)
	c.State = store.CredentialReportState(state)
	c.StartedAt, c.GeneratedAt = goTime(started), goTime(generated)
	return c, err
}

// UpdateCredentialReport implements store.CredentialReports.
func (s *Store) UpdateCredentialReport(ctx context.Context, accountID string, fn func(*store.CredentialReport) error) (store.CredentialReport, error) {
	var c store.CredentialReport
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCredentialReport(tx.QueryRowContext(ctx, selectCredentialReport, accountID))
		if err == sql.ErrNoRows {
			c, err = store.CredentialReport{AccountID: accountID}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO credential_reports (account_id, state, started_at, generated_at, content)
VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id) DO UPDATE SET state = ?2, started_at = ?3, generated_at = ?4, content = ?5`,
			accountID, string(c.State), dbTime(c.StartedAt), dbTime(c.GeneratedAt), c.Content)
		return err
	})
	return c, wrap("update credential report", err)
}

// GetCredentialReport implements store.CredentialReports.
func (s *Store) GetCredentialReport(ctx context.Context, accountID string) (store.CredentialReport, error) {
	c, err := scanCredentialReport(s.r.QueryRowContext(ctx, selectCredentialReport, accountID))
	return c, wrap("get credential report", err)
}
