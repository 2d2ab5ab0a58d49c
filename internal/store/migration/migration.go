// Package migration loads a store backend's embedded schema steps
// (migrations/NNNN_name.up.sql), shared by every backend so that file naming
// and ordering rules are checked the same way everywhere. Applying them is
// the backend's business (each dialect has its own bookkeeping and locks).
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one embedded schema step.
type Migration struct {
	Version int    // NNNN in the file name
	Name    string // the file name, e.g. "0001_init.up.sql"
	SQL     string
}

// Load reads dir/*.up.sql from fsys, ordered by version. Versions start at
// 1 and are unique; gaps are allowed (areas of the schema take their own
// ranges). label prefixes errors ("sqlite", "postgres").
func Load(fsys fs.FS, dir, label string) ([]Migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.up.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || len(num) != 4 {
			return nil, fmt.Errorf("%s: migration %s: name is not NNNN_name.up.sql", label, base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if i == 0 && m.Version != 1 || i > 0 && m.Version == ms[i-1].Version {
			return nil, fmt.Errorf("%s: migration %s: versions start at 1 and are unique", label, m.Name)
		}
	}
	return ms, nil
}
