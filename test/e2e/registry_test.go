package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/protocol"
	"github.com/castellan-sts/castellan/sigv4"
)

// Every operation of the STS, IAM and CloudTrail models has an entry in
// the operation registry, or answers NotImplemented.
func TestRegistryCoversModels(t *testing.T) {
	e := newEnv(t)
	for _, svc := range []string{"sts", "iam"} {
		m, err := protocol.LoadModel(svc)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for name := range m.Operations {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			r := e.raw(t, e.root, svc, url.Values{"Action": {name}, "Version": {m.Version}})
			if operation.Lookup(svc, name) == nil {
				if r.Status != http.StatusNotImplemented || r.Code != "NotImplemented" {
					t.Errorf("%s:%s has no registry entry but answers %d %s (%s)", svc, name, r.Status, r.Code, r.Message)
				}
			} else if r.Code == "NotImplemented" || r.Code == "InvalidAction" {
				t.Errorf("%s:%s has a registry entry but answers %s", svc, name, r.Code)
			}
		}
	}
	m, err := protocol.LoadModel("cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	for name := range m.Operations {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", bytes.NewReader([]byte("{}")))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."+name)
		c := sigv4.Credentials{AccessKeyID: e.root.AccessKeyID, SecretAccessKey: e.root.SecretAccessKey}
		if err := sigv4.Sign(req, []byte("{}"), c, "us-east-1", "cloudtrail", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		implemented := resp.StatusCode != http.StatusNotImplemented
		if (operation.Lookup("cloudtrail", name) != nil) != implemented {
			t.Errorf("cloudtrail:%s: registry entry %v, HTTP %d", name, operation.Lookup("cloudtrail", name) != nil, resp.StatusCode)
		}
	}
}
