// Package depstest holds the import rules of STYLE.md as a test, in the
// manner of tailscale's deptest: a package that imports what it must not
// fails the build's tests.
package depstest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/castellan-sts/castellan"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// isStd reports whether an import path belongs to the standard library.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) == 0 {
		t.Fatal("no packages listed")
	}
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		for _, d := range p.Deps {
			dn := rel(d)
			inModule := strings.HasPrefix(d, module)
			switch {
			// Rule 2: the public packages use only the standard library.
			case publicPackage(name) && !isStd(d) && !(inModule && publicPackage(dn)):
				t.Errorf("%s imports %s: sigv4/, policy/ and authorize/ must use only the standard library", name, d)
			// Rule 5: awserr is a leaf.
			case name == "internal/awserr" && !isStd(d):
				t.Errorf("%s imports %s: internal/awserr must be a leaf", name, d)
			// Authorization and the simulator gather policies in one place:
			// authz reads them through internal/perm, never the IAM service.
			case (name == "internal/authz" || name == "internal/perm") && dn == "internal/iam":
				t.Errorf("%s imports %s: policies are gathered by internal/perm, which authz and iam share", name, d)
			// Rule 6: the client imports nothing server-side.
			case strings.HasPrefix(name, "internal/client") && inModule && forbiddenForClient(dn):
				t.Errorf("%s imports %s: the client must not import server-side packages", name, d)
			}
		}
		for _, d := range p.Imports {
			dn := rel(d)
			if !strings.HasPrefix(d, module) {
				continue
			}
			switch {
			// Rule 8: test helpers stay in tests (go list reports non-test imports).
			case dn == "internal/store/storetest":
				t.Errorf("%s imports %s: storetest is for tests only", name, d)
			// Rules 1 and 4: only the composition root imports the backends.
			case (strings.HasPrefix(dn, "internal/store/sqlite") || strings.HasPrefix(dn, "internal/store/postgres")) && name != "internal/app" && !strings.HasPrefix(name, "internal/store/"):
				t.Errorf("%s imports %s: only internal/app wires store backends", name, d)
			case dn == "internal/app" && name != "internal/cli":
				t.Errorf("%s imports %s: only the CLI runs the composition root", name, d)
			case dn == "internal/cli" && name != "cmd/castellan":
				t.Errorf("%s imports %s: only main runs the CLI", name, d)
			}
		}
		// Rule 3: services do not speak HTTP.
		for _, svc := range []string{"internal/sts", "internal/iam", "internal/audit", "internal/monitor"} {
			if name != svc {
				continue
			}
			for _, d := range p.Imports {
				if d == "net/http" || d == module+"/internal/protocol" || d == module+"/internal/server" {
					t.Errorf("%s imports %s: services must not speak HTTP", name, d)
				}
			}
		}
	}
}

// publicPackage reports whether a module-relative package path is one of
// the public, standard-library-only packages or below one.
func publicPackage(rel string) bool {
	for _, p := range []string{"sigv4", "policy", "authorize"} {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

func forbiddenForClient(dn string) bool {
	for _, f := range []string{"internal/store", "internal/token", "internal/server", "internal/sts", "internal/iam", "internal/app", "internal/audit", "internal/authn"} {
		if dn == f || strings.HasPrefix(dn, f+"/") {
			return true
		}
	}
	return false
}
