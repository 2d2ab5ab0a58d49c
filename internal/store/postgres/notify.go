package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/castellan-sts/castellan/internal/store"
)

// Cache invalidation across nodes: an outbox. Every write that changes
// something nodes cache (access keys, users, keyring keys, revocations, and
// what policy sets are computed from: policies, attachments, versions,
// groups, memberships, roles) inserts a row (id, kind, key) into changes
// inside its own transaction and NOTIFYs the channel, so the row exists
// exactly when the change commits and never for a rolled-back one. The
// notification only wakes the listeners: each reads every row after the
// last id it applied, on a dedicated connection (LISTEN is per session),
// and also every pollInterval. A listener that lost its connection
// reconnects with backoff and replays from its last id exactly what it
// missed, instead of dropping every cache. Ids are taken at insert and
// transactions commit in any order, so an id below one already read may
// still appear: ids skipped over are watched for gapWait (as kine and
// SPIRE do) before they are given up. Writes that nodes do not cache (audit
// events, last-used times, the session index) never notify.

// channelName returns the NOTIFY channel of a schema's changes: one per
// schema, so deployments (and tests) sharing a database stay apart.
func channelName(schema string) string {
	ch := "castellan_changes"
	if schema == "public" {
		return ch
	}
	ch += "." + schema
	if len(ch) > maxChannelLen {
		sum := sha256.Sum256([]byte(schema))
		ch = "castellan_changes." + hex.EncodeToString(sum[:12])
	}
	return ch
}

// notify records a change in tx's outbox row and queues the wake-up (both
// take effect at commit), in one round trip.
func (s *Store) notify(ctx context.Context, tx pgx.Tx, kind store.ChangeKind, id string) error {
	_, err := tx.Exec(ctx, `WITH c AS (INSERT INTO changes (kind, key) VALUES ($2, $3) RETURNING id) SELECT pg_notify($1, id::text) FROM c`,
		s.channel, string(kind), id)
	return err
}

// notifyTx runs fn in a transaction and queues the change notification in
// the same transaction.
func (s *Store) notifyTx(ctx context.Context, kind store.ChangeKind, id string, fn func(tx pgx.Tx) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.notify(ctx, tx, kind, id)
	})
}

// knownKind reports whether this binary knows a change kind (a newer
// node's are ignored).
func knownKind(k store.ChangeKind) bool {
	switch k {
	case store.ChangeAccessKey, store.ChangeUser, store.ChangeKeyring, store.ChangeRevocation, store.ChangePolicy:
		return true
	}
	return false
}

// Subscribe implements store.Notifier.
func (s *Store) Subscribe(ctx context.Context, fn func(store.Change)) error {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.listenCtx, cancel) // Close ends the loop too
	conn, err := s.listen(ctx)
	r := &outboxReader{}
	if err == nil {
		err = r.start(ctx, conn)
		if err != nil {
			conn.Close(context.Background())
			conn = nil
		}
	}
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer stop()
		defer cancel()
		s.listenLoop(ctx, conn, r, fn)
	}()
	return err
}

// listen opens a connection and LISTENs on the channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName(s.channel)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// listenerName is the application_name of a channel's listener
// connections (pg_stat_activity shows them; PostgreSQL keeps 63 bytes).
func listenerName(channel string) string {
	n := "castellan-listener:" + channel
	if len(n) > maxChannelLen {
		n = n[:maxChannelLen]
	}
	return n
}

// outboxReader is a listener's position in the outbox.
type outboxReader struct {
	started bool
	low     int64               // every id up to low is applied or given up
	max     int64               // the highest id applied
	seen    map[int64]bool      // ids above low already applied
	gaps    map[int64]time.Time // ids above low not seen yet, since when
	lastOK  time.Time           // the last successful read
}

// start positions r at the changes of the last gapWait (delivered again:
// invalidating twice is harmless, missing one that committed late is not).
func (r *outboxReader) start(ctx context.Context, conn *pgx.Conn) error {
	var low int64
	err := conn.QueryRow(ctx, `SELECT coalesce(
		(SELECT min(id) - 1 FROM changes WHERE committed_at > clock_timestamp() - make_interval(secs => $1)),
		(SELECT max(id) FROM changes), 0)`, gapWait.Seconds()).Scan(&low)
	if err != nil {
		return err
	}
	*r = outboxReader{started: true, low: low, max: low, seen: map[int64]bool{}, gaps: map[int64]time.Time{}, lastOK: time.Now()}
	return nil
}

// read applies the rows after r's position, in id order, and moves it on.
func (r *outboxReader) read(ctx context.Context, conn *pgx.Conn, fn func(store.Change)) error {
	rows, err := conn.Query(ctx, `SELECT id, kind, key, committed_at FROM changes WHERE id > $1 ORDER BY id LIMIT $2`, r.low, outboxBatch)
	if err != nil {
		return err
	}
	type row struct {
		id   int64
		kind string
		key  string
		at   time.Time
	}
	var got []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.kind, &x.key, &x.at); err != nil {
			rows.Close()
			return err
		}
		got = append(got, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := time.Now()
	r.lastOK = now
	for _, x := range got {
		if r.seen[x.id] {
			continue
		}
		r.seen[x.id] = true
		delete(r.gaps, x.id)
		r.max = max(r.max, x.id)
		if k := store.ChangeKind(x.kind); knownKind(k) {
			fn(store.Change{Kind: k, ID: x.key, At: x.at})
		}
	}
	for id := r.low + 1; id < r.max; id++ {
		if _, ok := r.gaps[id]; !ok && !r.seen[id] {
			r.gaps[id] = now
		}
	}
	for {
		next := r.low + 1
		if r.seen[next] {
			delete(r.seen, next)
			r.low = next
			continue
		}
		if t, ok := r.gaps[next]; ok && now.Sub(t) >= gapWait {
			// Rolled back (ids are not reused), or later than anyone waits.
			delete(r.gaps, next)
			r.low = next
			continue
		}
		break
	}
	if len(got) == outboxBatch {
		return r.read(ctx, conn, fn)
	}
	return nil
}

// listenLoop applies the outbox from conn (nil: not connected yet) until
// ctx ends: after each notification and every pollInterval, reconnecting
// with backoff.
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, r *outboxReader, fn func(store.Change)) {
	backoff := listenMinBackoff
	var pruned time.Time
	for {
		if time.Since(pruned) > changeRetention/10 {
			// Every node prunes; the deletes are idempotent.
			pruned = time.Now()
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = s.pruneChanges(pctx)
			cancel()
		}
		if conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			var err error
			if conn, err = s.listen(ctx); err != nil {
				backoff = min(2*backoff, listenMaxBackoff)
				continue
			}
			backoff = listenMinBackoff
			if !r.started || time.Since(r.lastOK) > changeRetention/2 {
				// Away too long for the outbox to hold what was missed.
				if err := r.start(ctx, conn); err != nil {
					conn.Close(context.Background())
					conn = nil
					continue
				}
				fn(store.Change{Kind: store.ChangeResync})
			}
		}
		if err := r.read(ctx, conn, fn); err != nil {
			conn.Close(context.Background())
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, pollInterval)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() != nil {
			conn.Close(context.Background())
			return
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// pruneChanges deletes outbox rows older than changeRetention.
func (s *Store) pruneChanges(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM changes WHERE committed_at < clock_timestamp() - make_interval(secs => $1)`, changeRetention.Seconds())
	return err
}
