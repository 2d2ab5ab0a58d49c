package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestSecurityLimitsDocumented keeps SECURITY.md's "## Limits and lockouts"
// table true: every flag it names exists on serve with the documented
// default and environment variable, every constant it names exists in the
// package's source with the documented value, and every flag is also
// documented in docs/configuration.md. A change to a default or a constant
// fails here until the document says the same.
func TestSecurityLimitsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(root, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := limitsTable(t, string(doc))
	if len(rows) < 30 {
		t.Fatalf("the Limits and lockouts table has %d rows; the parser or the document broke", len(rows))
	}
	flags := newServeCmd(IO{Getenv: func(string) string { return "" }}).Flags()
	consts := map[string]map[string]ast.Expr{}
	flagRE := regexp.MustCompile("`--([a-z0-9-]+)`")
	envRE := regexp.MustCompile("`(CASTELLAN_[A-Z0-9_]+)`")
	constRE := regexp.MustCompile("^constant `([a-z]+)\\.([A-Za-z0-9]+)`$")
	for _, r := range rows {
		limit, def, source, scope := r[0], r[1], r[2], r[3]
		if scope == "" || def == "" {
			t.Errorf("%q: empty default or scope", limit)
		}
		switch {
		case flagRE.MatchString(source):
			name := flagRE.FindStringSubmatch(source)[1]
			f := flags.Lookup(name)
			if f == nil {
				t.Errorf("%q: serve has no flag --%s", limit, name)
				continue
			}
			if env := envRE.FindStringSubmatch(source); env == nil || env[1] != "CASTELLAN_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")) {
				t.Errorf("%q: the environment variable of --%s is CASTELLAN_%s; the table says %q", limit, name, strings.ToUpper(strings.ReplaceAll(name, "-", "_")), source)
			}
			if !flagDefaultIs(f, def) {
				t.Errorf("%q: --%s defaults to %q; the table says %q", limit, name, f.DefValue, def)
			}
			if !strings.Contains(string(conf), "`--"+name+"`") {
				t.Errorf("--%s is in SECURITY.md but not in docs/configuration.md", name)
			}
		case constRE.MatchString(source):
			m := constRE.FindStringSubmatch(source)
			pkg, name := m[1], m[2]
			if consts[pkg] == nil {
				consts[pkg] = parseConsts(t, filepath.Join(root, "internal", pkg))
			}
			got, ok := evalConst(consts[pkg], consts[pkg][name])
			if !ok {
				t.Errorf("%q: no constant %s in internal/%s (or not a simple expression)", limit, name, pkg)
				continue
			}
			if want, ok := parseDocValue(def); !ok || want != got {
				t.Errorf("%q: %s.%s is %d; the table says %q", limit, pkg, name, got, def)
			}
		case source == "`GOMAXPROCS`":
			b, err := os.ReadFile(filepath.Join(root, "internal", "iam", "lockout.go"))
			if err != nil || !strings.Contains(string(b), "make(chan struct{}, runtime.GOMAXPROCS(0))") || def != "CPUs" {
				t.Errorf("%q: the hashing slots are no longer GOMAXPROCS", limit)
			}
		default:
			t.Errorf("%q: source %q names neither a flag nor a constant", limit, source)
		}
	}
}

// limitsTable returns the cells of the table under "## Limits and lockouts".
func limitsTable(t *testing.T, doc string) [][4]string {
	_, after, ok := strings.Cut(doc, "\n## Limits and lockouts\n")
	if !ok {
		t.Fatal(`SECURITY.md has no section "## Limits and lockouts"`)
	}
	if i := strings.Index(after, "\n## "); i >= 0 {
		after = after[:i]
	}
	var rows [][4]string
	header := true
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("table row with %d cells: %s", len(cells), line)
		}
		if header || strings.HasPrefix(cells[0], "---") {
			header = false
			continue
		}
		var r [4]string
		for i, c := range cells {
			r[i] = strings.TrimSpace(c)
		}
		rows = append(rows, r)
	}
	return rows
}

// flagDefaultIs compares a flag's default with the table's spelling of it:
// "none" for an empty string, "off"/"on" for booleans, durations in any
// unit Go parses.
func flagDefaultIs(f *pflag.Flag, def string) bool {
	switch f.Value.Type() {
	case "bool":
		return def == map[string]string{"false": "off", "true": "on"}[f.DefValue]
	case "duration":
		want, err1 := time.ParseDuration(def)
		got, err2 := time.ParseDuration(f.DefValue)
		return err1 == nil && err2 == nil && want == got
	case "string":
		if f.DefValue == "" {
			return def == "none"
		}
	}
	return f.DefValue == def
}

// parseDocValue reads "20", "2 KiB", "1 MiB", "5m", "1s" as an integer (byte
// counts in bytes, durations in nanoseconds).
func parseDocValue(s string) (int64, bool) {
	for unit, mult := range map[string]int64{" KiB": 1 << 10, " MiB": 1 << 20} {
		if n, ok := strings.CutSuffix(s, unit); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * mult, err == nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	d, err := time.ParseDuration(s)
	return int64(d), err == nil
}

// parseConsts returns the constant declarations of a package's non-test
// files by name.
func parseConsts(t *testing.T, dir string) map[string]ast.Expr {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	out := map[string]ast.Expr{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						out[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	return out
}

// evalConst evaluates the integer constant expressions the limits use:
// literals, other constants of the package, time units, + - * / <<.
func evalConst(consts map[string]ast.Expr, e ast.Expr) (int64, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.INT {
			return 0, false
		}
		v, err := strconv.ParseInt(e.Value, 0, 64)
		return v, err == nil
	case *ast.ParenExpr:
		return evalConst(consts, e.X)
	case *ast.Ident:
		if x, ok := consts[e.Name]; ok {
			return evalConst(consts, x)
		}
	case *ast.SelectorExpr:
		if p, ok := e.X.(*ast.Ident); ok && p.Name == "time" {
			d, ok := map[string]time.Duration{"Nanosecond": time.Nanosecond, "Millisecond": time.Millisecond, "Second": time.Second, "Minute": time.Minute, "Hour": time.Hour}[e.Sel.Name]
			return int64(d), ok
		}
	case *ast.BinaryExpr:
		x, ok1 := evalConst(consts, e.X)
		y, ok2 := evalConst(consts, e.Y)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch e.Op {
		case token.ADD:
			return x + y, true
		case token.SUB:
			return x - y, true
		case token.MUL:
			return x * y, true
		case token.QUO:
			if y != 0 {
				return x / y, true
			}
		case token.SHL:
			return x << y, true
		}
	}
	return 0, false
}
