// Package cli is the `castellan` command tree. Main runs it and returns the
// process exit code, so tests drive the CLI like a user would.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Version is set at build time with -ldflags "-X …/internal/cli.Version=…".
var Version = "dev"

// Env is how the CLI reads the environment (tests pass a map).
type Env func(key string) string

// IO carries the process's streams and environment.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv Env
}

// exitError carries a specific exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the castellan command with args and returns the exit code.
func Main(ctx context.Context, args []string, streams IO) int {
	if streams.Getenv == nil {
		streams.Getenv = os.Getenv
	}
	root := newRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(streams.Stderr, "castellan:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// newRootCmd builds the whole command tree on streams.
func newRootCmd(streams IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "castellan",
		Short:         "A self-hosted, AWS-compatible security token service",
		Long:          "Castellan issues and checks AWS-style credentials (access keys, STS temporary credentials, MFA, roles, web identity) with AWS's exact errors.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.Stdin)
	root.SetOut(streams.Stdout)
	root.SetErr(streams.Stderr)
	root.AddCommand(newServeCmd(streams), newVersionCmd(streams))
	root.AddCommand(newKeysCmd(streams), newSessionsCmd(streams), newMigrateCmd(streams))
	root.AddCommand(newBackupCmd(streams), newRestoreCmd(streams))
	root.AddCommand(newConfigureCmd(streams))
	root.AddCommand(newDoctorCmd(streams))
	root.AddCommand(newExecCmd(streams))
	root.AddCommand(newCredentialProcessCmd(streams))
	root.AddCommand(newCredentialsCmd(streams))
	root.AddCommand(newRotateKeysCmd(streams))
	root.AddCommand(newAuditCmd(streams), newReportCmd(streams))
	root.AddCommand(newPolicyCmd(streams))
	return root
}

// bindEnv gives every flag of cmd that the user did not set the value of
// its CASTELLAN_<FLAG> variable (dashes become underscores). Flags win over
// the environment, which wins over defaults.
func bindEnv(cmd *cobra.Command, getenv Env) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		key := "CASTELLAN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", key, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// newLogger builds the process logger.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newVersionCmd(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(streams.Stdout, "castellan", Version)
			return nil
		},
	}
}
