package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
)

// clientFlags are the flags the client toolkit's commands share. Like the
// aws CLI's, an explicit --profile beats credentials in the environment.
type clientFlags struct {
	profile  string
	region   string
	endpoint string
	mfaCode  string
	cacheDir string
}

func (f *clientFlags) bind(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "", "profile to use "+what+" (default: the SDK chain: environment keys, then AWS_PROFILE, then \"default\")")
	fl.StringVar(&f.region, "region", "", "region (default: the profile's or AWS_REGION)")
	fl.StringVar(&f.endpoint, "endpoint-url", "", "Castellan endpoint (default: the profile's endpoint_url or AWS_ENDPOINT_URL)")
}

func (f *clientFlags) bindMFA(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mfaCode, "mfa-code", "", "MFA code for profiles with mfa_serial (default: asked on the terminal; env CASTELLAN_MFA_CODE)")
}

func (f *clientFlags) bindCache(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "session cache directory (default ~/.aws/castellan/cache)")
}

func (f *clientFlags) options() client.Options {
	o := client.Options{Profile: f.profile, Region: f.region, EndpointURL: f.endpoint}
	if f.mfaCode != "" {
		o.MFACode = client.StaticMFA(f.mfaCode)
	} else {
		o.MFACode = client.TerminalMFA
	}
	return o
}

func (f *clientFlags) cache() *client.Cache {
	dir := f.cacheDir
	if dir == "" {
		dir = client.DefaultCacheDir()
	}
	return &client.Cache{Dir: dir}
}

// checkOutput validates an --output value.
func checkOutput(v string) error {
	if v != "text" && v != "json" {
		return fmt.Errorf("--output %q: want text or json", v)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// notice writes a one-line message to stderr.
func notice(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintln(w, "castellan:", msg) }
}
