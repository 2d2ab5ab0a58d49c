package e2e

import (
	"testing"

	"github.com/castellan-sts/castellan/internal/store/postgres/pgtest"
)

// TestMain stops the private PostgreSQL cluster the multi-node tests may
// have started (pgtest).
func TestMain(m *testing.M) { pgtest.Main(m) }
