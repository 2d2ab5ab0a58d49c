package policy

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly enforces that package policy imports only the
// standard library (STYLE.md, dependency rule 2).
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var pkg struct{ Deps []string }
	if err := json.Unmarshal(out, &pkg); err != nil {
		t.Fatal(err)
	}
	for _, d := range pkg.Deps {
		first, _, _ := strings.Cut(d, "/")
		if strings.Contains(first, ".") {
			t.Errorf("policy depends on %s; only the standard library is allowed", d)
		}
	}
}
