package e2e

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/castellan-sts/castellan/internal/config"
)

// TestAccessKeyLifecycle: created, first used, rotated, deactivated,
// reactivated and deleted are recorded for the key, found by its id.
func TestAccessKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	k1 := e.newUser(t, "kim")
	time.Sleep(1100 * time.Millisecond) // events carry whole seconds: keep the steps apart
	if _, err := e.sts(k1).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	k2, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kim")})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []iamtypes.StatusType{iamtypes.StatusTypeInactive, iamtypes.StatusTypeActive, iamtypes.StatusTypeInactive} {
		if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: aws.String(k1.AccessKeyID), Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kim"), AccessKeyId: aws.String(k1.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"AccessKeyCreated", "AccessKeyFirstUsed", "AccessKeyDeactivated", "AccessKeyReactivated", "AccessKeyDeactivated", "AccessKeyDeleted"}
	got := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, k1.AccessKeyID, func(ls []looked) bool {
		return slices.ContainsFunc(ls, func(l looked) bool { return l.rec.EventName == "AccessKeyFirstUsed" })
	})
	slices.Reverse(got)
	var life []string
	for _, l := range got {
		if l.rec.EventType == "AwsServiceEvent" {
			life = append(life, l.rec.EventName)
			if l.rec.ServiceEventDetails["userName"] != "kim" && l.rec.EventName != "AccessKeyFirstUsed" {
				t.Errorf("%s: userName %v", l.rec.EventName, l.rec.ServiceEventDetails["userName"])
			}
		}
	}
	if !slices.Equal(life, want) {
		t.Errorf("lifecycle of %s = %v, want %v", k1.AccessKeyID, life, want)
	}
	rot := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, aws.ToString(k2.AccessKey.AccessKeyId), func(ls []looked) bool {
		return slices.ContainsFunc(ls, func(l looked) bool { return l.rec.EventName == "AccessKeyRotated" })
	})
	for _, l := range rot {
		if l.rec.EventName == "AccessKeyRotated" {
			if prev, _ := l.rec.ServiceEventDetails["previousAccessKeyIds"].([]any); len(prev) != 1 || prev[0] != k1.AccessKeyID {
				t.Errorf("AccessKeyRotated: %s", l.raw)
			}
		}
	}
}

// TestWatchRules: old and unused keys (auto-deactivated), root key use and
// users without MFA are each reported once, as events, notifications and
// metrics.
func TestWatchRules(t *testing.T) {
	hook := newWebhookReceiver(t, "watch-secret")
	e := newEnv(t, func(c *config.Config) {
		c.Audit.WatchInterval = time.Second
		c.Audit.KeyMaxAge = time.Second
		c.Audit.KeyUnused = 3 * time.Second
		c.Audit.AutoDeactivateUnused = true
		c.Audit.NotifyURL = hook.srv.URL
		c.Audit.NotifySecret = hook.secret
	})
	ctx := context.Background()
	lou := e.newUser(t, "lou")
	if _, err := e.sts(e.root).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatal(err)
	}
	wait := func(name string, match func(looked) bool) looked {
		t.Helper()
		var found looked
		e.waitLookup(t, cttypes.LookupAttributeKeyEventName, name, func(ls []looked) bool {
			for _, l := range ls {
				if match(l) {
					found = l
					return true
				}
			}
			return false
		})
		return found
	}
	byKey := func(id string) func(looked) bool {
		return func(l looked) bool { return l.rec.ServiceEventDetails["accessKeyId"] == id }
	}
	wait("WatchAccessKeyTooOld", byKey(lou.AccessKeyID))
	wait("WatchRootKeyInUse", byKey(e.root.AccessKeyID))
	wait("WatchUserWithoutMFA", func(l looked) bool { return l.rec.ServiceEventDetails["userName"] == "lou" })
	wait("WatchAccessKeyUnused", byKey(lou.AccessKeyID))
	wait("AccessKeyAutoDeactivated", byKey(lou.AccessKeyID))
	// The deactivated key is refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.sts(lou).GetCallerIdentity(ctx, nil)
		if apiCode(err) == "InvalidClientTokenId" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auto-deactivated key still works: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Findings are reported once per condition, however many sweeps ran.
	time.Sleep(2500 * time.Millisecond)
	for _, c := range []struct {
		name, field, value string
	}{
		{"WatchAccessKeyTooOld", "accessKeyId", lou.AccessKeyID},
		{"WatchAccessKeyTooOld", "accessKeyId", e.root.AccessKeyID},
		{"WatchUserWithoutMFA", "userName", "lou"},
		{"WatchRootKeyInUse", "accessKeyId", e.root.AccessKeyID},
	} {
		n := 0
		for _, l := range e.lookup(t, cttypes.LookupAttributeKeyEventName, c.name, 50) {
			if l.rec.ServiceEventDetails[c.field] == c.value {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s for %s reported %d times, want once", c.name, c.value, n)
		}
	}
	if _, ok := hook.find("WatchAccessKeyTooOld", lou.AccessKeyID); !ok {
		t.Error("no WatchAccessKeyTooOld notification reached the webhook")
	}
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`castellan_watch_findings_total{rule="AccessKeyTooOld"}`,
		`castellan_audit_dropped_total 0`,
		`castellan_audit_healthy 1`,
		`castellan_access_keys_by_age{age="lt_30d"}`,
		`castellan_audit_events_written_total{sink="file"}`,
		`castellan_audit_events_written_total{sink="store"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	resp, err = http.Get(e.srv.URL + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %v, %v", resp.Status, err)
	}
}
