package notify

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
)

// receiver is an http.RoundTripper that records what a Webhook posts and
// answers with the next status of its script (200 once the script ends).
type receiver struct {
	mu       sync.Mutex
	statuses []int
	fail     int // transport errors to return before any status
	got      []posted
}

type posted struct {
	header http.Header
	body   []byte
}

func (r *receiver) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, posted{header: req.Header.Clone(), body: body})
	if r.fail > 0 {
		r.fail--
		return nil, errors.New("connection refused")
	}
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	return &http.Response{StatusCode: status, Status: strconv.Itoa(status), Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
}

func (r *receiver) posts() []posted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]posted(nil), r.got...)
}

// counter is a WebhookObserver.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) WebhookDelivery(_, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[outcome]++
}

func (c *counter) get(outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[outcome]
}

func records(ids ...string) []audit.Record {
	out := make([]audit.Record, len(ids))
	for i, id := range ids {
		out[i] = audit.Record{JSON: []byte(`{"eventID":"` + id + `"}`)}
	}
	return out
}

func eventIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var v struct {
		Events []struct {
			EventID string `json:"eventID"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body %q is not the documented JSON: %v", body, err)
	}
	var ids []string
	for _, e := range v.Events {
		ids = append(ids, e.EventID)
	}
	return ids
}

// TestWebhookBatchSigned: records enqueued within a flush interval arrive in
// one POST of {"events":[…]}, signed over timestamp "." body with the secret.
func TestWebhookBatchSigned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rcv := &receiver{}
		w := NewWebhook(WebhookConfig{Name: "audit", URL: "http://hook.example/in", Secret: "s3cr3t", Client: &http.Client{Transport: rcv}})
		w.Enqueue(records("a", "b"))
		w.Enqueue(records("c"))
		time.Sleep(webhookFlushEvery + time.Millisecond)
		synctest.Wait()
		got := rcv.posts()
		if len(got) != 1 {
			t.Fatalf("%d posts, want 1", len(got))
		}
		p := got[0]
		if ids := eventIDs(t, p.body); strings.Join(ids, ",") != "a,b,c" {
			t.Errorf("events %v, want a,b,c in order", ids)
		}
		if ct := p.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		ts, err := strconv.ParseInt(p.header.Get(HeaderTimestamp), 10, 64)
		if err != nil {
			t.Fatalf("timestamp header %q: %v", p.header.Get(HeaderTimestamp), err)
		}
		want := Sign("s3cr3t", ts, p.body)
		if !hmac.Equal([]byte(p.header.Get(HeaderSignature)), []byte(want)) {
			t.Errorf("signature %q, want %q", p.header.Get(HeaderSignature), want)
		}
		if Sign("other", ts, p.body) == want {
			t.Error("the signature does not depend on the secret")
		}
		w.Close()
	})
}

// TestWebhookNoSecretNoSignature: without a secret nothing claims to sign.
func TestWebhookNoSecretNoSignature(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rcv := &receiver{}
		w := NewWebhook(WebhookConfig{URL: "http://hook.example/in", Client: &http.Client{Transport: rcv}})
		w.Enqueue(records("a"))
		w.Close()
		got := rcv.posts()
		if len(got) != 1 {
			t.Fatalf("%d posts, want 1 (Close flushes)", len(got))
		}
		if s := got[0].header.Get(HeaderSignature); s != "" {
			t.Errorf("signature %q sent without a secret", s)
		}
	})
}

// TestWebhookRetriesWithBackoff: failures (transport errors, non-2xx) are
// retried with doubling delays until the receiver accepts; nothing is lost.
func TestWebhookRetriesWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rcv := &receiver{fail: 1, statuses: []int{500, 503}}
		obs := &counter{}
		w := NewWebhook(WebhookConfig{URL: "http://hook.example/in", Client: &http.Client{Transport: rcv}, Observer: obs})
		defer w.Close()
		w.Enqueue(records("x"))
		time.Sleep(webhookFlushEvery)
		synctest.Wait()
		// Attempt 1 fails at the flush, attempt 2 half a second later, attempt
		// 3 a second after that, attempt 4 two seconds after that.
		steps := []struct {
			after time.Duration
			want  int
		}{
			{0, 1},
			{webhookMinBackoff - time.Millisecond, 1},
			{time.Millisecond, 2},
			{2*webhookMinBackoff - time.Millisecond, 2},
			{time.Millisecond, 3},
			{4*webhookMinBackoff - time.Millisecond, 3},
			{time.Millisecond, 4},
			{time.Hour, 4},
		}
		for _, st := range steps {
			time.Sleep(st.after)
			synctest.Wait()
			if n := len(rcv.posts()); n != st.want {
				t.Fatalf("%d attempts, want %d (backoff doubles from %v)", n, st.want, webhookMinBackoff)
			}
		}
		got := rcv.posts()
		for i, p := range got {
			if ids := eventIDs(t, p.body); len(ids) != 1 || ids[0] != "x" {
				t.Errorf("attempt %d carried %v, want [x]", i+1, ids)
			}
		}
		if obs.get("retry") != 3 || obs.get("ok") != 1 || obs.get("dropped") != 0 {
			t.Errorf("outcomes %v, want retry 3, ok 1", obs.n)
		}
	})
}

// TestWebhookGivesUp: a receiver that never accepts costs a bounded number
// of attempts, then the batch is dropped and counted.
func TestWebhookGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		statuses := make([]int, 50)
		for i := range statuses {
			statuses[i] = 500
		}
		rcv := &receiver{statuses: statuses}
		obs := &counter{}
		w := NewWebhook(WebhookConfig{URL: "http://hook.example/in", Client: &http.Client{Transport: rcv}, Observer: obs})
		w.Enqueue(records("x"))
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := len(rcv.posts()); n != webhookMaxAttempts {
			t.Errorf("%d attempts, want %d", n, webhookMaxAttempts)
		}
		if obs.get("dropped") != 1 {
			t.Errorf("dropped %d, want 1", obs.get("dropped"))
		}
		w.Close()
	})
}

// TestWebhookBoundedQueue: a receiver that is down cannot make the queue
// grow without bound; the oldest records go first.
func TestWebhookBoundedQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &counter{}
		w := &Webhook{cfg: WebhookConfig{Observer: obs}, kick: make(chan struct{}, 1)}
		batch := make([]audit.Record, webhookMaxPending+10)
		for i := range batch {
			batch[i] = audit.Record{JSON: []byte(strconv.Itoa(i))}
		}
		w.Enqueue(batch)
		if len(w.pending) != webhookMaxPending {
			t.Fatalf("%d pending, want the bound %d", len(w.pending), webhookMaxPending)
		}
		if string(w.pending[0]) != "10" {
			t.Errorf("oldest kept is %s, want 10 (the first 10 dropped)", w.pending[0])
		}
		if obs.get("dropped") != 10 {
			t.Errorf("dropped %d, want 10", obs.get("dropped"))
		}
	})
}

// TestWebhookKickAtBatchSize: a full batch is sent at once, without waiting
// for the flush interval.
func TestWebhookKickAtBatchSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rcv := &receiver{}
		w := NewWebhook(WebhookConfig{URL: "http://hook.example/in", Client: &http.Client{Transport: rcv}})
		ids := make([]string, webhookBatch)
		for i := range ids {
			ids[i] = strconv.Itoa(i)
		}
		w.Enqueue(records(ids...))
		synctest.Wait()
		got := rcv.posts()
		if len(got) != 1 || len(eventIDs(t, got[0].body)) != webhookBatch {
			t.Fatalf("posts %d, want one full batch before the flush interval", len(got))
		}
		w.Close()
	})
}
