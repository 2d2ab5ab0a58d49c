package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// typeWords are the value names pflag derives from a flag's type; a help
// line shows one of them (or none, for a boolean) between the flag and its
// usage. Anything else there came from back-quotes in the usage text, which
// pflag's UnquoteUsage takes as the value's name.
var typeWords = map[string]bool{
	"": true, "string": true, "strings": true, "stringArray": true, "int": true, "ints": true,
	"uint": true, "float": true, "duration": true, "durations": true, "int32": true, "uint32": true,
	"stringToString": true, "ip": true, "bytesHex": true, "count": true,
}

// walk calls fn on cmd and every command below it.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}

// TestFlagUsageNamesAType walks every command's flags: a usage text with
// back-quotes renders as `--flag quoted words   rest of the text` in the
// command's help.
func TestFlagUsageNamesAType(t *testing.T) {
	root := newRootCmd(IO{Getenv: func(string) string { return "" }})
	n := 0
	walk(root, func(cmd *cobra.Command) {
		check := func(f *pflag.Flag) {
			n++
			name, _ := pflag.UnquoteUsage(f)
			if strings.Contains(f.Usage, "`") || !typeWords[name] {
				t.Errorf("%s --%s: help shows %q as the value's name (usage %q); use quotes other than back-quotes", cmd.CommandPath(), f.Name, name, f.Usage)
			}
		}
		cmd.LocalFlags().VisitAll(check)
		cmd.PersistentFlags().VisitAll(check)
	})
	if n < 50 {
		t.Fatalf("walked only %d flags", n)
	}
}

// flagLine is one line of a help's flag list: the flag (pflag 1.1 writes a
// boolean as --flag[=true|false]), an optional value name, then the usage
// after at least two spaces.
var flagLine = regexp.MustCompile(`^\s+(?:-\w, )?--[\w-]+(?:\[=true\|false\])?(?: (\S+))?\s{2,}\S`)

// TestHelpHasNoStrayWords renders every command's --help and checks each
// flag line: between the flag and its usage stands one type word or none.
func TestHelpHasNoStrayWords(t *testing.T) {
	root := newRootCmd(IO{Getenv: func(string) string { return "" }})
	var paths [][]string
	walk(root, func(cmd *cobra.Command) {
		p := strings.Fields(cmd.CommandPath())[1:]
		paths = append(paths, p)
	})
	for _, p := range paths {
		var out bytes.Buffer
		cmd := newRootCmd(IO{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append(append([]string{}, p...), "--help"))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("castellan %s --help: %v", strings.Join(p, " "), err)
		}
		inFlags := false
		for _, line := range strings.Split(out.String(), "\n") {
			switch {
			case strings.HasSuffix(line, "Flags:"):
				inFlags = true
				continue
			case line == "":
				inFlags = false
			}
			if !inFlags || !strings.HasPrefix(strings.TrimSpace(line), "-") {
				continue
			}
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("castellan %s --help: flag line %q has stray words before its usage", strings.Join(p, " "), line)
				continue
			}
			if !typeWords[m[1]] {
				t.Errorf("castellan %s --help: flag line %q names value %q", strings.Join(p, " "), line, m[1])
			}
		}
	}
}
