package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

func newCredentialsCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Serve temporary credentials to local programs",
	}
	cmd.AddCommand(newCredentialsServeCmd(streams))
	return cmd
}

func newCredentialsServeCmd(streams IO) *cobra.Command {
	var (
		cf       clientFlags
		addr     string
		duration time.Duration
		ahead    time.Duration
		output   string
	)
	cmd := &cobra.Command{
		Use:   "serve [flags] [-- COMMAND [ARG...]]",
		Short: "Run a local container-credentials endpoint that refreshes ahead of expiry",
		Long: `Run a container-credentials endpoint on loopback, the one every AWS SDK and the
aws CLI read through AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN (printed as export lines on standard output).
It hands out temporary credentials for the profile (GetSessionToken, or AssumeRole
for role profiles) and replaces them --refresh-ahead before they expire (at most
half a session's lifetime), so long-running programs never see ExpiredToken. Each
refresh, and each expiry it heads off, is logged on standard error.

With -- COMMAND it runs COMMAND with those variables (and without conflicting
keys or AWS_PROFILE), stops when COMMAND exits and returns its exit code.
Without it, it serves until interrupted.`,
		Example: `  castellan credentials serve --profile dev
  castellan credentials serve --profile dev -- python3 long_job.py
  castellan credentials serve --profile dev --addr 127.0.0.1:9911 --duration 1h`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			log := slog.New(slog.NewTextHandler(streams.Stderr, nil))
			sess := &client.Sessions{Options: cf.options(), Duration: duration, Notice: func(m string) { log.Info(m) }}
			srv := client.NewCredentialServer(sess.Fetch, log)
			srv.RefreshAhead = ahead
			l, uri, err := client.Listen(addr)
			if err != nil {
				return err
			}
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
			defer hs.Close()
			// Fetch once before announcing, so a bad profile fails now.
			if err := srv.Prime(ctx); err != nil {
				return err
			}
			go hs.Serve(l)
			runErr := make(chan error, 1)
			go func() { runErr <- srv.Run(ctx) }()

			env := os.Environ()
			vars := map[string]string{
				"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
				"AWS_CONTAINER_AUTHORIZATION_TOKEN":  srv.Token,
			}
			client.TargetVars(vars, client.ResolveTarget(ctx, sess.Options), env)
			if len(args) == 0 && output == "json" {
				if err := writeJSON(streams.Stdout, vars); err != nil {
					return err
				}
			}
			if len(args) == 0 && output == "text" {
				keys := make([]string, 0, len(vars))
				for k := range vars {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				fmt.Fprintln(streams.Stdout, "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_PROFILE AWS_DEFAULT_PROFILE")
				for _, k := range keys {
					fmt.Fprintf(streams.Stdout, "export %s=%s\n", k, shellQuote(vars[k]))
				}
			}
			if len(args) == 0 {
				log.Info("serving credentials", "url", uri, "profile", sess.EffectiveProfile())
				select {
				case <-ctx.Done():
					return nil
				case err := <-runErr:
					return err
				}
			}
			path, err := exec.LookPath(args[0])
			if err != nil {
				return &exitError{code: 127, err: err}
			}
			child := exec.CommandContext(ctx, path, args[1:]...)
			child.Env = client.Environ(env, vars)
			child.Stdin, child.Stdout, child.Stderr = streams.Stdin, streams.Stdout, streams.Stderr
			child.Cancel = func() error { return child.Process.Signal(syscall.SIGTERM) }
			child.WaitDelay = 10 * time.Second
			err = child.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code := ee.ExitCode()
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = 128 + int(ws.Signal())
				}
				return &exitError{code: code, err: fmt.Errorf("%s exited with status %d", args[0], code)}
			}
			return err
		},
	}
	cf.bind(cmd, "")
	cf.bindMFA(cmd)
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "loopback listen address (port 0: any free port)")
	f.DurationVar(&duration, "duration", 0, "session length (default 1h; role profiles: their duration_seconds)")
	f.DurationVar(&ahead, "refresh-ahead", client.DefaultRefreshAhead, "refresh this long before expiry (at most half a session's lifetime)")
	f.StringVar(&output, "output", "text", "how the variables are printed: text (export lines) or json")
	f.SetInterspersed(false)
	return cmd
}
