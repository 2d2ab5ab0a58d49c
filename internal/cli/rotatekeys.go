package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

func newRotateKeysCmd(streams IO) *cobra.Command {
	var (
		cf      clientFlags
		output  string
		keepOld bool
		wait    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Replace the profile's access key with a new one, safely",
		Long: `Replace the long-term access key of a profile in the shared credentials file:

  1. check the current key works (GetCallerIdentity) and that the identity has room
     for a second key (AWS allows two);
  2. create a new key (CreateAccessKey) and check it works as the same identity;
  3. write it to the credentials file (atomically, 0600, other profiles untouched)
     and drop Castellan's cached sessions of the profile;
  4. deactivate the old key with the new one, check again, then delete the old key
     (--keep-old leaves it inactive).

The profile never lacks a working key: a failure before step 3 deletes the new key
again and leaves everything as it was; a failure after it leaves the new, working
key in place. Either way the error says what state the keys are in and the commands
that finish or undo the rotation. Key ids are shown masked; secrets never.`,
		Example: `  castellan rotate-keys --profile dev
  castellan rotate-keys --profile dev --keep-old --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			o := client.RotateOptions{Options: cf.options(), KeepOld: keepOld, PropagationWait: wait, Cache: cf.cache()}
			if output == "text" {
				o.Step = func(s string) { fmt.Fprintln(streams.Stderr, "castellan:", s) }
			}
			r, err := client.Rotate(cmd.Context(), o)
			if output == "json" {
				out := struct {
					client.Rotation
					Error    string `json:"error,omitempty"`
					Recovery string `json:"recovery,omitempty"`
				}{Rotation: r}
				var re *client.RotateError
				if errors.As(err, &re) {
					out.Error, out.Recovery = re.Err.Error(), re.Recovery
				} else if err != nil {
					out.Error = err.Error()
				}
				if werr := writeJSON(streams.Stdout, out); werr != nil {
					return werr
				}
			}
			if err != nil {
				return err
			}
			if output == "text" {
				fmt.Fprintf(streams.Stdout, "profile %s: %s → %s (%s)\n", r.Profile, r.OldKey, r.NewKey, r.Caller)
			}
			return nil
		},
	}
	cf.bind(cmd, "")
	cf.bindCache(cmd)
	f := cmd.Flags()
	f.StringVar(&output, "output", "text", "text or json")
	f.BoolVar(&keepOld, "keep-old", false, "deactivate the old key but do not delete it")
	f.DurationVar(&wait, "propagation-wait", 15*time.Second, "how long to retry a new key until it works")
	return cmd
}
