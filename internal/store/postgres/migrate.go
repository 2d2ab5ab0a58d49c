package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/castellan-sts/castellan/internal/store/migration"
)

// migrationFiles holds the schema steps, NNNN_name.up.sql, applied in
// version order. They mirror internal/store/sqlite/migrations one for one
// (same versions, names and meaning; TestMigrationsInStep checks it). A
// released file is never edited; a change is a new file in both backends.
//
//go:embed migrations/*.up.sql
var migrationFiles embed.FS

// ErrPendingMigrations is returned (wrapped) by Open with
// WithoutAutoMigrate when the database lacks some of the binary's
// migrations.
var ErrPendingMigrations = errors.New("postgres: database has pending migrations; run castellan migrate")

// Migration is one embedded schema step.
type Migration = migration.Migration

// Migrations returns the embedded migrations in the order they apply.
func Migrations() []Migration {
	ms, err := loadMigrations()
	if err != nil {
		panic(err) // compiled in; TestMigrationsInStep catches a bad name
	}
	return ms
}

func loadMigrations() ([]Migration, error) {
	return migration.Load(migrationFiles, "migrations", "postgres")
}

const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL
)`
	// The lock key is per schema, so deployments sharing a database do not
	// wait for each other.
	lockMigrations   = `SELECT pg_advisory_lock(hashtext('castellan.migrate:' || current_schema()))`
	unlockMigrations = `SELECT pg_advisory_unlock(hashtext('castellan.migrate:' || current_schema()))`
	hasMigrations    = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	selectMaxVersion = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	countVersion     = `SELECT count(*) FROM schema_migrations WHERE version = $1`
	insertMigration  = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// Migrate applies the pending migrations to the database at url and
// returns those it applied, oldest first (castellan migrate). It needs no
// master key: migrations never touch secrets.
func Migrate(ctx context.Context, url string, opts ...Option) ([]Migration, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("postgres: cannot parse the store URL (want postgres://user:password@host:port/database?param=value; the URL is not shown, it may hold a password)")
	}
	cfg.MaxConns = 1
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
	defer pool.Close()
	return migrate(ctx, pool)
}

// migrate applies the pending migrations, each in its own transaction with
// its schema_migrations row, holding the schema's migration advisory lock
// throughout: nodes starting at once queue on the lock, and the later ones
// find nothing left to do.
func migrate(ctx context.Context, pool *pgxpool.Pool) ([]Migration, error) {
	return migrateTo(ctx, pool, -1)
}

// migrateTo is migrate stopping after version target (-1: the latest).
func migrateTo(ctx context.Context, pool *pgxpool.Pool, target int) (applied []Migration, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, lockMigrations); err != nil {
		conn.Release()
		return nil, fmt.Errorf("postgres: migrate: taking the migration lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, unlockMigrations); uerr != nil {
			// Never hand a connection holding the lock back to the pool.
			conn.Conn().Close(uctx)
		}
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	latest := ms[len(ms)-1].Version
	var have int
	if err := conn.QueryRow(ctx, selectMaxVersion).Scan(&have); err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	if have > latest {
		return nil, fmt.Errorf("postgres: database schema version %d is newer than this binary's %d", have, latest)
	}
	for _, m := range ms {
		if target >= 0 && m.Version > target {
			break
		}
		var done int
		if err := conn.QueryRow(ctx, countVersion, m.Version).Scan(&done); err != nil {
			return applied, fmt.Errorf("postgres: migrate %s: %w", m.Name, err)
		}
		if done > 0 {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, insertMigration, m.Version, m.Name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate %s: %w", m.Name, err)
		}
		applied = append(applied, m)
	}
	return applied, nil
}

// checkMigrated reports ErrPendingMigrations unless the database has every
// embedded migration, and an error when it has newer ones.
func checkMigrated(ctx context.Context, q querier) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].Version
	var exists bool
	if err := q.QueryRow(ctx, hasMigrations).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w (database lacks %s)", ErrPendingMigrations, ms[0].Name)
	}
	var have int
	if err := q.QueryRow(ctx, selectMaxVersion).Scan(&have); err != nil {
		return fmt.Errorf("postgres: schema version: %w", err)
	}
	if have > latest {
		return fmt.Errorf("postgres: database schema version %d is newer than this binary's %d", have, latest)
	}
	for _, m := range ms {
		var done int
		if err := q.QueryRow(ctx, countVersion, m.Version).Scan(&done); err != nil {
			return fmt.Errorf("postgres: schema version: %w", err)
		}
		if done == 0 {
			return fmt.Errorf("%w (database lacks %s)", ErrPendingMigrations, m.Name)
		}
	}
	return nil
}
