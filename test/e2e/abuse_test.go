package e2e

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/castellan-sts/castellan/internal/config"
)

// clientFrom returns an HTTP client whose connections come from the
// loopback address ip (127.0.0.2 …), so a test can be two clients.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}
}

func (e *env) metricsText(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

const throttlingXML = `<Code>Throttling</Code><Message>Rate exceeded</Message>`

// TestFailedAuthLimitPerKey: 20 failed authentications of one access key id
// in a minute, then every request presenting it gets Throttling "Rate
// exceeded" (also a correctly signed one), audited once per window and
// counted; other keys are unaffected; a minute later the key works again.
func TestFailedAuthLimitPerKey(t *testing.T) {
	e := newEnv(t)
	alice := e.newUser(t, "alice")
	wrong := aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "not-alices-secret-0123456789abcdef"}
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for i := range 20 {
		status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, wrong)
		if status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("failure %d: HTTP %d %s", i+1, status, body)
		}
	}
	for i := range 10 {
		status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, alice)
		if status != 400 || !strings.Contains(body, throttlingXML) || !strings.Contains(body, "<Type>Sender</Type>") {
			t.Fatalf("request %d over the limit: HTTP %d %s, want 400 Throttling", i+1, status, body)
		}
	}
	// The JSON protocol renders it in its form.
	_, err := e.cloudtrail(alice).LookupEvents(context.Background(), nil)
	if apiCode(err) != "ThrottlingException" || !strings.Contains(err.Error(), "Rate exceeded") || !strings.Contains(err.Error(), "StatusCode: 400") {
		t.Errorf("LookupEvents over the limit: %v, want 400 ThrottlingException Rate exceeded", err)
	}
	// Another key, from the same address, is not limited.
	if status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, e.root); status != 200 {
		t.Fatalf("root while alice is limited: HTTP %d %s", status, body)
	}
	// One audited decision, not one event per refusal.
	evs := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, alice.AccessKeyID, func(ls []looked) bool { return len(ls) >= 21 })
	throttled := 0
	for _, l := range evs {
		if l.rec.ErrorCode == "Throttling" {
			throttled++
			if !strings.Contains(l.raw, `"limitedBy":"access_key"`) {
				t.Errorf("throttling event lacks its decision: %s", l.raw)
			}
		}
	}
	if throttled != 1 {
		t.Errorf("%d Throttling events for 11 refusals, want 1 (once per window)", throttled)
	}
	m := e.metricsText(t)
	for _, want := range []string{`castellan_auth_throttled_total{limit="access_key"} 11`, `castellan_auth_limit_decisions_total{limit="access_key"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The bucket refills: a minute later the key works.
	e.clock.Set(time.Now().Add(61 * time.Second))
	if status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, alice); status != 200 {
		t.Fatalf("a minute later: HTTP %d %s", status, body)
	}
}

// TestFailedAuthLimitPerAddress: 100 failures from one address with
// ever-new key ids, then that address gets Throttling before its requests
// are verified; another address signs as usual.
func TestFailedAuthLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	attacker := clientFrom("127.0.0.2")
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for i := range 100 {
		k := aws.Credentials{AccessKeyID: fmt.Sprintf("AKIAROTATING%08d", i), SecretAccessKey: "x-0123456789abcdef0123456789"}
		if status, body, _ := e.rawCallFrom(t, attacker, http.MethodPost, "sts", gci, k); status != 403 {
			t.Fatalf("failure %d: HTTP %d %s", i+1, status, body)
		}
	}
	k := aws.Credentials{AccessKeyID: "AKIAROTATINGFRESH001", SecretAccessKey: "x-0123456789abcdef0123456789"}
	if status, body, _ := e.rawCallFrom(t, attacker, http.MethodPost, "sts", gci, k); status != 400 || !strings.Contains(body, throttlingXML) {
		t.Fatalf("101st failure from the address: HTTP %d %s, want 400 Throttling", status, body)
	}
	if status, body, _ := e.rawCallFrom(t, attacker, http.MethodGet, "sts", gci, aws.Credentials{}); status != 400 || !strings.Contains(body, throttlingXML) {
		t.Fatalf("unsigned request from the limited address: HTTP %d %s, want 400 Throttling", status, body)
	}
	if status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, e.root); status != 200 {
		t.Fatalf("root from another address: HTTP %d %s", status, body)
	}
	if m := e.metricsText(t); !strings.Contains(m, `castellan_auth_throttled_total{limit="source_address"} 2`) {
		t.Errorf("/metrics lacks castellan_auth_throttled_total{limit=\"source_address\"} 2")
	}
}

// TestFailedAuthLimitsOff: 0 turns the limits off.
func TestFailedAuthLimitsOff(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Limits.AuthFailuresPerKey, c.Limits.AuthFailuresPerAddress = 0, 0 })
	wrong := aws.Credentials{AccessKeyID: e.root.AccessKeyID, SecretAccessKey: "not-the-root-secret-0123456789abcdef"}
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	for i := range 150 {
		if status, body, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, wrong); status != 403 {
			t.Fatalf("failure %d with limits off: HTTP %d %s", i+1, status, body)
		}
	}
}

// dirBytes is the size of every file under dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// TestAnonymousFloodBoundedAudit: 10,000 unauthenticated requests with a
// 100 KiB parameter each, from one address, with the failure limits off
// (so only the bounded summary and the per-address sampling hold the
// line), grow the data dir (audit files and store) by less than 5 MiB,
// while signed requests from another address keep working.
func TestAnonymousFloodBoundedAudit(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	e := newEnv(t, func(c *config.Config) { c.Limits.AuthFailuresPerKey, c.Limits.AuthFailuresPerAddress = 0, 0 })
	// Settle the bootstrap's writes before measuring.
	e.waitLookup(t, "", "", func(ls []looked) bool { return true })
	before := dirBytes(t, e.dataDir)

	big := strings.Repeat("p", 100<<10)
	body := url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"flood"}, "Path": {"/" + big + "/"}}.Encode()
	attacker := clientFrom("127.0.0.2")
	var sent, signedOK, signedFail atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // the legitimate client, throughout
		gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if status, _, _ := e.rawCallFrom(t, http.DefaultClient, http.MethodPost, "sts", gci, e.root); status == 200 {
				signedOK.Add(1)
			} else {
				signedFail.Add(1)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	var fwg sync.WaitGroup
	for range 4 {
		fwg.Go(func() {
			for sent.Add(1) <= int64(n) {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := attacker.Do(req)
				if err != nil {
					t.Errorf("flood request: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 403 {
					t.Errorf("flood request: HTTP %d, want 403 MissingAuthenticationToken", resp.StatusCode)
					return
				}
			}
		})
	}
	fwg.Wait()
	close(stop)
	wg.Wait()
	if signedOK.Load() == 0 || signedFail.Load() != 0 {
		t.Errorf("signed requests during the flood: %d ok, %d failed", signedOK.Load(), signedFail.Load())
	}
	// Let the queued events reach the sinks.
	time.Sleep(1500 * time.Millisecond)
	after := dirBytes(t, e.dataDir)
	grew := after - before
	t.Logf("%d anonymous requests of 100 KiB: data dir grew by %d bytes (%.1f bytes/request)", n, grew, float64(grew)/float64(n))
	if grew >= 5<<20 {
		t.Errorf("data dir grew by %d bytes, want < 5 MiB", grew)
	}
	// What was written is a bounded summary with the sampled-out count.
	evs := e.lookup(t, cttypes.LookupAttributeKeyEventName, "CreateUser", 50)
	if len(evs) == 0 {
		t.Fatal("no CreateUser failure audited at all")
	}
	counted := false
	for _, l := range evs {
		if len(l.raw) > 2<<10 {
			t.Errorf("failed-authentication event of %d bytes, want ≤ 2 KiB: %.300s", len(l.raw), l.raw)
		}
		if l.rec.RequestParameters != nil || strings.Contains(l.raw, "ppppp") {
			t.Errorf("failed-authentication event carries the parameters: %.300s", l.raw)
		}
		if strings.Contains(l.raw, "failedAuthEventsSampledOut") {
			counted = true
		}
	}
	if !counted && n > 100 {
		t.Error("no event counts the sampled-out ones")
	}
}
