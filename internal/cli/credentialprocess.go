package cli

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

// credentialProcessDepth marks a credential-process run in its children, so
// a profile whose credential_process calls itself fails instead of looping.
const credentialProcessDepth = "CASTELLAN_CREDENTIAL_PROCESS_ACTIVE"

func newCredentialProcessCmd(streams IO) *cobra.Command {
	var (
		cf       clientFlags
		duration time.Duration
		ahead    time.Duration
		refresh  bool
		noCache  bool
	)
	cmd := &cobra.Command{
		Use:   "credential-process --profile SOURCE",
		Short: "Print temporary credentials as credential_process JSON, cached and refreshed ahead",
		Long: `Print temporary credentials for the SOURCE profile in the credential_process
format ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
"Expiration"}), for a profile in ~/.aws/config such as:

  [profile dev]
  credential_process = castellan credential-process --profile dev-keys
  region = us-east-1
  endpoint_url = http://127.0.0.1:8080

Sessions come from GetSessionToken (with the source profile's mfa_serial: the MFA
code is asked on the terminal, since the SDK reads this command's output) or from
AssumeRole for role profiles. They are cached in a 0600 file and reused while more
than --refresh-ahead is left (at most half the session's lifetime), so the SDKs,
which refresh 10-15 minutes before expiry, never hold credentials that expire
mid-call, and a warm call costs no network round trip.`,
		Example: `  castellan credential-process --profile dev-keys
  castellan configure --profile dev --credential-process-from dev-keys
  aws --profile dev sts get-caller-identity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if cf.profile == "" {
				return errors.New("--profile SOURCE is required: the profile whose keys get the session (not the profile that runs this command)")
			}
			if os.Getenv(credentialProcessDepth) != "" {
				return errors.New("credential-process calls itself: profile " + cf.profile + " (or its source_profile) has a credential_process that runs castellan credential-process again; point --profile at a profile with keys")
			}
			// Mark the SDK's credential_process children (the process env is
			// the only channel to them); restored when done.
			os.Setenv(credentialProcessDepth, "1")
			defer os.Unsetenv(credentialProcessDepth)
			s := &client.Sessions{Options: cf.options(), Duration: duration, RefreshAhead: ahead, Notice: notice(streams.Stderr)}
			if !noCache {
				s.Cache = cf.cache()
			}
			if refresh && s.Cache != nil {
				c, err := s.Fetch(cmd.Context())
				if err != nil {
					return err
				}
				if err := s.Store(c); err != nil {
					return err
				}
				return client.WriteProcessOutput(streams.Stdout, c)
			}
			c, err := s.Get(cmd.Context())
			if err != nil {
				return err
			}
			return client.WriteProcessOutput(streams.Stdout, c)
		},
	}
	cf.bind(cmd, "as the session's source")
	cf.bindMFA(cmd)
	cf.bindCache(cmd)
	f := cmd.Flags()
	f.DurationVar(&duration, "duration", 0, "session length (default 1h; role profiles: their duration_seconds)")
	f.DurationVar(&ahead, "refresh-ahead", client.DefaultRefreshAhead, "replace cached credentials when less than this is left")
	f.BoolVar(&refresh, "refresh", false, "get a new session now, replacing the cached one")
	f.BoolVar(&noCache, "no-cache", false, "neither read nor write the cache")
	return cmd
}
