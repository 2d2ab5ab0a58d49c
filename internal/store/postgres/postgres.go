// Package postgres is Castellan's multi-node store: a store.Store on
// PostgreSQL through pgx/v5 (pgxpool). Several `castellan serve` nodes share
// one database and nothing else; each node's caches are invalidated by
// notifications (LISTEN/NOTIFY, see notify.go).
//
// # Semantics
//
// The store behaves exactly like the SQLite reference backend and passes
// the same conformance suite (storetest). Where SQLite serialises every
// write on one connection, this backend runs READ COMMITTED transactions
// that first lock the row that owns a quota or a check (the user for its
// access keys, groups and MFA devices; the policy for its versions; the
// account for root keys and OIDC providers) with SELECT … FOR UPDATE, so
// "count, then insert" and "check dependents, then delete" are atomic
// across nodes. The keyring's "one primary" swap takes a transaction-level
// advisory lock. Deadlocks and serialisation failures are retried.
//
// # Schema
//
// Migrations are plain PostgreSQL files under migrations/, numbered like
// the SQLite ones (same versions, same meaning), embedded, and applied by
// Open under a session advisory lock, so nodes starting together apply each
// step once. The store lives in the connection's current schema (the
// search_path, or WithSchema), so several deployments — or tests — can share
// one database.
//
// # Secrets
//
// Secret access keys, MFA seeds and keyring keys are sealed with the
// master-key secret.Box (additional data = the row's id) before they reach
// SQL, as in the SQLite store: every node must use the same master key.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// Store is a store.Store backed by a PostgreSQL database. It is safe for
// concurrent use, and several Stores (nodes) may share one database.
type Store struct {
	pool    *pgxpool.Pool
	read    readPool // pool, for reads (retried on a lost connection)
	box     *secret.Box
	schema  string // the current schema the tables live in
	channel string // the NOTIFY channel of this schema's changes

	// listeners are the Subscribe loops; Close stops and waits for them.
	listenCtx  context.Context
	stopListen context.CancelFunc
	listeners  sync.WaitGroup
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// Option configures Open.
type Option func(*options)

type options struct {
	autoMigrate bool
	schema      string
	maxConns    int32
}

// WithoutAutoMigrate makes Open refuse a database with pending migrations
// (an error wrapping ErrPendingMigrations) instead of applying them.
func WithoutAutoMigrate() Option { return func(o *options) { o.autoMigrate = false } }

// WithSchema keeps the store's tables in schema (created when missing)
// instead of the connection's default search_path.
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithMaxConns sets the pool size (default: pgxpool's, max(4, NumCPU)).
func WithMaxConns(n int32) Option {
	return func(o *options) {
		if n > 0 {
			o.maxConns = n
		}
	}
}

// Open connects to the database at url (postgres://user:pass@host/db?…,
// any libpq-style parameter pgx accepts, including search_path), applies
// pending migrations unless WithoutAutoMigrate is given, and returns the
// store. box seals and opens the secrets; every node sharing the database
// must use the same master key.
func Open(ctx context.Context, url string, box *secret.Box, opts ...Option) (*Store, error) {
	if box == nil {
		return nil, errors.New("postgres: Open needs a secret.Box")
	}
	o := options{autoMigrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error may quote the URL, password included: keep it out.
		return nil, errors.New("postgres: cannot parse the store URL (want postgres://user:password@host:port/database?param=value; the URL is not shown, it may hold a password)")
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		// Operators find the nodes' sessions in pg_stat_activity by it.
		cfg.ConnConfig.RuntimeParams["application_name"] = "castellan"
	}
	if o.schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig, o.schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, read: readPool{pool}, box: box}
	s.listenCtx, s.stopListen = context.WithCancel(context.Background())
	if err := s.init(ctx, o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, o options) error {
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s.schema); err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	if s.schema == "" {
		return errors.New("postgres: the search_path names no existing schema")
	}
	s.channel = channelName(s.schema)
	if o.autoMigrate {
		_, err := migrate(ctx, s.pool)
		return err
	}
	return checkMigrated(ctx, s.pool)
}

// createSchema creates schema on a short-lived connection.
func createSchema(ctx context.Context, cc *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		var pe *pgconn.PgError
		// Two nodes creating it at once: one wins, the other sees 23505.
		if !errors.As(err, &pe) || pe.Code != "23505" {
			return fmt.Errorf("postgres: create schema %q: %w", schema, err)
		}
	}
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close implements store.Store: it stops the Subscribe loops and closes
// the pool.
func (s *Store) Close() error {
	s.stopListen()
	s.listeners.Wait()
	s.pool.Close()
	return nil
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tx runs fn in one READ COMMITTED transaction, committing when fn returns
// nil. It is rerun, up to maxTxAttempts times in all, when BEGIN fails on a
// dead pooled connection (after a database restart or failover: nothing was
// done yet) and when fn or the commit fails with a deadlock or
// serialisation failure (possible between nodes locking rows in different
// orders; the transaction was rolled back).
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		again := attempt < maxTxAttempts && ctx.Err() == nil
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			if again && connLost(err) {
				s.pool.Reset() // its other idle connections are likely dead too
				continue
			}
			return err
		}
		if err = fn(tx); err == nil {
			err = tx.Commit(ctx)
		} else {
			tx.Rollback(ctx)
		}
		if again && retryable(err) {
			continue
		}
		return err
	}
}

// exec runs one writing statement in its own transaction (so a dead pooled
// connection is retried at BEGIN, never after the statement may have run).
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// connLost reports whether err means the connection was gone (the server
// terminated it, or the network did) rather than a statement failing.
func connLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01-03: admin shutdown, crash shutdown, cannot connect now;
		// class 08: connection exception.
		return strings.HasPrefix(pe.Code, "57P0") || strings.HasPrefix(pe.Code, "08")
	}
	var ne net.Error
	return pgconn.SafeToRetry(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// readPool runs read-only statements on the pool. Reads are idempotent, so
// one that fails because its pooled connection turned out dead is run again
// (up to maxReadAttempts in all) after the pool drops its idle connections,
// which died with it: after a database restart or failover the callers do
// not see the pool's stale connections.
type readPool struct{ pool *pgxpool.Pool }

func (r readPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.pool.Exec(ctx, sql, args...)
}

func (r readPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return r.pool.Query(ctx, sql, args...)
}

func (r readPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{r.pool, ctx, sql, args}
}

type retryRow struct {
	pool *pgxpool.Pool
	ctx  context.Context
	sql  string
	args []any
}

func (r retryRow) Scan(dest ...any) error {
	for attempt := 1; ; attempt++ {
		err := r.pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
		if attempt >= maxReadAttempts || r.ctx.Err() != nil || !connLost(err) {
			return err
		}
		r.pool.Reset()
	}
}

// wrap maps a database error to the store's sentinels and adds op as
// context: unique violations become store.ErrConflict, foreign key
// violations and pgx.ErrNoRows store.ErrNotFound, a server that cannot take
// the work now (unavailableSQLState, a failed connect) store.ErrUnavailable.
// The driver error stays in the chain.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrLimit) || errors.Is(err, store.ErrHasDependents) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrNotFound, err)
		}
		if unavailableSQLState(pe.Code) {
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailableSQLState reports whether a SQLSTATE says the server cannot
// take the work now rather than that the work is wrong: class 53
// (insufficient resources: disk full, out of memory, too many connections),
// class 08 (connection exceptions) and the shutdown states 57P01–57P03.
// Nothing was committed, and the same call may succeed later, so the edge
// answers 503, which clients retry, as for a full SQLite disk.
func unavailableSQLState(code string) bool {
	switch {
	case strings.HasPrefix(code, "53"), strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	}
	return false
}

// errNoRows stands for "the update or delete matched nothing".
var errNoRows = pgx.ErrNoRows

// affectedOne turns an update or delete that matched no row into
// pgx.ErrNoRows.
func affectedOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errNoRows
	}
	return nil
}

// Times are BIGINT microseconds since the epoch, NULL for the zero time.

// dbTime converts t for a query argument.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime converts a scanned nullable time column back, in UTC.
func goTime(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMicro(*v).UTC()
}

// micro converts a NOT NULL time column back, in UTC.
func micro(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullString maps "" to NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row of a query with scan; on a readPool it retries
// a query whose connection was lost.
func collect[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	for attempt := 1; ; attempt++ {
		out, err := collectOnce(ctx, q, scan, query, args...)
		rp, read := q.(readPool)
		if !read || attempt >= maxReadAttempts || ctx.Err() != nil || !connLost(err) {
			return out, err
		}
		rp.pool.Reset()
	}
}

func collectOnce[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// queryPage runs a listing query that asks for limit+1 rows and cuts the
// page, setting Next to the key of its last item when more rows exist.
func queryPage[T any](ctx context.Context, q querier, limit int, scan func(scanner) (T, error), key func(T) string, query string, args ...any) (store.Page[T], error) {
	if limit < 1 {
		return store.Page[T]{}, fmt.Errorf("limit %d, want at least 1", limit)
	}
	items, err := collect(ctx, q, scan, query, args...)
	if err != nil {
		return store.Page[T]{}, err
	}
	page := store.Page[T]{Items: items}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = key(page.Items[limit-1])
	}
	return page, nil
}

// checkNone returns a *store.DependentsError when query (with arg) counts
// any rows.
func checkNone(ctx context.Context, tx pgx.Tx, dep store.Dependent, query string, arg any) error {
	var n int
	if err := tx.QueryRow(ctx, query, arg).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &store.DependentsError{Dependent: dep, Count: n}
	}
	return nil
}
