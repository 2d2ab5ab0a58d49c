package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/castellan-sts/castellan/internal/client"
)

func newConfigureCmd(streams IO) *cobra.Command {
	var (
		profile, output                string
		s                              client.ProfileSettings
		secretStdin, verify, noInput   bool
		processFrom, outputFormatValue string
		unset                          []string
	)
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Write a profile to ~/.aws/credentials and ~/.aws/config",
		Long: `Write a profile in AWS's file formats, like "aws configure": the access key
into the shared credentials file, region, output, endpoint URL and role settings
into the shared config file (AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are
honoured). Other profiles, comments and settings are kept as they are; the files
are written atomically with mode 0600.

It asks for each of key id, secret, region, output and endpoint URL that no flag
gives (Enter keeps the current value); the secret is read without echo on a
terminal, or as a line of standard input. Scripts pass --no-input, or the secret
with --secret-access-key-stdin (no prompts then). The key's shape is checked before anything is written; --verify then
calls GetCallerIdentity with the new profile.

Role profiles: --role-arn with --source-profile (and --mfa-serial,
--external-id, --role-session-name, --duration-seconds). --credential-process
sets any command; --credential-process-from SRC sets this castellan binary's
"credential-process --profile SRC".`,
		Example: `  castellan configure --profile dev
  printf '%s\n' "$SECRET" | castellan configure --profile dev --access-key-id AKIA... \
      --secret-access-key-stdin --region us-east-1 --endpoint-url http://127.0.0.1:8080 --verify
  castellan configure --profile admin --role-arn arn:aws:iam::123456789012:role/admin \
      --source-profile dev --mfa-serial arn:aws:iam::123456789012:mfa/alice
  castellan configure --profile dev-auto --credential-process-from dev --region us-east-1 \
      --endpoint-url http://127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			s.Output = outputFormatValue
			s.Unset = unset
			files := client.SharedFiles()
			cur, err := client.CurrentSettings(files, profile)
			if err != nil {
				return err
			}
			if processFrom != "" {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				s.CredentialProcess = shellQuote(exe) + " credential-process --profile " + shellQuote(processFrom)
			}
			if secretStdin {
				b, err := io.ReadAll(io.LimitReader(streams.Stdin, 4096))
				if err != nil {
					return err
				}
				s.SecretAccessKey = strings.TrimSpace(string(b))
			}
			// Prompt for what the flags leave open, unless this is a script
			// (--no-input, the secret on stdin) or a role/process profile.
			given := map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { given[f.Name] = true })
			interactive := !noInput && !secretStdin
			for _, n := range []string{"role-arn", "source-profile", "credential-process", "credential-process-from", "mfa-serial", "unset"} {
				interactive = interactive && !given[n]
			}
			if interactive {
				p := &client.Prompter{In: streams.Stdin, Out: streams.Stderr}
				ask := []struct {
					label, shown, cur, flag string
					dst                     *string
					secret                  bool
				}{
					{"AWS Access Key ID", client.MaskKeyID(cur.AccessKeyID), cur.AccessKeyID, "access-key-id", &s.AccessKeyID, false},
					{"AWS Secret Access Key", client.MaskSecret(cur.SecretAccessKey), cur.SecretAccessKey, "secret-access-key-stdin", &s.SecretAccessKey, true},
					{"Default region name", cur.Region, cur.Region, "region", &s.Region, false},
					{"Default output format", cur.Output, cur.Output, "default-output", &s.Output, false},
					{"Endpoint URL (Castellan)", cur.EndpointURL, cur.EndpointURL, "endpoint-url", &s.EndpointURL, false},
				}
				for _, q := range ask {
					if given[q.flag] {
						continue
					}
					var v string
					var err error
					if q.secret {
						v, err = p.AskSecret(q.label, q.shown, q.cur)
					} else {
						v, err = p.Ask(q.label, q.shown, q.cur)
					}
					if err != nil {
						return err
					}
					*q.dst = strings.TrimSpace(v)
				}
				if s.AccessKeyID == cur.AccessKeyID {
					s.AccessKeyID = ""
				}
				if s.SecretAccessKey == cur.SecretAccessKey {
					s.SecretAccessKey = ""
				}
				if s.Region == cur.Region {
					s.Region = ""
				}
				if s.Output == cur.Output {
					s.Output = ""
				}
				if s.EndpointURL == cur.EndpointURL {
					s.EndpointURL = ""
				}
			}
			if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
				// One half changes: check the pair as it will be.
				id, sec := s.AccessKeyID, s.SecretAccessKey
				if id == "" {
					id = cur.AccessKeyID
				}
				if sec == "" {
					sec = cur.SecretAccessKey
				}
				if id == "" || sec == "" {
					return fmt.Errorf("profile %s needs both an access key id and a secret access key", profile)
				}
				if err := client.ValidateKeys(id, sec); err != nil {
					return err
				}
			}
			res, err := client.Configure(files, profile, s)
			if err != nil {
				return err
			}
			var arn string
			if verify {
				arn, err = client.Verify(cmd.Context(), client.Options{Profile: profile})
				if err != nil {
					return fmt.Errorf("profile %s was written, but GetCallerIdentity failed: %w (run: castellan doctor --profile %s)", profile, err, profile)
				}
			}
			if output == "json" {
				return writeJSON(streams.Stdout, struct {
					client.ConfigResult
					CallerARN string `json:"caller_arn,omitempty"`
				}{res, arn})
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(streams.Stderr, "castellan: warning:", w)
			}
			fmt.Fprintf(streams.Stdout, "profile %s: wrote %s\n", profile, strings.Join(res.Keys, ", "))
			if res.CredentialsFile != "" {
				fmt.Fprintf(streams.Stdout, "  credentials: %s (%s)\n", res.CredentialsFile, res.AccessKeyID)
			}
			fmt.Fprintf(streams.Stdout, "  config:      %s\n", res.ConfigFile)
			if arn != "" {
				fmt.Fprintf(streams.Stdout, "  verified:    %s\n", arn)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "default", "profile to write")
	f.StringVar(&s.AccessKeyID, "access-key-id", "", "access key id (AKIA…)")
	f.BoolVar(&secretStdin, "secret-access-key-stdin", false, "read the secret access key from standard input (never from a flag: flags show in ps)")
	f.StringVar(&s.Region, "region", "", "region, e.g. us-east-1")
	f.StringVar(&outputFormatValue, "default-output", "", "the profile's output format for the aws CLI: json, text, table, yaml")
	f.StringVar(&s.EndpointURL, "endpoint-url", "", "Castellan's URL, written as endpoint_url")
	f.StringVar(&s.RoleARN, "role-arn", "", "role to assume (role_arn)")
	f.StringVar(&s.SourceProfile, "source-profile", "", "profile whose keys assume the role (source_profile)")
	f.StringVar(&s.MFASerial, "mfa-serial", "", "MFA device ARN (mfa_serial)")
	f.StringVar(&s.ExternalID, "external-id", "", "external id for AssumeRole")
	f.StringVar(&s.RoleSessionName, "role-session-name", "", "role session name")
	f.IntVar(&s.DurationSeconds, "duration-seconds", 0, "session length in seconds (duration_seconds)")
	f.StringVar(&s.CredentialProcess, "credential-process", "", "credential_process command")
	f.StringVar(&processFrom, "credential-process-from", "", "set credential_process to this castellan's credential-process --profile SRC")
	f.StringSliceVar(&unset, "unset", nil, "settings to remove from the profile (e.g. --unset mfa_serial)")
	f.BoolVar(&verify, "verify", false, "call GetCallerIdentity with the profile after writing it")
	f.BoolVar(&noInput, "no-input", false, "never prompt")
	f.StringVar(&output, "output", "text", "what this command prints: text or json")
	return cmd
}

// shellQuote quotes s for a credential_process line (the SDKs split it
// like a shell).
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
