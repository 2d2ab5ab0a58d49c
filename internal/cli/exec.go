package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

func newExecCmd(streams IO) *cobra.Command {
	var (
		cf       clientFlags
		duration time.Duration
		noCache  bool
	)
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARG...]",
		Short: "Run a command with fresh temporary credentials in its environment",
		Long: `Run COMMAND with fresh temporary credentials for the profile in its environment:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION, plus AWS_REGION and AWS_ENDPOINT_URL from the profile.
Variables that would conflict (other keys and tokens, AWS_PROFILE, container and
web-identity settings) are removed.

Role profiles (role_arn) are assumed with AssumeRole; other profiles get a
GetSessionToken session, with the MFA code of the profile's mfa_serial (asked on
the terminal, or --mfa-code). Sessions are cached (0600) and reused while more
than 15 minutes are left; --no-cache always asks STS. The exit code is COMMAND's.`,
		Example: `  castellan exec --profile dev -- aws sts get-caller-identity
  castellan exec --profile admin --duration 1h -- terraform apply
  castellan exec --profile dev -- env | grep ^AWS_`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			ctx := cmd.Context()
			s := &client.Sessions{Options: cf.options(), Duration: duration, Notice: notice(streams.Stderr)}
			if !noCache {
				s.Cache = cf.cache()
			}
			c, err := s.Get(ctx)
			if err != nil {
				return err
			}
			env := os.Environ()
			vars := client.CredentialVars(c, client.ResolveTarget(ctx, s.Options), env)
			path, err := exec.LookPath(args[0])
			if err != nil {
				return &exitError{code: 127, err: err}
			}
			child := exec.CommandContext(ctx, path, args[1:]...)
			child.Env = client.Environ(env, vars)
			child.Stdin, child.Stdout, child.Stderr = streams.Stdin, streams.Stdout, streams.Stderr
			// On SIGINT/SIGTERM the child gets SIGTERM and time to finish.
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
	cf.bindCache(cmd)
	f := cmd.Flags()
	f.DurationVar(&duration, "duration", 0, "session length (default 1h; role profiles: their duration_seconds)")
	f.BoolVar(&noCache, "no-cache", false, "always get a new session")
	f.SetInterspersed(false)
	return cmd
}
