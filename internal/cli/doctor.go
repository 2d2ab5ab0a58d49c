package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

func newDoctorCmd(streams IO) *cobra.Command {
	var (
		cf      clientFlags
		output  string
		offline bool
		strict  bool
		maxSkew time.Duration
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find out why credentials fail on this machine, and how to fix it",
		Long: `Run a checklist over the credentials the aws CLI and SDKs would use here, in
plain words, each finding with the command that fixes it:

  source    which credential source wins and why (environment keys beat AWS_PROFILE;
            --profile beats the environment), key ids masked
  keys      key shape: length, alphabet, AKIA vs ASIA; an ASIA key without its
            session token; a long-term key with a stray session token; whitespace,
            newlines or invisible characters; id and secret swapped
  expiry    AWS_CREDENTIAL_EXPIRATION, the credential_process output, Castellan's and
            the aws CLI's caches: how long is left
  clock     skew against the endpoint's Date header, and the limit
  region    no region configured
  endpoint  no endpoint (requests would reach real AWS), AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
            an aws CLI or boto3 too old to honour endpoint_url / AWS_ENDPOINT_URL
  live      GetCallerIdentity at the endpoint; an error is mapped to its likely causes

Without a reachable endpoint (or with --offline) the offline checks still run and the
live check says it was skipped. Problems come first; warnings (advice, such as an
endpoint given only on this command line) are listed apart. The exit code is 1 when
a problem was found, 0 otherwise; with --strict (for CI) a warning fails too. See
docs/troubleshooting.md.`,
		Example: `  castellan doctor
  castellan doctor --profile dev
  castellan doctor --profile dev --endpoint-url http://127.0.0.1:8080 --output json
  castellan doctor --offline
  castellan doctor --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			o := cf.options()
			o.MFACode = nil // doctor never prompts
			rep := client.Doctor(cmd.Context(), client.DoctorOptions{Options: o, Offline: offline, MaxSkew: maxSkew, Cache: cf.cache()})
			if output == "json" {
				if err := writeJSON(streams.Stdout, rep); err != nil {
					return err
				}
			} else {
				printReport(streams.Stdout, rep)
			}
			if rep.Failed(strict) {
				if rep.Problems == 0 {
					return &exitError{code: 1, err: fmt.Errorf("doctor found %d warning(s) (--strict)", rep.Warnings)}
				}
				return &exitError{code: 1, err: fmt.Errorf("doctor found %d problem(s)", rep.Problems)}
			}
			return nil
		},
	}
	cf.bind(cmd, "for the checks")
	cf.bindCache(cmd)
	f := cmd.Flags()
	f.StringVar(&output, "output", "text", "text (a table) or json")
	f.BoolVar(&offline, "offline", false, "skip the checks that need the endpoint")
	f.BoolVar(&strict, "strict", false, "fail (exit 1) on warnings too, for CI")
	f.DurationVar(&maxSkew, "max-clock-skew", 15*time.Minute, "the server's clock-skew limit")
	return cmd
}

// printReport writes the findings as a table, problems first, then the
// warnings in a table of their own, then the verdict.
func printReport(w io.Writer, r client.Report) {
	fmt.Fprintf(w, "castellan doctor: profile %s", r.Profile)
	if r.Endpoint != "" {
		fmt.Fprintf(w, ", endpoint %s", r.Endpoint)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return oneLine(s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tCAUSE\tFINDING\tFIX")
	var warnings []client.Finding
	for _, f := range r.Findings {
		if f.Severity == client.Warning {
			warnings = append(warnings, f)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), f.Check, dash(f.Cause), oneLine(f.Message), dash(f.Fix))
	}
	tw.Flush()
	if len(warnings) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Warnings (advice; they fail the run only with --strict):")
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tCAUSE\tFINDING\tFIX")
		for _, f := range warnings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Check, dash(f.Cause), oneLine(f.Message), dash(f.Fix))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	switch {
	case r.Problems > 0:
		fmt.Fprintf(w, "%d problem(s) found; the first is the most likely cause", r.Problems)
	default:
		fmt.Fprint(w, "no problems found")
	}
	if r.Warnings > 0 {
		fmt.Fprintf(w, "; %d warning(s)", r.Warnings)
	}
	fmt.Fprintln(w)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
