package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/identity"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func sampleEvents() []*Event {
	nasty := "a\"b\\c\nd\re\tf\x01g<h>&i\u2028j\u2029k é 漢 \xff end"
	api := NewAPICall(t0, "req-1", "192.0.2.1", nasty, "123456789012")
	api.EventSource, api.EventName, api.AWSRegion = "sts.amazonaws.com", "AssumeRole", "us-east-1"
	api.UserIdentity = IdentityOf(&identity.Principal{
		Type: identity.AssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s",
		UserID: "AROAEXAMPLE:s", AccessKeyID: "ASIAEXAMPLE",
		Session: &identity.Session{RoleARN: "arn:aws:iam::123456789012:role/r", RoleName: "r", RoleID: "AROAEXAMPLE",
			AccountID: "123456789012", IssuedAt: t0, MFA: true, SourceIdentity: "alice", WebIdentityProvider: "token.actions.githubusercontent.com"},
	})
	api.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::123456789012:role/r", "durationSeconds": int64(900), "tags": []any{map[string]any{"key": "k", "value": nasty}}}
	api.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA2", "expiration": Date(t0)}}
	api.Resources = []Resource{{ARN: "arn:aws:iam::123456789012:role/r", AccountID: "123456789012", Type: "AWS::IAM::Role"}, {Type: "AWS::IAM::AccessKey", Name: "AKIA"}}
	api.TLSDetails = &TLSDetails{TLSVersion: "TLSv1.3", ClientProvidedHostHeader: "sts.example"}
	api.APIVersion = "2011-06-15"

	failed := NewAPICall(t0, "req-2", "192.0.2.2", "ua", "123456789012")
	failed.EventSource, failed.EventName = "iam.amazonaws.com", "CreateUser"
	failed.UserIdentity.AccessKeyID = "AKIAUNKNOWN"
	failed.SetError("AccessDenied", nasty)
	failed.AdditionalEventData = map[string]any{"encodedAuthorizationMessage": "x"}

	fed := NewAPICall(t0, "", "", "", "123456789012")
	fed.UserIdentity = IdentityOf(&identity.Principal{Type: identity.FederatedUser, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:federated-user/bob",
		Session: &identity.Session{FederatedName: "bob", AccountID: "123456789012", UserARN: "arn:aws:iam::123456789012:user/u", UserName: "u", PrincipalID: "AIDA"}})

	svc := NewServiceEvent(t0, "sts.amazonaws.com", "SessionExpired", "123456789012", map[string]any{"accessKeyId": "ASIA", "used": true})
	return []*Event{api, failed, fed, svc}
}

// TestMarshalMatchesEncodingJSON: the hand-written encoder writes what
// encoding/json writes for Event (without HTML escaping).
func TestMarshalMatchesEncodingJSON(t *testing.T) {
	for _, e := range sampleEvents() {
		got, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		type plain Event // no Marshal method: encoding/json's reflection
		if err := enc.Encode((*plain)(e)); err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes HTML inside the maps it encodes for us too.
		w := strings.TrimSuffix(want.String(), "\n")
		if !json.Valid(got) {
			t.Fatalf("Marshal(%s) is not valid JSON: %s", e.EventName, got)
		}
		var a, b any
		_ = json.Unmarshal(got, &a)
		_ = json.Unmarshal([]byte(w), &b)
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("Marshal(%s) differs from encoding/json (-want +got):\n%s", e.EventName, diff)
		}
		if e.RequestParameters == nil && e.ResponseElements == nil && e.AdditionalEventData == nil && string(got) != w {
			t.Errorf("Marshal(%s):\n got %s\nwant %s", e.EventName, got, w)
		}
	}
}

func TestElementsDropsSecrets(t *testing.T) {
	type creds struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      time.Time
	}
	type out struct {
		Credentials *creds
		Password    string
		QRCodePNG   []byte
		Name        string `xml:"UserName"`
		Count       int
		Empty       string
	}
	got := Elements(&out{Credentials: &creds{"ASIA1", "secret", "token", t0}, Password: "pw", QRCodePNG: []byte{1}, Name: "n", Count: 3})
	want := map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA1", "expiration": Date(t0)}, "userName": "n", "count": int64(3)}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b Date) bool { return a.Time().Equal(b.Time()) })); diff != "" {
		t.Errorf("Elements (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"expiration":"Mar 4, 2026, 5:06:07 AM"`) {
		t.Errorf("expiration format: %s", b)
	}
}

// failingSink fails while fail is set.
type failingSink struct {
	name   string
	fail   atomic.Bool
	writes atomic.Int64
	events atomic.Int64
}

func (s *failingSink) Name() string { return s.name }
func (s *failingSink) Write(_ context.Context, b []Record) error {
	if s.fail.Load() {
		return errors.New("disk on fire")
	}
	s.writes.Add(1)
	s.events.Add(int64(len(b)))
	return nil
}
func (s *failingSink) Check(context.Context) error {
	if s.fail.Load() {
		return errors.New("still on fire")
	}
	return nil
}
func (s *failingSink) Close() error { return nil }

type countingObserver struct{ dropped atomic.Int64 }

func (o *countingObserver) QueueDepth(int)                              {}
func (o *countingObserver) SinkWrite(string, int, time.Duration, error) {}
func (o *countingObserver) Dropped(n int)                               { o.dropped.Add(int64(n)) }
func (o *countingObserver) Healthy(bool)                                {}

// gatedSink is a sink whose writes wait for its gate to open.
type gatedSink struct {
	failingSink
	gate chan struct{}
}

func (s *gatedSink) Write(ctx context.Context, b []Record) error {
	<-s.gate
	return s.failingSink.Write(ctx, b)
}

// TestAuditorLanes: a durable event is acknowledged by the first sink
// without waiting for a slower one behind it; Sync waits for every sink;
// the slower sink takes what queued meanwhile in few writes; Close flushes
// both.
func TestAuditorLanes(t *testing.T) {
	fast := &failingSink{name: "file"}
	slow := &gatedSink{failingSink: failingSink{name: "store"}, gate: make(chan struct{})}
	au, err := New(Config{Sinks: []Sink{fast, slow}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := func() *Event { return NewAPICall(t0, "r", "", "", "123456789012") }
	const n = 50
	for range n {
		if err := au.Emit(ctx, true, ev()); err != nil {
			t.Fatalf("durable Emit while the second sink is stuck = %v", err)
		}
	}
	if got := fast.events.Load(); got != n {
		t.Fatalf("first sink has %d events, want %d", got, n)
	}
	synced := make(chan error, 1)
	go func() { synced <- au.Sync(ctx) }()
	select {
	case err := <-synced:
		t.Fatalf("Sync returned (%v) while a sink had not written", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(slow.gate)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	if got := slow.events.Load(); got != n {
		t.Errorf("second sink has %d events after Sync, want %d", got, n)
	}
	// At most: one write stuck at the gate with the first event, one with
	// the rest that queued behind it, and one for the Sync.
	if got := slow.writes.Load(); got > 3 {
		t.Errorf("second sink wrote %d times for %d queued events, want them grouped", got, n)
	}
	if err := au.Emit(ctx, false, ev()); err != nil {
		t.Fatal(err)
	}
	if err := au.Close(); err != nil {
		t.Fatal(err)
	}
	if fast.events.Load() != n+1 || slow.events.Load() != n+1 {
		t.Errorf("after Close: sinks have %d and %d events, want %d", fast.events.Load(), slow.events.Load(), n+1)
	}
	if err := au.Emit(ctx, true, ev()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Emit after Close = %v, want ErrUnavailable", err)
	}
}

// TestAuditorFailClosed: with one sink down the other carries the trail;
// with both down durable emits fail and the Auditor reports unhealthy until
// a sink recovers.
func TestAuditorFailClosed(t *testing.T) {
	a1, a2 := &failingSink{name: "a"}, &failingSink{name: "b"}
	obs := &countingObserver{}
	au, err := New(Config{Sinks: []Sink{a1, a2}, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer au.Close()
	ctx := context.Background()
	ev := func() *Event { return NewAPICall(t0, "r", "", "", "123456789012") }
	a1.fail.Store(true)
	if err := au.Emit(ctx, true, ev()); err != nil {
		t.Fatalf("Emit with one sink up = %v", err)
	}
	if !au.Healthy() || obs.dropped.Load() != 0 {
		t.Errorf("healthy %v, dropped %d with one sink up", au.Healthy(), obs.dropped.Load())
	}
	a2.fail.Store(true)
	if err := au.Emit(ctx, true, ev()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Emit with no sink = %v, want ErrUnavailable", err)
	}
	if au.Healthy() || au.Ready(ctx) == nil || obs.dropped.Load() != 1 {
		t.Errorf("healthy %v, ready %v, dropped %d with no sink", au.Healthy(), au.Ready(ctx), obs.dropped.Load())
	}
	a2.fail.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for !au.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("Auditor did not recover after a sink came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := au.Emit(ctx, true, ev()); err != nil {
		t.Errorf("Emit after recovery = %v", err)
	}
	// Sink a missed the first and third events while b had them: it
	// catches up once back (the second, which no sink took, is dropped).
	a1.fail.Store(false)
	if err := au.Emit(ctx, true, ev()); err != nil {
		t.Fatal(err)
	}
	// Sink b acknowledged the last one; a catches up on its own lane.
	deadline = time.Now().Add(5 * time.Second)
	for a1.events.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := au.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := a1.events.Load(), int64(3); got != want {
		t.Errorf("sink a has %d events, want %d (the two it missed and the last)", got, want)
	}
	if got, want := a2.events.Load(), int64(3); got != want {
		t.Errorf("sink b has %d events, want %d (all but the one no sink took)", got, want)
	}
}

func TestFileSink(t *testing.T) {
	dir := t.TempDir()
	now := t0
	clock := func() time.Time { return now }
	rec := func(i int) Record {
		e := NewServiceEvent(now, "s", "E", "123456789012", map[string]any{"i": i})
		b, _ := e.Marshal()
		return Record{Event: e, JSON: b}
	}
	s, err := OpenFile(FileConfig{Dir: dir, MaxBytes: 1024, Retention: 48 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := s.Write(context.Background(), []Record{rec(i)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	files, _ := Files(dir)
	if len(files) < 2 {
		t.Fatalf("size rotation: %d files, want several", len(files))
	}
	// A torn line at the end of the newest file is cut off on open.
	last := files[len(files)-1]
	f, _ := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"eventVersion":"1.11","userIdent`)
	f.Close()
	now = now.Add(24 * time.Hour) // a new day
	s, err = OpenFile(FileConfig{Dir: dir, MaxBytes: 1024, Retention: 48 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), []Record{rec(99)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	n := 0
	for _, p := range mustFiles(t, dir) {
		if err := ReadFile(p, func(line []byte) error {
			if !json.Valid(line) {
				t.Errorf("%s: invalid line %q", p, line)
			}
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, fi.Mode())
		}
	}
	if n != 11 {
		t.Errorf("%d records, want 11", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit-2026-03-05.jsonl")); err != nil {
		t.Errorf("daily rotation: %v", err)
	}
	// Retention: three days later the first day's files go.
	now = now.Add(72 * time.Hour)
	s, _ = OpenFile(FileConfig{Dir: dir, MaxBytes: 1024, Retention: 48 * time.Hour, Now: clock})
	s.Close()
	for _, p := range mustFiles(t, dir) {
		if strings.Contains(p, "2026-03-04") || strings.Contains(p, "2026-03-05") {
			t.Errorf("%s outlived the retention", p)
		}
	}
}

func mustFiles(t *testing.T, dir string) []string {
	t.Helper()
	fs, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestNewEventID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 10000 {
		id := NewEventID()
		if len(id) != 36 || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("NewEventID() = %q: not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("NewEventID() repeated %q", id)
		}
		seen[id] = true
		if id[:13] < prev {
			t.Fatalf("NewEventID() = %q went back in time (after %q)", id, prev)
		}
		prev = id[:13]
	}
}
