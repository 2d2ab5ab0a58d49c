package operation

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/castellan-sts/castellan/internal/protocol"
)

var update = flag.Bool("update", false, "rewrite docs/authorization.md")

// unsupportedKeys are the condition keys the Service Authorization
// Reference lists for actions Castellan answers that cannot exist here:
// "KEY" for every action, "ACTION KEY" for one.
var unsupportedKeys = map[string]string{
	"iam:RegisterSecurityKey":                                "EnableMFADevice: only virtual TOTP devices exist (no FIDO security keys)",
	"iam:FIDO-FIPS-140-2-certification":                      "EnableMFADevice: no FIDO security keys",
	"iam:FIDO-FIPS-140-3-certification":                      "EnableMFADevice: no FIDO security keys",
	"iam:FIDO-certification":                                 "EnableMFADevice: no FIDO security keys",
	"www.amazon.com:app_id":                                  "Login with Amazon is an OAuth 2.0 provider (ProviderId); only OpenID Connect providers are served",
	"www.amazon.com:user_id":                                 "Login with Amazon is an OAuth 2.0 provider (ProviderId); only OpenID Connect providers are served",
	"graph.facebook.com:app_id":                              "Facebook is an OAuth 2.0 provider (ProviderId); only OpenID Connect providers are served",
	"graph.facebook.com:id":                                  "Facebook is an OAuth 2.0 provider (ProviderId); only OpenID Connect providers are served",
	"saml:namequalifier":                                     "AssumeRole: sessions from SAML (AssumeRoleWithSAML is not implemented)",
	"saml:sub":                                               "AssumeRole: sessions from SAML (AssumeRoleWithSAML is not implemented)",
	"saml:sub_type":                                          "AssumeRole: sessions from SAML (AssumeRoleWithSAML is not implemented)",
	"cognito-identity.amazonaws.com:amr":                     "AssumeRole: web-identity claims do not carry into sessions chained from a web-identity session",
	"cognito-identity.amazonaws.com:aud":                     "AssumeRole: web-identity claims do not carry into chained sessions",
	"cognito-identity.amazonaws.com:sub":                     "AssumeRole: web-identity claims do not carry into chained sessions",
	"accounts.google.com:aud":                                "AssumeRole: web-identity claims do not carry into chained sessions",
	"accounts.google.com:sub":                                "AssumeRole: web-identity claims do not carry into chained sessions",
	"accounts.google.com:oaud":                               "the issuer's claims become ${provider}:CLAIM; oaud only when Google's token has it",
	"sts:AssumeRoleWithWebIdentity aws:RequestTag/${TagKey}": "session tags of web identity come from the token's https://aws.amazon.com/tags claim, which Castellan does not read",
	"sts:AssumeRoleWithWebIdentity aws:TagKeys":              "as aws:RequestTag/* (token tags claim not read)",
	"sts:AssumeRoleWithWebIdentity sts:TransitiveTagKeys":    "as aws:RequestTag/* (token tags claim not read)",
	"sts:AssumeRoleWithWebIdentity sts:SourceIdentity":       "the token's https://aws.amazon.com/source_identity claim is not read",
}

// providerKey reports whether k is a web-identity provider's key
// ("accounts.google.com:aud"), which ${provider}:CLAIM covers for OpenID
// Connect issuers.
func providerKey(k string) bool {
	pfx, _, _ := strings.Cut(k, ":")
	return strings.Contains(pfx, ".")
}

func readReference(t *testing.T, service string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", service+".tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		for len(cols) < 3 {
			cols = append(cols, "")
		}
		out[cols[0]] = strings.Fields(cols[2])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every action's condition keys are the reference's, less those that
// cannot exist here; no entry claims a key the reference does not list.
func TestReferenceConditionKeys(t *testing.T) {
	for _, svc := range []string{"iam", "sts"} {
		ref := readReference(t, svc)
		for _, o := range All() {
			if o.Service != svc || o.Action == "" {
				continue
			}
			name := strings.TrimPrefix(o.Action, svc+":")
			want, ok := ref[name]
			if !ok {
				t.Errorf("%s: no row in testdata/%s.tsv", o.Action, svc)
				continue
			}
			var have []string
			generic := false
			for _, k := range o.Keys {
				if strings.HasPrefix(k, "${provider}:") {
					generic = true
					continue
				}
				have = append(have, k)
			}
			var need []string
			for _, k := range want {
				if _, no := unsupportedKeys[k]; no {
					continue
				}
				if _, no := unsupportedKeys[o.Action+" "+k]; no {
					continue
				}
				if providerKey(k) && generic {
					continue
				}
				need = append(need, k)
			}
			slices.Sort(have)
			slices.Sort(need)
			if !slices.Equal(have, need) {
				t.Errorf("%s keys = %v, want %v (reference %v)", o.Action, have, need, want)
			}
		}
	}
}

// The names an entry reads are members the botocore model defines for
// the operation, so nothing is derived from a member the model lacks.
func TestEntriesReadModelMembers(t *testing.T) {
	models := map[string]*protocol.Model{}
	for _, svc := range []string{"iam", "sts", "cloudtrail"} {
		m, err := protocol.LoadModel(svc)
		if err != nil {
			t.Fatal(err)
		}
		models[svc] = m
	}
	for _, o := range All() {
		mo := models[o.Service].Operations[o.Name]
		if mo == nil {
			t.Errorf("%s:%s: not in the model", o.Service, o.Name)
			continue
		}
		has := func(member string) bool {
			if mo.Input == nil {
				return false
			}
			for _, m := range mo.Input.Members {
				if m.Name == member {
					return true
				}
			}
			return false
		}
		for _, r := range o.Resources {
			for _, m := range []string{r.Name, r.Path} {
				if m != "" && !has(m) {
					t.Errorf("%s:%s reads %q, which the model does not define", o.Service, o.Name, m)
				}
			}
		}
		for _, k := range o.Keys {
			switch k {
			case "iam:PolicyARN":
				if !has("PolicyArn") {
					t.Errorf("%s sets iam:PolicyARN without a PolicyArn member", o.Name)
				}
			case "aws:RequestTag/${TagKey}":
				if !has("Tags") {
					t.Errorf("%s sets aws:RequestTag without a Tags member", o.Name)
				}
			case "aws:TagKeys":
				if !has("Tags") && !has("TagKeys") {
					t.Errorf("%s sets aws:TagKeys without Tags or TagKeys", o.Name)
				}
			case "iam:PermissionsBoundary":
				stored := len(o.Resources) > 0 && o.Resources[0].From == Stored && (o.Resources[0].Kind == User || o.Resources[0].Kind == Role)
				if !has("PermissionsBoundary") && !stored {
					t.Errorf("%s sets iam:PermissionsBoundary from neither a member nor a stored user or role", o.Name)
				}
			}
		}
		if o.ReadOnly != readOnlyByName(o.Name) {
			t.Errorf("%s: ReadOnly %v differs from CloudTrail's naming rule", o.Name, o.ReadOnly)
		}
	}
}

func TestMutatingIAMOpsHaveResources(t *testing.T) {
	for _, o := range All() {
		if o.Service == "iam" && !o.ReadOnly && len(o.Resources) == 0 {
			t.Errorf("%s has no resource", o.Name)
		}
	}
}

// docs/authorization.md is generated from the registry.
func TestAuthorizationDocCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "authorization.md")
	want := Markdown(unsupportedKeys)
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/operation -update)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./internal/operation -update", path)
	}
}
