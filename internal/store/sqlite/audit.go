package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang/snappy"

	"github.com/castellan-sts/castellan/internal/store"
)

// This file implements store.AuditStore: audit events, the session index,
// key first uses, watch findings and the credential report (0040_audit).

// Audit events are stored in segments (0041_audit_segments,
// 0052_audit_keys): the events of one batch that share their second, name,
// source, user name, read-only flag and resources are one row, with their
// access key ids indexed in audit_keys.

// maxAuditBuf is the largest segment buffer kept for reuse.
const maxAuditBuf = 4 << 20

// maxSegmentEvents bounds a segment, so a lookup that needs one event of a
// segment decodes a bounded blob.
const maxSegmentEvents = 512

const (
	insertAuditSegment = `INSERT INTO audit_segments (t, event_name, event_source, username, read_only, n,
resources, ids, keys, records) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertAuditResource = `INSERT OR IGNORE INTO audit_resources (seg, t, type, name) VALUES (?, ?, ?, ?)`
	insertAuditKey      = `INSERT OR IGNORE INTO audit_keys (access_key_id, t, seg) VALUES (?, ?, ?)`
	segmentColumns      = `s.seg, s.t, s.event_name, s.event_source, s.username, s.access_key_id, s.read_only, s.resources, s.ids, s.keys, s.records`
)

type segmentKey struct {
	t                             int64
	name, source, user, resources string
	readOnly                      bool
}

type segment struct {
	key       segmentKey
	resources []store.AuditResource
	ids, keys []string
	hasKeys   bool
	records   [][]byte
}

// maxSegmentBytes bounds a segment's uncompressed records when reading
// (maxSegmentEvents records of at most the request limits' size).
const maxSegmentBytes = 256 << 20

// recordsSnappy marks a segment's records blob compressed with Snappy
// (block format) after this byte. A segment's records share most of their
// text, so the blob shrinks several times, and with it the commit's pages
// and WAL writes; plain blobs (before compression was added) begin with
// the '{' of their first record.
const recordsSnappy = 0x01

// packRecords compresses plain into dst's storage.
func packRecords(dst, plain []byte) []byte {
	n := snappy.MaxEncodedLen(len(plain))
	dst = slices.Grow(dst[:0], n+1)[:n+1]
	dst[0] = recordsSnappy
	return dst[:1+len(snappy.Encode(dst[1:], plain))]
}

// unpackRecords returns the '\n'-joined records of a blob.
func unpackRecords(blob []byte) ([]byte, error) {
	if len(blob) == 0 || blob[0] != recordsSnappy {
		return blob, nil
	}
	// The length comes from the blob: bound it before allocating.
	if n, err := snappy.DecodedLen(blob[1:]); err != nil || n > maxSegmentBytes {
		return nil, fmt.Errorf("records blob claims %d bytes (%v)", n, err)
	}
	return snappy.Decode(nil, blob[1:])
}

// lookupValue is one value an event is found by: kind 'n' (event name),
// 'u' (user name), 'k' (access key id), 'r' (resource name) or 't'
// (resource type).
type lookupValue struct {
	kind byte
	v    string
}

// resourceKey is a cheap identity of an event's resources, for grouping.
func resourceKey(rs []store.AuditResource) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Type)
		b.WriteByte(0)
		b.WriteString(r.Name)
		b.WriteByte(0)
	}
	return b.String()
}

// AppendAuditEvents implements store.AuditEvents: one transaction (one
// fsync) for the whole batch, one row per segment.
func (s *Store) AppendAuditEvents(ctx context.Context, events []store.AuditEvent) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	var segs []*segment
	open := map[segmentKey]*segment{}
	// latest maps each lookup value (name, user name, key, resource) to
	// the newest segment holding it. An event joins its open segment only
	// if that segment is the newest for each of its values: segments are
	// read in insertion order, so the events that one lookup returns keep
	// the order they were recorded in (a key deactivated, reactivated and
	// deactivated again within a second reads in that order), while
	// interleaved events of different kinds (each AssumeRole and its
	// SessionIssued) still group.
	latest := map[lookupValue]*segment{}
	var vals []lookupValue
	for _, e := range events {
		k := segmentKey{e.Time.UnixMicro(), e.Name, e.Source, e.Username, resourceKey(e.Resources), e.ReadOnly}
		vals = append(vals[:0], lookupValue{'n', e.Name}, lookupValue{'u', e.Username}, lookupValue{'k', e.AccessKeyID})
		for _, r := range e.Resources {
			vals = append(vals, lookupValue{'r', r.Name}, lookupValue{'t', r.Type})
		}
		g := open[k]
		if g != nil && len(g.ids) < maxSegmentEvents {
			for _, v := range vals {
				if l := latest[v]; l != nil && l != g {
					g = nil
					break
				}
			}
		} else {
			g = nil
		}
		if g == nil {
			g = &segment{key: k, resources: e.Resources}
			open[k] = g
			segs = append(segs, g)
		}
		for _, v := range vals {
			if v.v != "" { // nothing is looked up by an empty value
				latest[v] = g
			}
		}
		g.ids = append(g.ids, e.ID)
		g.keys = append(g.keys, e.AccessKeyID)
		g.hasKeys = g.hasKeys || e.AccessKeyID != ""
		g.records = append(g.records, e.Record)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var stmts [3]*sql.Stmt
		for i, q := range []string{insertAuditSegment, insertAuditResource, insertAuditKey} {
			st, err := tx.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			defer st.Close()
			stmts[i] = st
		}
		insSeg, insRes, insKey := stmts[0], stmts[1], stmts[2]
		for _, g := range segs {
			res := ""
			if len(g.resources) > 0 {
				b, err := json.Marshal(g.resources)
				if err != nil {
					return err
				}
				res = string(b)
			}
			ro := 0
			if g.key.readOnly {
				ro = 1
			}
			keys := ""
			if g.hasKeys {
				keys = strings.Join(g.keys, "\n")
			}
			// The blob is built in a buffer reused across segments and
			// batches: the driver copies it when binding, and writes are
			// serialised on the one write connection.
			plain := s.auditBuf[:0]
			for i, rec := range g.records {
				if i > 0 {
					plain = append(plain, '\n')
				}
				plain = append(plain, rec...)
			}
			blob := packRecords(s.packBuf, plain)
			if cap(plain) <= maxAuditBuf {
				s.auditBuf = plain
			}
			if cap(blob) <= maxAuditBuf {
				s.packBuf = blob
			}
			r, err := insSeg.ExecContext(ctx, g.key.t, g.key.name, g.key.source, g.key.user, ro, len(g.ids), res,
				strings.Join(g.ids, "\n"), keys, blob)
			if err != nil {
				return err
			}
			if len(g.resources) == 0 && !g.hasKeys {
				continue
			}
			seg, err := r.LastInsertId()
			if err != nil {
				return err
			}
			for _, rr := range g.resources {
				if _, err := insRes.ExecContext(ctx, seg, g.key.t, rr.Type, rr.Name); err != nil {
					return err
				}
			}
			for i, k := range g.keys {
				// A run of one key (a flood of calls with one
				// credential) costs one entry; INSERT OR IGNORE takes
				// the other repeats.
				if k == "" || i > 0 && g.keys[i-1] == k {
					continue
				}
				if _, err := insKey.ExecContext(ctx, k, g.key.t, seg); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, wrap("append audit events", err)
	}
	return len(events), nil
}

// LookupAuditEvents implements store.AuditEvents. The marker is
// "t:seg:idx": the next event to return is the idx-th of segment seg (at
// time t); events of a segment are returned last-inserted first.
func (s *Store) LookupAuditEvents(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditEvent], error) {
	var page store.Page[store.AuditEvent]
	if q.Limit < 1 {
		q.Limit = 1
	}
	var (
		where []string
		args  []any
		from  = "audit_segments s"
		// tcol and scol order the scan and carry the marker: the resource
		// table's own copies when it drives the scan.
		tcol, scol = "s.t", "s.seg"
		// idFilter and keyFilter pick the matching events of a segment.
		idFilter, keyFilter string
	)
	switch q.Attribute {
	case "":
	case store.AuditEventID:
		where, args = append(where, "instr(s.ids, ?) > 0"), append(args, q.Value)
		idFilter = q.Value
	case store.AuditEventName:
		where, args = append(where, "s.event_name = ?"), append(args, q.Value)
	case store.AuditEventSource:
		where, args = append(where, "s.event_source = ?"), append(args, q.Value)
	case store.AuditUsername:
		where, args = append(where, "s.username = ? AND s.username <> ''"), append(args, q.Value)
	case store.AuditAccessKeyID:
		from = "audit_keys k JOIN audit_segments s ON s.seg = k.seg"
		tcol, scol = "k.t", "k.seg"
		where, args = append(where, "k.access_key_id = ?"), append(args, q.Value)
		keyFilter = q.Value
	case store.AuditReadOnly:
		v := 0
		if strings.EqualFold(q.Value, "true") {
			v = 1
		}
		where, args = append(where, "s.read_only = ?"), append(args, v)
	case store.AuditResourceName, store.AuditResourceType:
		col := "r.name"
		if q.Attribute == store.AuditResourceType {
			col = "r.type"
		}
		from = "audit_resources r JOIN audit_segments s ON s.seg = r.seg"
		tcol, scol = "r.t", "r.seg"
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
	// cursor: the next event to return, as (t, seg, idx); idx -1 means
	// "from the segment's last event".
	curT, curSeg, curIdx := int64(0), int64(0), int64(-1)
	haveCursor := false
	if q.Marker != "" {
		var ok bool
		curT, curSeg, curIdx, ok = parseAuditMarker(q.Marker)
		if !ok {
			return page, fmt.Errorf("sqlite: lookup audit events: bad marker: %w", store.ErrNotFound)
		}
		haveCursor = true
	}
	const chunk = 16
	for len(page.Items) <= q.Limit {
		w, a := where, args
		if haveCursor {
			w = append(w[:len(w):len(w)], "("+tcol+" < ? OR ("+tcol+" = ? AND "+scol+" <= ?))")
			a = append(a[:len(a):len(a)], curT, curT, curSeg)
		}
		query := "SELECT " + segmentColumns + " FROM " + from
		if len(w) > 0 {
			query += " WHERE " + strings.Join(w, " AND ")
		}
		query += " ORDER BY " + tcol + " DESC, " + scol + " DESC LIMIT " + strconv.Itoa(chunk)
		segs, err := s.querySegments(ctx, query, a...)
		if err != nil {
			return page, err
		}
		for i, sg := range segs {
			if i > 0 && segs[i-1].seg == sg.seg {
				continue // a segment matched by two of its resources
			}
			start := int64(len(sg.ids)) - 1
			if haveCursor && sg.seg == curSeg && sg.t == curT && curIdx >= 0 {
				start = min(start, curIdx)
			}
			for i := start; i >= 0; i-- {
				if idFilter != "" && sg.ids[i] != idFilter || keyFilter != "" && sg.key(int(i)) != keyFilter {
					continue
				}
				if len(page.Items) == q.Limit {
					page.Next = strconv.FormatInt(sg.t, 10) + ":" + strconv.FormatInt(sg.seg, 10) + ":" + strconv.FormatInt(i, 10)
					return page, nil
				}
				page.Items = append(page.Items, store.AuditEvent{
					ID: sg.ids[i], Time: time.UnixMicro(sg.t).UTC(), Name: sg.name, Source: sg.source, Username: sg.username,
					AccessKeyID: sg.key(int(i)), ReadOnly: sg.readOnly, Resources: sg.resources, Record: sg.records[i],
				})
			}
			// Continue strictly after this segment.
			curT, curSeg, curIdx, haveCursor = sg.t, sg.seg-1, -1, true
		}
		if len(segs) < chunk {
			break
		}
	}
	return page, nil
}

type segmentRow struct {
	seg, t                            int64
	name, source, username, accessKey string
	readOnly                          bool
	resources                         []store.AuditResource
	ids, keys                         []string
	records                           [][]byte
}

// key is the access key id of the segment's i-th event.
func (sg *segmentRow) key(i int) string {
	if sg.keys == nil {
		// No event has a key, or the segment was written before
		// 0052_audit_keys with one key for all its events.
		return sg.accessKey
	}
	return sg.keys[i]
}

func (s *Store) querySegments(ctx context.Context, query string, args ...any) ([]segmentRow, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("lookup audit events", err)
	}
	defer rows.Close()
	var out []segmentRow
	for rows.Next() {
		var (
			sg             segmentRow
			ro             int
			res, ids, keys string
			recs           []byte
		)
		if err := rows.Scan(&sg.seg, &sg.t, &sg.name, &sg.source, &sg.username, &sg.accessKey, &ro, &res, &ids, &keys, &recs); err != nil {
			return nil, wrap("lookup audit events", err)
		}
		sg.readOnly = ro == 1
		if res != "" {
			if err := json.Unmarshal([]byte(res), &sg.resources); err != nil {
				return nil, fmt.Errorf("sqlite: lookup audit events: resources of segment %d: %w", sg.seg, err)
			}
		}
		sg.ids = strings.Split(ids, "\n")
		if keys != "" {
			sg.keys = strings.Split(keys, "\n")
			if len(sg.keys) != len(sg.ids) {
				return nil, fmt.Errorf("sqlite: lookup audit events: segment %d has %d ids and %d keys", sg.seg, len(sg.ids), len(sg.keys))
			}
		}
		plain, err := unpackRecords(recs)
		if err != nil {
			return nil, fmt.Errorf("sqlite: lookup audit events: records of segment %d: %w", sg.seg, err)
		}
		sg.records = bytes.Split(plain, []byte{'\n'})
		if len(sg.records) != len(sg.ids) {
			return nil, fmt.Errorf("sqlite: lookup audit events: segment %d has %d ids and %d records", sg.seg, len(sg.ids), len(sg.records))
		}
		out = append(out, sg)
	}
	return out, wrap("lookup audit events", rows.Err())
}

func parseAuditMarker(m string) (t, seg, idx int64, ok bool) {
	parts := strings.Split(m, ":")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var v [3]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	return v[0], v[1], v[2], true
}

// AuditEventIDsSince implements store.AuditEvents.
func (s *Store) AuditEventIDsSince(ctx context.Context, since time.Time) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT ids FROM audit_segments WHERE t >= ?`, since.UnixMicro())
	if err != nil {
		return nil, wrap("audit event ids", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var ids string
		if err := rows.Scan(&ids); err != nil {
			return nil, wrap("audit event ids", err)
		}
		for _, id := range strings.Split(ids, "\n") {
			out[id] = true
		}
	}
	return out, wrap("audit event ids", rows.Err())
}

// LatestAuditEventTime implements store.AuditEvents.
func (s *Store) LatestAuditEventTime(ctx context.Context) (time.Time, error) {
	var t sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(t) FROM audit_segments`).Scan(&t); err != nil {
		return time.Time{}, wrap("latest audit event", err)
	}
	return goTime(t), nil
}

// PruneAuditEvents implements store.AuditEvents.
func (s *Store) PruneAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// audit_resources and audit_keys follow by cascade.
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0) FROM audit_segments WHERE t < ?`, before.UnixMicro()).Scan(&n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_segments WHERE t < ?`, before.UnixMicro())
		return err
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
	if !opt.ExpiresBefore.IsZero() {
		where = append(where, "expires_at <= ?")
		args = append(args, opt.ExpiresBefore.UnixMicro())
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

// countActiveSessions reads the expiry index alone (0053).
const countActiveSessions = `SELECT count(*) FROM issued_sessions WHERE expires_at > ? AND revoked_at IS NULL`

// CountActiveSessions implements store.SessionIndex.
func (s *Store) CountActiveSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, countActiveSessions, now.UnixMicro()).Scan(&n)
	return n, wrap("count sessions", err)
}

// LiveSessions implements store.SessionIndex.
func (s *Store) LiveSessions(ctx context.Context, principalARN, sessionName string, now time.Time, exceptID string) ([]store.IssuedSession, error) {
	return s.querySessions(ctx, s.w, "live sessions", `SELECT `+sessionColumns+` FROM issued_sessions INDEXED BY issued_sessions_recent
WHERE principal_arn = ? AND session_name = ? AND expires_at > ? AND revoked_at IS NULL AND access_key_id <> ?
ORDER BY issued_at DESC, access_key_id DESC LIMIT ?`, principalARN, sessionName, now.UnixMicro(), exceptID, store.MaxLiveSessions)
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
