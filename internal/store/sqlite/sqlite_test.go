package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/storetest"
)

func testBox(t testing.TB) *secret.Box {
	t.Helper()
	key := make([]byte, secret.MasterKeySize)
	for i := range key {
		key[i] = byte(i + 1)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestConformance(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.RunTests(t, func(t *testing.T) store.Store {
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "castellan.db"), testBox(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.RunTests(t, func(t *testing.T) store.Store {
			s, err := Open(t.Context(), MemoryPath, testBox(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}
