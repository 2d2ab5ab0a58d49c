package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-sts/castellan/internal/store/migration"
)

// migrationFiles holds the schema steps, NNNN_name.up.sql, applied in
// version order. A released file is never edited; a change is a new file.
// Versions are unique and may leave gaps (areas of the schema developed in
// parallel take their own ranges, e.g. 0020+ for the credential tables), so
// the bookkeeping records each applied version rather than the highest.
//
//go:embed migrations/*.up.sql
var migrationFiles embed.FS

// ErrPendingMigrations is returned (wrapped) by Open with
// WithoutAutoMigrate when the database lacks some of the binary's
// migrations.
var ErrPendingMigrations = errors.New("sqlite: database has pending migrations; run castellan migrate")

// Migration is one embedded schema step.
type Migration = migration.Migration

// Migrations returns the embedded migrations in the order they apply.
func Migrations() []Migration {
	ms, err := loadMigrations()
	if err != nil {
		// The files are compiled in; a bad name is a build mistake that
		// TestMigrationFiles catches.
		panic(err)
	}
	return ms
}

func loadMigrations() ([]Migration, error) {
	return migration.Load(migrationFiles, "migrations", "sqlite")
}

const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
)`
	countMigrationsTable = `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`
	selectMaxVersion     = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	countVersion         = `SELECT count(*) FROM schema_migrations WHERE version = ?`
	insertMigration      = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
)

// Migrate applies the pending migrations to the database at path (created
// when missing, mode 0600) and returns those it applied, oldest first. It is
// what `castellan migrate` runs; Open does the same unless told not to. It
// needs no master key: migrations never touch secrets.
func Migrate(ctx context.Context, path string) ([]Migration, error) {
	if path == MemoryPath {
		return nil, errors.New("sqlite: Migrate needs a database file")
	}
	w, r, err := openPools(ctx, path, options{readConns: 1})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	defer w.Close()
	applied, err := migrate(ctx, w)
	if err != nil {
		return applied, err
	}
	return applied, fixModes(path)
}

// migrate applies the pending migrations on the writer, each in its own
// IMMEDIATE transaction together with its schema_migrations row, so two
// processes migrating at once apply each step exactly once.
func migrate(ctx context.Context, w *sql.DB) ([]Migration, error) {
	return migrateTo(ctx, w, -1)
}

// migrateTo is migrate stopping after version target (-1: the latest).
func migrateTo(ctx context.Context, w *sql.DB, target int) ([]Migration, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if _, err := w.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	var applied []Migration
	for _, m := range ms {
		if target >= 0 && m.Version > target {
			break
		}
		did, err := applyOne(ctx, w, m, ms[len(ms)-1].Version)
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m)
		}
	}
	return applied, nil
}

// applyOne applies m unless the database already has it.
func applyOne(ctx context.Context, w *sql.DB, m Migration, latest int) (bool, error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, selectMaxVersion).Scan(&have); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	if have > latest {
		return false, fmt.Errorf("sqlite: database schema version %d is newer than this binary's %d", have, latest)
	}
	var done int
	if err := tx.QueryRowContext(ctx, countVersion, m.Version).Scan(&done); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	if done > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, insertMigration, m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
	}
	return true, nil
}

// checkMigrated reports ErrPendingMigrations unless the database has every
// embedded migration, and an error when it has newer ones.
func checkMigrated(ctx context.Context, w *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].Version
	var have, tables int
	if err := w.QueryRowContext(ctx, countMigrationsTable).Scan(&tables); err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if tables > 0 {
		if err := w.QueryRowContext(ctx, selectMaxVersion).Scan(&have); err != nil {
			return fmt.Errorf("sqlite: schema version: %w", err)
		}
	}
	if have > latest {
		return fmt.Errorf("sqlite: database schema version %d is newer than this binary's %d", have, latest)
	}
	for _, m := range ms {
		var done int
		if tables > 0 {
			if err := w.QueryRowContext(ctx, countVersion, m.Version).Scan(&done); err != nil {
				return fmt.Errorf("sqlite: schema version: %w", err)
			}
		}
		if done == 0 {
			return fmt.Errorf("%w (database lacks %s)", ErrPendingMigrations, m.Name)
		}
	}
	return nil
}
