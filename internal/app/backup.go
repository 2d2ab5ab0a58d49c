package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

// errPostgresBackup explains what to use for a PostgreSQL store.
var errPostgresBackup = errors.New("the store is PostgreSQL: back it up with pg_dump --format=custom and restore it with pg_restore (see docs/operations.md); castellan backup and restore handle the SQLite store")

func isPostgres(cfg config.Config) bool {
	return strings.HasPrefix(cfg.StoreURL, "postgres://") || strings.HasPrefix(cfg.StoreURL, "postgresql://")
}

// Backup writes an online, consistent copy of the SQLite store to dest
// (castellan backup). The server may keep running: the copy is one
// snapshot, taken without blocking its writes. The master key is not in
// the copy; without it the sealed secrets in it cannot be opened.
func Backup(ctx context.Context, cfg config.Config, dest string) error {
	if isPostgres(cfg) {
		return errPostgresBackup
	}
	path := cfg.SQLitePath()
	if path == "" {
		return fmt.Errorf("--store-url %q: unsupported store", cfg.StoreURL)
	}
	return sqlite.Backup(ctx, path, dest)
}

// RestoreResult says what Restore found.
type RestoreResult struct {
	SchemaVersion int
	// KeyChecked: a master key was found (CASTELLAN_MASTER_KEY or
	// <data-dir>/master.key) and it opens the restored store's secrets.
	KeyChecked bool
}

// Restore puts a backup in place as the SQLite store of cfg's data
// directory, which must not hold a store yet (castellan restore). When a
// master key is available it checks that it opens the restored secrets
// (by opening the token keyring); a wrong key is an error, and the store
// is removed again.
func Restore(ctx context.Context, cfg config.Config, from string, log *slog.Logger) (RestoreResult, error) {
	var res RestoreResult
	if isPostgres(cfg) {
		return res, errPostgresBackup
	}
	path := cfg.SQLitePath()
	info, err := sqlite.Restore(ctx, from, path)
	if err != nil {
		return res, err
	}
	res.SchemaVersion = info.SchemaVersion
	if _, err := os.Stat(cfg.MasterKeyPath()); err != nil && cfg.MasterKey == "" {
		return res, nil
	}
	a, err := OpenAdmin(ctx, cfg, log)
	if err != nil {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			_ = os.Remove(p)
		}
		return res, fmt.Errorf("the restored store does not open with this master key (restore removed again): %w", err)
	}
	res.KeyChecked = true
	return res, a.Close()
}
