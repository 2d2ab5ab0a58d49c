package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for the program as the bare
// server (startBare runs os.Executable, here the test binary).
func TestMain(m *testing.M) {
	if addr := os.Getenv(bareEnv); addr != "" {
		if err := serveBare(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestSmoke runs a tiny bench-e2e (one short round, one audited SQLite
// target, a read, an issuance and a write) so the tool cannot rot: it
// fails on any answer but 200, and unless every pair reaches the table.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"-rounds", "1", "-duration", "300ms", "-warmup", "100ms", "-conns", "4",
		"-targets", "sqlite-on", "-calls", "gci,ar,cud"}, &out, &errs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	for _, row := range []string{"| bare | GetCallerIdentity |", "| sqlite-on | GetCallerIdentity |", "| sqlite-on | AssumeRole |", "| sqlite-on | CreateUser+DeleteUser |"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("table lacks %q:\n%s", row, out.String())
		}
	}
}
