package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newKeysCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the keyring that seals session tokens",
		Long: `The keyring seals every session token. A new primary key seals new tokens;
older keys keep opening the tokens they sealed until those have expired (36 hours
after the key was superseded), then they are retired. Running servers pick up a
rotation within seconds. After a key compromise, "keys retire KEYID --now" ends every
session that key sealed at once.`,
	}
	cmd.AddCommand(newKeysRotateCmd(streams), newKeysListCmd(streams), newKeysRetireCmd(streams))
	return cmd
}

func newKeysRotateCmd(streams IO) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:     "rotate",
		Short:   "Add a new primary keyring key",
		Example: "  castellan keys rotate --data-dir ./castellan-data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			id, err := a.Keyring.Rotate(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Stdout, "new primary key %s; older keys open their tokens until they expire\n", id)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newKeysListCmd(streams IO) *cobra.Command {
	var f adminFlags
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the keyring's keys (ids and dates, never secrets)",
		Example: "  castellan keys list --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			keys := a.Keyring.Keys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].Created.Before(keys[j].Created) })
			if output == "json" {
				enc := json.NewEncoder(streams.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(keys)
			}
			tw := tabwriter.NewWriter(streams.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY ID\tCREATED\tPRIMARY\tRETIRES")
			for _, k := range keys {
				retire := "-"
				if !k.RetireAt.IsZero() {
					retire = k.RetireAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", k.ID, k.Created.UTC().Format(time.RFC3339), k.Primary, retire)
			}
			return tw.Flush()
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func newKeysRetireCmd(streams IO) *cobra.Command {
	var f adminFlags
	var now bool
	cmd := &cobra.Command{
		Use:   "retire KEYID --now",
		Short: "Retire a keyring key at once, ending every session it sealed (key compromise)",
		Long: `Retire a keyring key now instead of 36 hours after it was superseded: every session
token it sealed is refused with InvalidClientTokenId ("The security token included in
the request is invalid."), so those sessions end and their holders must get new
credentials. The key's material is deleted from the store.

If KEYID is the primary key, a new primary key is added first (as "keys rotate"
does) and new tokens are sealed with it. This command's process refuses the key at
once; running servers drop it at their next keyring reload, within 10 seconds (at
once on PostgreSQL, which notifies every node). Tokens another node seals with the
old primary in that window end too. The retirement is recorded in the audit trail
(event KeyringKeyRetired).

--now is required: it confirms that the sessions end.`,
		Example: "  castellan keys list --data-dir ./castellan-data\n  castellan keys retire 1a2b3c4d --now --data-dir ./castellan-data",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !now {
				return errors.New("retiring a key ends every session it sealed; pass --now to confirm (keys rotate retires keys without ending sessions)")
			}
			a, err := f.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := a.RetireKey(cmd.Context(), args[0])
			if r.NewPrimary != "" {
				fmt.Fprintf(streams.Stdout, "%s was the primary key: new primary key %s seals new tokens\n", r.KeyID, r.NewPrimary)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Stdout, "retired key %s: every token it sealed is refused (InvalidClientTokenId); running servers drop it within 10 seconds\n", r.KeyID)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&now, "now", false, "confirm: retire the key now, ending every session it sealed")
	return cmd
}
