package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/store/postgres"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

// Migrate applies the store's pending schema migrations (serve does it at
// start; this is the explicit `castellan migrate`). It returns the
// versions applied, as "NNNN_name".
func Migrate(ctx context.Context, cfg config.Config) ([]string, error) {
	var names []string
	if strings.HasPrefix(cfg.StoreURL, "postgres://") || strings.HasPrefix(cfg.StoreURL, "postgresql://") {
		ms, err := postgres.Migrate(ctx, cfg.StoreURL)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			names = append(names, m.Name)
		}
		return names, nil
	}
	path := cfg.SQLitePath()
	if path == "" {
		return nil, fmt.Errorf("--store-url %q: unsupported store", cfg.StoreURL)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	ms, err := sqlite.Migrate(ctx, path)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names, nil
}
