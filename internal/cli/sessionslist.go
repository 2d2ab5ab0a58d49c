package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/store"
)

func newSessionsListCmd(streams IO) *cobra.Command {
	var f adminFlags
	var principal, output string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List active temporary credentials (soonest expiry first)",
		Long: `List the temporary credentials in the session index: principal, session name,
the API and source IP that issued them, expiry and last use. Expired and revoked
sessions are hidden unless --all is given.`,
		Example: `  castellan sessions list
  castellan sessions list --principal arn:aws:sts::123456789012:assumed-role/deploy/ci --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output %q: want table or json", output)
			}
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			now := time.Now().UTC()
			list, err := a.Store.ListSessions(cmd.Context(), store.SessionListOptions{Now: now, PrincipalARN: principal, IncludeEnded: all})
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(streams.Stdout)
				for _, x := range list {
					if err := enc.Encode(sessionJSON(x, now)); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(streams.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tPRINCIPAL\tSESSION\tISSUED BY\tSOURCE IP\tISSUED\tEXPIRES\tLAST USED\tSTATE")
			for _, x := range list {
				j := sessionJSON(x, now)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.AccessKeyID, x.PrincipalARN, dash(x.SessionName), x.Issuer,
					dash(x.SourceIP), j.Issued, j.Expires, dash(j.LastUsed), j.State)
			}
			return tw.Flush()
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&principal, "principal", "", "only sessions of this principal ARN (the session's ARN, e.g. …:assumed-role/ROLE/SESSION)")
	cmd.Flags().BoolVar(&all, "all", false, "include expired and revoked sessions")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table or json (one object per line)")
	return cmd
}

type sessionOut struct {
	AccessKeyID  string `json:"accessKeyId"`
	PrincipalARN string `json:"principalArn"`
	SessionName  string `json:"sessionName,omitempty"`
	IssuedBy     string `json:"issuedBy"`
	SourceARN    string `json:"sourceArn,omitempty"`
	SourceIP     string `json:"sourceIPAddress,omitempty"`
	Issued       string `json:"issued"`
	Expires      string `json:"expires"`
	FirstUsed    string `json:"firstUsed,omitempty"`
	LastUsed     string `json:"lastUsed,omitempty"`
	LastUsedIP   string `json:"lastUsedIPAddress,omitempty"`
	State        string `json:"state"`
}

func sessionJSON(x store.IssuedSession, now time.Time) sessionOut {
	f := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	state := "active"
	switch {
	case !x.RevokedAt.IsZero():
		state = "revoked"
	case !x.Expires.After(now):
		state = "expired"
	}
	return sessionOut{
		AccessKeyID: x.AccessKeyID, PrincipalARN: x.PrincipalARN, SessionName: x.SessionName, IssuedBy: x.Issuer,
		SourceARN: x.SourceARN, SourceIP: x.SourceIP, Issued: f(x.IssuedAt), Expires: f(x.Expires),
		FirstUsed: f(x.FirstUsedAt), LastUsed: f(x.LastUsedAt), LastUsedIP: x.LastUsedIP, State: state,
	}
}
