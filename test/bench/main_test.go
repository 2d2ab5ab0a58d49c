package bench

import (
	"os"
	"testing"

	"github.com/castellan-sts/castellan/internal/app"
)

// TestMain runs the benchmarks with the GOMAXPROCS `castellan serve` sets
// (app.TuneProcs), so they measure the server as it runs; the baselines in
// the same run (bare HMAC, bare net/http) get the same.
func TestMain(m *testing.M) {
	app.TuneProcs(os.Getenv)
	os.Exit(m.Run())
}
