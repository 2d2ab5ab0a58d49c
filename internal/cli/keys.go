package cli

import (
	"encoding/json"
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
rotation within seconds.`,
	}
	cmd.AddCommand(newKeysRotateCmd(streams), newKeysListCmd(streams))
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
