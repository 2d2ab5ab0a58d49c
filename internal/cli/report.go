package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/monitor"
)

func newReportCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports about the deployment's credentials",
	}
	var f adminFlags
	creds := &cobra.Command{
		Use:   "credentials",
		Short: "Print the IAM credential report (CSV, AWS's 22 columns)",
		Long: `Print the credential report as IAM's GetCredentialReport returns it (decoded):
one CSV row for the root and each user, with AWS's 22 columns in AWS's order.`,
		Example: `  castellan report credentials > report.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := monitor.NewReports(a.Store, a.Account, nil, nil).Build(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(streams.Stdout, string(b))
			return err
		},
	}
	f.register(creds)
	cmd.AddCommand(creds)
	return cmd
}
