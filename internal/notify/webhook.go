// Package notify delivers audit records to HTTP endpoints: batched,
// HMAC-signed and retried with backoff. It is kept apart from internal/audit
// so that the audit service itself never speaks HTTP.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
)

// Webhook delivery: records are POSTed in batches as
//
//	{"events":[<CloudTrail record>, …]}
//
// with Content-Type application/json and two headers:
//
//	X-Castellan-Timestamp: <unix seconds>
//	X-Castellan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver recomputes the HMAC over the timestamp and the raw body,
// compares in constant time and rejects stale timestamps. Any non-2xx answer
// or transport error is retried with exponential backoff.
const (
	HeaderTimestamp = "X-Castellan-Timestamp"
	HeaderSignature = "X-Castellan-Signature"
)

// Limits of a Webhook.
const (
	webhookBatch       = 500
	webhookMaxPending  = 100_000
	webhookFlushEvery  = time.Second
	webhookMinBackoff  = 500 * time.Millisecond
	webhookMaxBackoff  = time.Minute
	webhookMaxAttempts = 10
	webhookTimeout     = 10 * time.Second
)

// WebhookObserver counts deliveries (metrics.Audit).
type WebhookObserver interface {
	WebhookDelivery(webhook, outcome string)
}

// WebhookConfig configures a Webhook.
type WebhookConfig struct {
	Name     string // "audit" or "notify", for metrics and logs
	URL      string
	Secret   string
	Client   *http.Client
	Logger   *slog.Logger
	Observer WebhookObserver
	Now      func() time.Time
}

// Webhook delivers records to an HTTP endpoint, batched, signed and
// retried. It is an audit.Follower and a monitor.Notifier: Enqueue never blocks.
type Webhook struct {
	cfg WebhookConfig

	mu      sync.Mutex
	pending [][]byte
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// NewWebhook starts a webhook deliverer; Close flushes and stops it.
func NewWebhook(cfg WebhookConfig) *Webhook {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: webhookTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Webhook{cfg: cfg, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Enqueue implements audit.Follower and monitor.Notifier.
func (w *Webhook) Enqueue(batch []audit.Record) {
	w.mu.Lock()
	for _, r := range batch {
		if len(w.pending) >= webhookMaxPending {
			w.pending = w.pending[1:]
			w.observe("dropped")
		}
		w.pending = append(w.pending, r.JSON)
	}
	n := len(w.pending)
	w.mu.Unlock()
	if n >= webhookBatch {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

func (w *Webhook) observe(outcome string) {
	if w.cfg.Observer != nil {
		w.cfg.Observer.WebhookDelivery(w.cfg.Name, outcome)
	}
}

// Close delivers what is pending (one attempt each) and stops.
func (w *Webhook) Close() error {
	close(w.stop)
	<-w.done
	return nil
}

func (w *Webhook) take() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.pending), webhookBatch)
	if n == 0 {
		return nil
	}
	b := w.pending[:n:n]
	w.pending = w.pending[n:]
	return b
}

func (w *Webhook) run() {
	defer close(w.done)
	t := time.NewTicker(webhookFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
			for b := w.take(); b != nil; b = w.take() {
				if w.post(ctx, b) != nil {
					w.observe("dropped")
					break
				}
			}
			cancel()
			return
		case <-t.C:
		case <-w.kick:
		}
		for b := w.take(); b != nil; b = w.take() {
			if !w.deliver(b) {
				return
			}
		}
	}
}

// deliver posts one batch, retrying with backoff; false when stopping.
func (w *Webhook) deliver(b [][]byte) bool {
	backoff := webhookMinBackoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
		err := w.post(ctx, b)
		cancel()
		if err == nil {
			w.observe("ok")
			return true
		}
		if attempt >= webhookMaxAttempts {
			w.observe("dropped")
			w.cfg.Logger.Error("webhook delivery failed; batch dropped", "webhook", w.cfg.Name, "events", len(b), "err", err)
			return true
		}
		w.observe("retry")
		w.cfg.Logger.Warn("webhook delivery failed; retrying", "webhook", w.cfg.Name, "attempt", attempt, "in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-w.stop:
			// Put the batch back for the final flush.
			w.mu.Lock()
			w.pending = append(b, w.pending...)
			w.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
			for x := w.take(); x != nil; x = w.take() {
				if w.post(ctx, x) != nil {
					break
				}
			}
			cancel()
			return false
		}
		backoff = min(backoff*2, webhookMaxBackoff)
	}
}

// Sign returns the X-Castellan-Signature value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *Webhook) post(ctx context.Context, recs [][]byte) error {
	var body bytes.Buffer
	body.WriteString(`{"events":[`)
	for i, r := range recs {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(r)
	}
	body.WriteString("]}")
	ts := w.cfg.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "castellan-webhook")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if w.cfg.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, body.Bytes()))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
