package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// Backup writes a consistent copy of the database at path to dest, online:
// VACUUM INTO reads one snapshot (a read transaction, which in WAL mode
// neither blocks nor is blocked by the server's writes) and writes it as a
// new, compacted database. The copy is written next to dest, fsync'd and
// renamed into place, so dest is either absent or whole. dest must not
// exist. Secrets inside stay sealed with the master key, which the copy
// does not contain.
func Backup(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", dest)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	db, err := openPlain(path)
	if err != nil {
		return err
	}
	defer db.Close()
	tmp := dest + ".partial"
	// VACUUM INTO accepts an empty file: create it 0600 first, since
	// SQLite would create it world-readable.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, dbFileMode)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	done = true
	return syncFile(filepath.Dir(dest))
}

// BackupInfo describes a backup file.
type BackupInfo struct {
	// SchemaVersion is the newest migration the backup has applied.
	SchemaVersion int
}

// CheckBackup verifies that file is a whole SQLite database of this
// binary's schema (PRAGMA integrity_check, a schema version this binary
// knows) without changing it.
func CheckBackup(ctx context.Context, file string) (BackupInfo, error) {
	var info BackupInfo
	if _, err := os.Stat(file); err != nil {
		return info, fmt.Errorf("sqlite: %w", err)
	}
	u := url.URL{Scheme: "file", Path: mustAbs(file), RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return info, fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return info, fmt.Errorf("sqlite: %s is not a Castellan backup: %w", file, err)
	}
	if ok != "ok" {
		return info, fmt.Errorf("sqlite: %s fails its integrity check: %s", file, ok)
	}
	var tables int
	if err := db.QueryRowContext(ctx, countMigrationsTable).Scan(&tables); err != nil {
		return info, fmt.Errorf("sqlite: %w", err)
	}
	if tables == 0 {
		return info, fmt.Errorf("sqlite: %s has no Castellan schema", file)
	}
	if err := db.QueryRowContext(ctx, selectMaxVersion).Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("sqlite: %w", err)
	}
	ms, err := loadMigrations()
	if err != nil {
		return info, err
	}
	if latest := ms[len(ms)-1].Version; info.SchemaVersion > latest {
		return info, fmt.Errorf("sqlite: %s has schema version %d, newer than this binary's %d", file, info.SchemaVersion, latest)
	}
	return info, nil
}

// Restore checks a backup (CheckBackup) and copies it to path (which must
// not exist; its directory is created 0700), fsync'd and renamed into
// place; the next Open applies any newer migrations.
func Restore(ctx context.Context, backup, path string) (BackupInfo, error) {
	info, err := CheckBackup(ctx, backup)
	if err != nil {
		return info, err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			return info, fmt.Errorf("sqlite: restore: %s already exists; restore into an empty data directory", p)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	tmp := path + ".partial"
	if err := copyFile(backup, tmp); err != nil {
		_ = os.Remove(tmp)
		return info, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	return info, syncFile(filepath.Dir(path))
}

// openPlain opens path with one connection and no journal-mode change (a
// backup must not switch a database it only reads).
func openPlain(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	u := url.URL{Scheme: "file", Path: mustAbs(path), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// copyFile copies src to a new file dst (0600), fsync'd.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, dbFileMode)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sqlite: fsync %s: %w", p, err)
	}
	return nil
}
