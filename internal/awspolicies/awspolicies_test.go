package awspolicies

import (
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/policy"
)

func TestCatalog(t *testing.T) {
	c := New()
	all, err := c.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1569 {
		t.Errorf("len(All()) = %d, want 1569 (1,643 less 74 deprecated)", len(all))
	}
	ids := map[string]bool{}
	for i, p := range all {
		if i > 0 && strings.ToLower(all[i-1].Name) > strings.ToLower(p.Name) {
			t.Errorf("All() not ordered at %q, %q", all[i-1].Name, p.Name)
		}
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if p.ARN != ARNPrefix+strings.TrimPrefix(p.Path, "/")+p.Name || !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
			t.Errorf("%s: path %q does not match", p.ARN, p.Path)
		}
		if p.UpdateDate.Before(p.CreateDate.Add(-time.Hour*24*365*20)) || p.CreateDate.IsZero() {
			t.Errorf("%s: dates %v %v", p.ARN, p.CreateDate, p.UpdateDate)
		}
		// Every embedded policy must compile: an attached one that did not
		// would fail every request of its principal.
		for _, k := range []policy.Kind{policy.Identity, policy.Boundary, policy.Session} {
			if _, err := policy.ParseAWSManaged(p.Document, k); err != nil {
				t.Errorf("%s (kind %v): %v", p.ARN, k, err)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		arn, path, version string
		ok                 bool
	}{
		{"arn:aws:iam::aws:policy/AdministratorAccess", "/", "v1", true},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", "/", "v188", true},
		{"arn:aws:iam::aws:policy/PowerUserAccess", "/", "v1", true},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "/service-role/", "", true},
		{"arn:aws:iam::aws:policy/aws-service-role/AWSECRPullThroughCacheServiceRolePolicy", "/aws-service-role/", "v1", true},
		{"arn:aws:iam::aws:policy/AWSCloudTrailFullAccess", "", "", false}, // deprecated
		{"arn:aws:iam::aws:policy/NoSuchPolicy", "", "", false},
		{"arn:aws:iam::123456789012:policy/AdministratorAccess", "", "", false},
	} {
		p, ok, err := c.Lookup(tc.arn)
		if err != nil || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v, want %v", tc.arn, ok, err, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.Path != tc.path || (tc.version != "" && p.DefaultVersion != tc.version) {
			t.Errorf("Lookup(%q) = path %q version %q, want %q %q", tc.arn, p.Path, p.DefaultVersion, tc.path, tc.version)
		}
	}
}
