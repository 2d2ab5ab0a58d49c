package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/store"
)

// Cache invalidation across nodes. Every write that changes something
// nodes cache (access keys, users, keyring keys, revocations, and what
// policy sets are computed from: policies, attachments, versions, groups,
// memberships, roles) sends
//
//	SELECT pg_notify(<channel>, '<kind>:<id>')
//
// inside its own transaction, so a notification is delivered exactly when
// the change commits and never for a rolled-back one. Subscribe listens on
// a dedicated connection (not from the pool: LISTEN is per session) and
// reconnects with backoff; after a reconnect it reports ChangeResync, since
// notifications sent while it was away are lost.

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

// notify queues a change notification in tx (sent at commit).
func (s *Store) notify(ctx context.Context, tx pgx.Tx, kind store.ChangeKind, id string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, string(kind)+":"+id)
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

// parseChange decodes a notification payload; ok is false for one this
// binary does not know (sent by a newer node), which is ignored.
func parseChange(payload string) (store.Change, bool) {
	kind, id, _ := strings.Cut(payload, ":")
	switch k := store.ChangeKind(kind); k {
	case store.ChangeAccessKey, store.ChangeUser, store.ChangeKeyring, store.ChangeRevocation, store.ChangePolicy:
		return store.Change{Kind: k, ID: id}, true
	}
	return store.Change{}, false
}

// Subscribe implements store.Notifier.
func (s *Store) Subscribe(ctx context.Context, fn func(store.Change)) error {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.listenCtx, cancel) // Close ends the loop too
	conn, err := s.listen(ctx)
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer stop()
		defer cancel()
		s.listenLoop(ctx, conn, fn)
	}()
	return err
}

// listen opens a connection and LISTENs on the channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// listenLoop delivers notifications from conn (nil: not connected yet)
// until ctx ends, reconnecting with backoff.
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, fn func(store.Change)) {
	backoff := listenMinBackoff
	for {
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
			// Whatever was notified while disconnected is lost.
			fn(store.Change{Kind: store.ChangeResync})
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			conn.Close(context.Background())
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if c, ok := parseChange(n.Payload); ok {
			fn(c)
		}
	}
}
