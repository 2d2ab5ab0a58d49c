package storetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MigrationFixtures reads a backend's migration fixtures, dir/NNNN_*.sql,
// by the version NNNN after which each is loaded: a migration test applies
// the migrations one at a time and the fixtures of each version after it
// (hydra's migratest), then reads every fixture back through the Store.
func MigrationFixtures(t *testing.T, dir string) map[int][]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]string{}
	for _, p := range paths {
		num, _, _ := strings.Cut(filepath.Base(p), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("fixture %s: no version prefix", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[v] = append(out[v], string(b))
	}
	return out
}
