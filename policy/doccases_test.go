package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocCases runs the oracle's hand-written cases (testdata/oracle/doc-cases,
// see testdata/oracle/README.md), most of which encode an outcome stated in
// AWS's documentation (see each file's _source).
func TestDocCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/oracle/doc-cases/*.json")
	if len(files) == 0 {
		t.Fatal("no doc cases in testdata/oracle/doc-cases")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Expect     string            `json:"_expect"`
				Identity   []json.RawMessage `json:"identityPolicies"`
				Boundaries []json.RawMessage `json:"permissionBoundaries"`
				Resource   json.RawMessage   `json:"resourcePolicy"`
				Session    json.RawMessage   `json:"sessionPolicy"`
				Action     string            `json:"action"`
				ResARN     string            `json:"resource"`
				ResAcct    string            `json:"resourceAccount"`
				Principal  string            `json:"principal"`
				Context    map[string]any    `json:"context"`
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
			doc := func(raw json.RawMessage, k Kind) *Policy {
				var named struct {
					Policy json.RawMessage `json:"policy"`
				}
				if json.Unmarshal(raw, &named) == nil && named.Policy != nil {
					raw = named.Policy
				}
				p, err := Parse(string(raw), k)
				if err != nil {
					t.Fatalf("Parse(%s) = %v", raw, err)
				}
				return p
			}
			in := &Input{}
			for _, r := range c.Identity {
				in.Identity = append(in.Identity, doc(r, Identity))
			}
			if c.Boundaries != nil {
				in.Boundary = doc(c.Boundaries[0], Boundary)
			}
			if c.Session != nil {
				in.Session = []*Policy{doc(c.Session, Session)}
			}
			if c.Resource != nil {
				k := Resource
				if strings.HasPrefix(c.Action, "sts:AssumeRole") {
					k = Trust
				}
				in.Resource = doc(c.Resource, k)
			}
			ctx := ContextMap{}
			for k, v := range c.Context {
				switch v := v.(type) {
				case string:
					ctx.Set(k, v)
				case []any:
					var l []string
					for _, s := range v {
						l = append(l, s.(string))
					}
					ctx.Set(k, l...)
				}
			}
			resAcct := arnAccount(c.ResARN)
			if !isAccountID(resAcct) {
				resAcct = c.ResAcct
			}
			if resAcct == "" {
				resAcct = arnAccount(c.Principal)
			}
			in.CrossAccount = resAcct != arnAccount(c.Principal)
			req := &Request{Principal: Principal{ARN: c.Principal}, Action: c.Action, Resource: c.ResARN, Context: ctx}
			if strings.Contains(c.Principal, ":assumed-role/") {
				// arn:aws:sts::ACCT:assumed-role/ROLE/SESSION → role ARN
				parts := strings.Split(c.Principal, "/")
				req.Principal.RoleARN = "arn:aws:iam::" + arnAccount(c.Principal) + ":role/" + parts[1]
			}
			if got := oracleDecisions[Evaluate(req, in).Decision]; got != c.Expect {
				t.Errorf("Evaluate = %s, want %s", got, c.Expect)
			}
		})
	}
}
