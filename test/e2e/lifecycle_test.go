package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/notify"
	"github.com/castellan-sts/castellan/internal/store"
)

// webhookReceiver collects signed webhook deliveries, checking signatures.
type webhookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []delivered
	srv    *httptest.Server
}

type delivered struct {
	at  time.Time
	rec record
}

func newWebhookReceiver(t *testing.T, secret string) *webhookReceiver {
	w := &webhookReceiver{t: t, secret: secret}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, err := strconv.ParseInt(r.Header.Get(notify.HeaderTimestamp), 10, 64)
		if err != nil || r.Header.Get(notify.HeaderSignature) != notify.Sign(secret, ts, body) {
			t.Errorf("webhook delivery with a bad signature: ts %q sig %q", r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature))
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		var payload struct {
			Events []record `json:"events"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("webhook payload: %v", err)
		}
		w.mu.Lock()
		for _, e := range payload.Events {
			w.got = append(w.got, delivered{time.Now(), e})
		}
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookReceiver) find(name, akid string) (delivered, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.got {
		if d.rec.EventName == name && d.rec.ServiceEventDetails["accessKeyId"] == akid {
			return d, true
		}
	}
	return delivered{}, false
}

// TestSessionLifecycle issues short credentials and sees issued → first
// used → expired recorded in order, and an expiry notice delivered to a
// webhook before the expiry.
func TestSessionLifecycle(t *testing.T) {
	hook := newWebhookReceiver(t, "notify-secret-for-tests")
	e := newEnv(t, func(c *config.Config) {
		c.MinSessionDuration = time.Second
		c.Audit.SweepInterval = 200 * time.Millisecond
		c.Audit.NotifyURL = hook.srv.URL
		c.Audit.NotifySecret = hook.secret
	})
	ctx := context.Background()
	gst, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	temp := tempCreds(gst.Credentials)
	expiry := aws.ToTime(gst.Credentials.Expiration)
	time.Sleep(600 * time.Millisecond) // the first use comes after the issue
	if _, err := e.sts(temp).GetCallerIdentity(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A refresh: a second session for the same principal while the first lives.
	if _, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}

	// The session index lists it while it lives.
	list, err := e.app.Store().ListSessions(ctx, sessionOpts(time.Now()))
	if err != nil || !slices.ContainsFunc(list, func(x sessionRow) bool { return x.AccessKeyID == temp.AccessKeyID }) {
		t.Errorf("ListSessions = %v, %v; want %s", list, err, temp.AccessKeyID)
	}

	got := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, temp.AccessKeyID, func(ls []looked) bool {
		return slices.ContainsFunc(ls, func(l looked) bool { return l.rec.EventName == "SessionExpired" })
	})
	slices.Reverse(got) // oldest first
	var life []string
	for _, l := range got {
		if l.rec.EventType == "AwsServiceEvent" {
			life = append(life, l.rec.EventName)
		}
	}
	pos := func(name string) int { return slices.Index(life, name) }
	if pos("SessionIssued") < 0 || pos("SessionFirstUsed") < pos("SessionIssued") || pos("SessionExpired") < pos("SessionFirstUsed") ||
		pos("WatchSessionExpiring") < 0 || pos("WatchSessionExpiring") > pos("SessionExpired") {
		t.Errorf("lifecycle of %s = %v, want SessionIssued, SessionFirstUsed, WatchSessionExpiring before SessionExpired", temp.AccessKeyID, life)
	}
	for _, l := range got {
		if l.rec.EventName == "SessionExpired" {
			if l.rec.ServiceEventDetails["used"] != true || l.rec.EventTime != expiry.UTC().Format(time.RFC3339) {
				t.Errorf("SessionExpired event: %s", l.raw)
			}
		}
	}
	refreshed := e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "SessionRefreshed", func(ls []looked) bool { return len(ls) == 1 })
	if prev, _ := refreshed[0].rec.ServiceEventDetails["previousAccessKeyIds"].([]any); len(prev) != 1 || prev[0] != temp.AccessKeyID {
		t.Errorf("SessionRefreshed: %s", refreshed[0].raw)
	}

	d, ok := hook.find("WatchSessionExpiring", temp.AccessKeyID)
	if !ok {
		t.Fatalf("no expiry notice for %s reached the webhook", temp.AccessKeyID)
	}
	if !d.at.Before(expiry) {
		t.Errorf("expiry notice delivered at %v, after the expiry %v", d.at, expiry)
	}
}

// TestCredentialReport checks the state machine, the exact header and that
// Python's csv module parses the report.
func TestCredentialReport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); apiCode(err) != "ReportNotPresent" {
		t.Fatalf("GetCredentialReport before generation: %v, want ReportNotPresent", err)
	}
	e.newUser(t, "alice")
	e.newUser(t, "bob")
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-9-battery")}); err != nil {
		t.Fatal(err)
	}
	g, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil || g.State != "STARTED" {
		t.Fatalf("GenerateCredentialReport = %v, %v; want STARTED", g, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err = c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			t.Fatal(err)
		}
		if g.State == "COMPLETE" {
			break
		}
		if g.State != "INPROGRESS" || time.Now().After(deadline) {
			t.Fatalf("GenerateCredentialReport state %s", g.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if r.ReportFormat != "text/csv" || r.GeneratedTime == nil {
		t.Errorf("ReportFormat %q, GeneratedTime %v", r.ReportFormat, r.GeneratedTime)
	}
	const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	first, _, _ := strings.Cut(string(r.Content), "\n")
	if first != header {
		t.Errorf("header:\n got %s\nwant %s", first, header)
	}
	py := exec.Command("python3", "-c", `
import csv, json, sys
rows = list(csv.DictReader(sys.stdin))
assert all(len(r) == 22 for r in rows), [len(r) for r in rows]
print(json.dumps(rows))`)
	py.Stdin = bytes.NewReader(r.Content)
	out, err := py.Output()
	if err != nil {
		t.Fatalf("python3 csv: %v\n%s", err, r.Content)
	}
	var rows []map[string]string
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	by := map[string]map[string]string{}
	for _, row := range rows {
		by[row["user"]] = row
	}
	if len(rows) != 3 || by["<root_account>"]["arn"] != "arn:aws:iam::"+e.app.AccountID()+":root" || by["<root_account>"]["password_enabled"] != "not_supported" {
		t.Errorf("rows: %v", rows)
	}
	if b := by["bob"]; b["access_key_1_active"] != "true" || b["access_key_2_active"] != "true" || b["password_enabled"] != "false" {
		t.Errorf("bob: %v", b)
	}
	if a := by["alice"]; a["password_enabled"] != "true" || a["access_key_2_active"] != "false" || a["access_key_2_last_rotated"] != "N/A" {
		t.Errorf("alice: %v", a)
	}
	if _, err := time.Parse("2006-01-02T15:04:05-07:00", by["alice"]["user_creation_time"]); err != nil {
		t.Errorf("user_creation_time %q: %v", by["alice"]["user_creation_time"], err)
	}
}

type sessionRow = store.IssuedSession

func sessionOpts(now time.Time) store.SessionListOptions { return store.SessionListOptions{Now: now} }

// TestSessionRevokedRecorded: a revocation through the shared deny set
// (castellan sessions revoke) is recorded once as SessionRevoked and the
// session leaves the active list.
func TestSessionRevokedRecorded(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Audit.SweepInterval = 200 * time.Millisecond })
	ctx := context.Background()
	gst, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	akid := aws.ToString(gst.Credentials.AccessKeyId)
	e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, akid, func(ls []looked) bool {
		return slices.ContainsFunc(ls, func(l looked) bool { return l.rec.EventName == "SessionIssued" })
	})
	time.Sleep(time.Second) // the index is written in batches
	now := time.Now().UTC()
	if err := e.app.Store().PutRevocation(ctx, store.Revocation{Kind: store.RevokeKey, Subject: akid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, akid, func(ls []looked) bool {
		return slices.ContainsFunc(ls, func(l looked) bool { return l.rec.EventName == "SessionRevoked" })
	})
	time.Sleep(600 * time.Millisecond) // more sweeps: still one event
	n := 0
	for _, l := range e.lookup(t, cttypes.LookupAttributeKeyAccessKeyId, akid, 50) {
		if l.rec.EventName == "SessionRevoked" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("SessionRevoked recorded %d times, want once (%d events)", n, len(got))
	}
	list, err := e.app.Store().ListSessions(ctx, store.SessionListOptions{Now: time.Now()})
	if err != nil || slices.ContainsFunc(list, func(x store.IssuedSession) bool { return x.AccessKeyID == akid }) {
		t.Errorf("revoked session still listed as active: %v, %v", list, err)
	}
}
