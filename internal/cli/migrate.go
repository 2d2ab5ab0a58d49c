package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/app"
)

func newMigrateCmd(streams IO) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending store schema migrations",
		Long: `Apply the store's pending schema migrations and exit. serve applies them at
start; run this first when several nodes share a PostgreSQL store and you want the
upgrade to happen once, before the nodes restart.`,
		Example: `  castellan migrate --data-dir ./castellan-data
  castellan migrate --store-url postgres://castellan@db/castellan`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			applied, err := app.Migrate(cmd.Context(), f.cfg)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(streams.Stdout, "schema is up to date")
			}
			for _, m := range applied {
				fmt.Fprintln(streams.Stdout, "applied", m)
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
