package policy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDeriveOracleExceptions helps maintain testdata/oracle/exceptions.json
// after the fixtures are regenerated: with CASTELLAN_ORACLE_EXCEPTIONS set
// to a file name, it writes the disagreements it can attribute to a
// documented oracle error (see the "reasons" in exceptions.json) and fails
// on any other disagreement. Review the output, then merge its cases into
// exceptions.json.
func TestDeriveOracleExceptions(t *testing.T) {
	out := os.Getenv("CASTELLAN_ORACLE_EXCEPTIONS")
	if out == "" {
		t.Skip("set CASTELLAN_ORACLE_EXCEPTIONS=file to derive exceptions")
	}
	fx := loadOracle(t, oracleFixture)
	type ex struct {
		ID        int    `json:"id"`
		Action    string `json:"action"`
		Resource  string `json:"resource"`
		Principal string `json:"principal"`
		Oracle    string `json:"oracle"`
		Want      string `json:"want"`
		Reason    string `json:"reason"`
	}
	list := []ex{}
	for i := range fx.Cases {
		c := &fx.Cases[i]
		req, in := fx.input(t, c)
		r := Evaluate(req, in)
		got := oracleDecisions[r.Decision]
		if got == c.Expect {
			continue
		}
		e := ex{ID: c.ID, Action: c.Action, Resource: c.ResourceARN, Principal: c.Principal, Oracle: c.Expect, Want: got}
		ip := c.Context["aws:SourceIp"]
		switch {
		case in.Session != nil && got == "Allowed" && r.Type == ResourceBased && strings.Contains(fx.Docs[c.Resource], `"`+req.Principal.ARN+`"`):
			e.Reason = "session-principal"
		case len(ip) == 1 && strings.Contains(ip[0], ":"):
			e.Reason = "ipv6-not-in-ipv4"
		default:
			t.Errorf("case %d: got %s, oracle %s: no documented reason", c.ID, got, c.Expect)
			continue
		}
		list = append(list, e)
	}
	b, _ := json.MarshalIndent(list, "", " ")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d exceptions written to %s", len(list), out)
}
