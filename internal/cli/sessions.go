package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newSessionsCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "Inspect and revoke temporary credentials",
	}
	cmd.AddCommand(newSessionsRevokeCmd(streams))
	cmd.AddCommand(newSessionsListCmd(streams)) // sessionslist.go
	return cmd
}

func newSessionsRevokeCmd(streams IO) *cobra.Command {
	var f adminFlags
	var keyID, principal string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke one temporary key, or every session of a role or user issued before now",
		Long: `Revoke temporary credentials on every node within seconds.

--access-key-id revokes one temporary key (ASIA…). --principal revokes every session
of a role, user or the root (--principal root, or arn:aws:iam::ACCOUNT:root) issued
before now: its GetSessionToken, GetFederationToken and AssumeRole sessions, and the
role sessions chained from them; sessions issued afterwards work. Revoked
credentials get InvalidClientTokenId. AWS's own way for roles — an inline policy
AWSRevokeOlderSessions denying everything with aws:TokenIssueTime — works too.`,
		Example: `  castellan sessions revoke --access-key-id ASIAQ7EXAMPLEKEY1234
  castellan sessions revoke --principal arn:aws:iam::123456789012:role/deploy
  castellan sessions revoke --principal root`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (keyID == "") == (principal == "") {
				return errors.New("give exactly one of --access-key-id or --principal")
			}
			if keyID != "" && !strings.HasPrefix(keyID, "ASIA") {
				return fmt.Errorf("--access-key-id %q: only temporary keys (ASIA…) are revoked here; deactivate long-term keys with aws iam update-access-key", keyID)
			}
			if principal != "" && principal != "root" && !strings.HasPrefix(principal, "arn:aws:iam::") {
				return fmt.Errorf("--principal %q: want a role or user ARN (arn:aws:iam::ACCOUNT:role/NAME), or root", principal)
			}
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			if keyID != "" {
				err = a.RevokeKey(cmd.Context(), keyID)
			} else {
				if principal == "root" {
					principal = "arn:aws:iam::" + a.Account + ":root"
				}
				err = a.RevokePrincipal(cmd.Context(), principal)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(streams.Stdout, "revoked; every node refuses it within a few seconds")
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&keyID, "access-key-id", "", "temporary access key id to revoke")
	cmd.Flags().StringVar(&principal, "principal", "", "role or user ARN, or root, whose older sessions to revoke")
	return cmd
}
