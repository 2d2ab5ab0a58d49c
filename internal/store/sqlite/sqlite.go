// Package sqlite is Castellan's embedded store: a store.Store on
// modernc.org/sqlite (pure Go, no cgo).
//
// # Connections
//
// A file database is opened twice: a writer pool of exactly one connection
// (BEGIN IMMEDIATE, so a transaction takes the write lock before its first
// read) and a pool of read-only connections. Writers in this process queue
// for the one connection inside database/sql instead of racing for SQLite's
// lock, so concurrent writes never see SQLITE_BUSY; busy_timeout covers the
// rare other process (castellan migrate) holding the lock. In WAL mode the
// readers see the last committed state and never wait for the writer.
//
// ":memory:" is one connection for reads and writes (each in-memory
// connection would otherwise be its own empty database), which is what the
// tests need.
//
// # Durability
//
// synchronous=FULL is the default: in WAL mode NORMAL may lose the last
// transactions on power loss, and for a credential store the transactions
// that matter most are small and rare (deactivating or deleting a key,
// dropping a keyring key). A revoked key must not come back after a crash,
// so each commit pays one fsync of the WAL. WithSynchronousNormal trades that
// for throughput where the caller accepts it.
//
// # Secrets
//
// Secret access keys and keyring keys are sealed with the master-key
// secret.Box, with the row's id as additional data, before they reach SQL;
// the database never holds them in clear. The database file and its -wal and
// -shm companions are created with mode 0600, and Open narrows them to 0600
// when it finds them wider.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// MemoryPath is the path Open accepts for a private in-memory database.
const MemoryPath = ":memory:"

// Store is a store.Store backed by one SQLite database. It is safe for
// concurrent use.
type Store struct {
	w     *sql.DB // exactly one connection; every write goes through it
	r     *sql.DB // read-only pool; == w for ":memory:"
	box   *secret.Box
	reads readStmts
	// auditBuf is AppendAuditEvents' reused segment buffer; only the
	// transaction holding the one write connection touches it (audit.go).
	auditBuf []byte
	// packBuf is the compressed form of auditBuf, reused likewise.
	packBuf []byte
}

// readStmts are the hot read queries, prepared once on the read pool
// (database/sql prepares each on a connection the first time it runs
// there): parsing costs more than the indexed lookup itself.
type readStmts struct {
	getUser, getUserByID, listUsers, getAccessKey, listAccessKeys *sql.Stmt
}

// prepare prepares the read statements; the schema must be in place.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.reads.getUser, selectUserByName},
		{&s.reads.getUserByID, selectUserByID},
		{&s.reads.listUsers, listUsers},
		{&s.reads.getAccessKey, selectAccessKey},
		{&s.reads.listAccessKeys, listAccessKeys},
	} {
		stmt, err := s.r.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.stmt = stmt
	}
	return nil
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	autoMigrate bool
	readConns   int
	syncNormal  bool
}

// WithoutAutoMigrate makes Open refuse a database with pending migrations
// (returning an error wrapping ErrPendingMigrations) instead of applying
// them; apply them with Migrate (castellan migrate).
func WithoutAutoMigrate() Option { return func(o *options) { o.autoMigrate = false } }

// WithReadConns sets the size of the read pool (default GOMAXPROCS, at
// least 4 and at most 16).
// It has no effect on ":memory:", which uses one connection.
func WithReadConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.readConns = n
		}
	}
}

// WithSynchronousNormal sets synchronous=NORMAL instead of FULL: commits no
// longer wait for an fsync, and the last transactions before a power loss
// (never an application crash) may be lost. See the package documentation.
func WithSynchronousNormal() Option { return func(o *options) { o.syncNormal = true } }

// Open opens (creating if needed) the database at path, or a private
// in-memory database for MemoryPath, and applies pending migrations unless
// WithoutAutoMigrate is given. box seals and opens the secrets; it must be
// the same master key every time a given database is opened.
func Open(ctx context.Context, path string, box *secret.Box, opts ...Option) (*Store, error) {
	if box == nil {
		return nil, errors.New("sqlite: Open needs a secret.Box")
	}
	o := options{autoMigrate: true, readConns: min(max(minReadConns, runtime.GOMAXPROCS(0)), maxReadConns)}
	for _, opt := range opts {
		opt(&o)
	}
	w, r, err := openPools(ctx, path, o)
	if err != nil {
		return nil, err
	}
	s := &Store{w: w, r: r, box: box}
	if o.autoMigrate {
		_, err = migrate(ctx, w)
	} else {
		err = checkMigrated(ctx, w)
	}
	if err == nil && path != MemoryPath {
		err = fixModes(path)
	}
	if err == nil {
		err = s.prepare(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openPools opens the writer and reader pools for path.
func openPools(ctx context.Context, path string, o options) (w, r *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("sqlite: empty database path")
	}
	if path != MemoryPath {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: %w", err)
		}
		path = abs
	}
	if path == MemoryPath {
		db, err := sql.Open("sqlite", dsn(MemoryPath, o, false))
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		// One connection that never closes while the Store is open: the
		// database lives exactly as long as that connection.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		return db, db, nil
	}

	// Create the file with the right mode before SQLite does (it would use
	// 0644 &^ umask); SQLite gives -wal and -shm the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, dbFileMode)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	f.Close()
	if err := fixModes(path); err != nil {
		return nil, nil, err
	}

	w, err = sql.Open("sqlite", dsn(path, o, false))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL before any reader opens.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		w.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: journal_mode is %q, want wal (%v)", path, mode, err)
	}

	r, err = sql.Open("sqlite", dsn(path, o, true))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return w, r, nil
}

// dsn builds the modernc.org/sqlite data source name for one pool.
func dsn(path string, o options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(readCacheKiB)+")")
	} else {
		if path != MemoryPath {
			q.Add("_pragma", "journal_mode(WAL)")
		}
		if o.syncNormal {
			q.Add("_pragma", "synchronous(NORMAL)")
		} else {
			q.Add("_pragma", "synchronous(FULL)")
		}
		q.Set("_txlock", "immediate")
	}
	if path == MemoryPath {
		return MemoryPath + "?" + q.Encode()
	}
	// path is absolute (Open makes it so): "file:///abs/path?…".
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// fixModes narrows the database file and its -wal and -shm companions to
// dbFileMode when they exist with wider permissions.
func fixModes(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if fi.Mode().Perm() != dbFileMode {
			if err := os.Chmod(p, dbFileMode); err != nil {
				return fmt.Errorf("sqlite: %w", err)
			}
		}
	}
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close implements store.Store. It closes the read pool, then the writer,
// whose close checkpoints the WAL into the database file.
func (s *Store) Close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.reads.getUser, s.reads.getUserByID, s.reads.listUsers,
		s.reads.getAccessKey, s.reads.listAccessKeys} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// writeTx runs fn in one write transaction (BEGIN IMMEDIATE on the writer
// connection), committing when fn returns nil.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrap maps a database error to the store's sentinels and adds op as
// context: constraint violations on uniqueness become store.ErrConflict, a
// missing parent row (foreign key) and sql.ErrNoRows become
// store.ErrNotFound. The driver error stays in the chain.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrLimit) || errors.Is(err, store.ErrHasDependents) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if err == sql.ErrNoRows {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrNotFound, err)
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrNotFound, err)
		}
		// Extended codes keep the primary code in the low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// Times are INTEGER microseconds since the epoch, NULL for the zero time.

// dbTime converts t for a query argument.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime converts a scanned time column back, in UTC.
func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
