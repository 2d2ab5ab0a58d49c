package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/app"
)

func newBackupCmd(streams IO) *cobra.Command {
	var f adminFlags
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Write an online, consistent copy of the SQLite store",
		Long: `Write a consistent copy of the SQLite store to FILE while the server runs
(SQLite VACUUM INTO: one snapshot, read without blocking the server's writes).
Every write acknowledged before the backup started is in it.

The copy holds the secrets sealed with the master key and not the key itself:
keep master.key (or CASTELLAN_MASTER_KEY) safe separately; without it a backup
cannot open its secrets. Audit files (<data-dir>/audit) are not in the copy.
For a PostgreSQL store use pg_dump (docs/operations.md).`,
		Example: `  castellan backup --data-dir /var/lib/castellan --to /backup/castellan-$(date +%F).db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if to == "" {
				return errors.New("--to FILE is required")
			}
			if err := app.Backup(cmd.Context(), f.cfg, to); err != nil {
				return err
			}
			fmt.Fprintf(streams.Stdout, "backup written to %s\n", to)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the backup file to write (must not exist)")
	return cmd
}

func newRestoreCmd(streams IO) *cobra.Command {
	var f adminFlags
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from FILE --data-dir DIR",
		Short: "Restore a backup into an empty data directory",
		Long: `Check a backup written by castellan backup (integrity check, a schema this
binary knows) and install it as the SQLite store of DIR, which must not hold a
store yet. Put the deployment's master.key into DIR (or set CASTELLAN_MASTER_KEY)
first: restore then checks that the key opens the restored secrets and refuses the
restore otherwise. Start castellan serve on DIR afterwards; newer migrations are
applied then.`,
		Example: `  install -m 0600 /secure/master.key /var/lib/castellan-new/master.key
  castellan restore --from /backup/castellan-2026-12-07.db --data-dir /var/lib/castellan-new`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if from == "" {
				return errors.New("--from FILE is required")
			}
			f.cfg.MasterKey = streams.Getenv("CASTELLAN_MASTER_KEY")
			res, err := app.Restore(cmd.Context(), f.cfg, from, newLogger(streams.Stderr, "warn", "text"))
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Stdout, "restored %s (schema version %d) into %s\n", from, res.SchemaVersion, f.cfg.SQLitePath())
			if !res.KeyChecked {
				fmt.Fprintf(streams.Stdout, "no master key found (%s or CASTELLAN_MASTER_KEY): the restored secrets stay sealed until the deployment's key is in place\n", f.cfg.MasterKeyPath())
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "the backup file to restore")
	return cmd
}
