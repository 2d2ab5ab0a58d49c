package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recordingSink is a store-like sink that records what it is given.
type recordingSink struct {
	failingSink
	intents atomic.Int64
}

func (s *recordingSink) Write(ctx context.Context, b []Record) error {
	for _, r := range b {
		if r.Intent {
			s.intents.Add(1)
		}
	}
	return s.failingSink.Write(ctx, b)
}

// fileEvents reads every record of dir's audit files.
func fileEvents(t *testing.T, dir string) []*Event {
	t.Helper()
	var out []*Event
	for _, p := range mustFiles(t, dir) {
		if err := ReadFile(p, func(line []byte) error {
			e, err := ParseRecord(line)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			out = append(out, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestIntentReconciledAfterCrash: an intent whose event never came (the
// process died after the change committed) becomes an OutcomeUnknown event
// at the next open; one whose event came adds nothing; the journal is
// left empty; the intents never reach the store sink.
func TestIntentReconciledAfterCrash(t *testing.T) {
	dir := t.TempDir()
	now := t0
	clock := func() time.Time { return now }
	file, err := OpenFile(FileConfig{Dir: dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	st := &recordingSink{failingSink: failingSink{name: "store"}}
	au, err := New(Config{Sinks: []Sink{file, st}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := NewAPICall(t0, "req-done", "192.0.2.1", "ua", "123456789012")
	done.EventSource, done.EventName = "iam.amazonaws.com", "CreateUser"
	done.RequestParameters = map[string]any{"userName": "alice"}
	lost := NewAPICall(t0, "req-lost", "192.0.2.1", "ua", "123456789012")
	lost.EventSource, lost.EventName = "iam.amazonaws.com", "CreateUser"
	lost.RequestParameters = map[string]any{"userName": "bob"}
	for _, e := range []*Event{done, lost} {
		if err := au.Intend(ctx, e); err != nil {
			t.Fatalf("Intend(%s) = %v", e.RequestID, err)
		}
	}
	done.ResponseElements = map[string]any{"user": map[string]any{"userName": "alice"}}
	if err := au.Emit(ctx, true, done); err != nil {
		t.Fatal(err)
	}
	if err := au.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := st.intents.Load(); n != 0 {
		t.Errorf("the store sink received %d intent records, want 0", n)
	}
	// "Crash": the process stops here. Closing the auditor would be a
	// clean stop; the journal and files are what a kill leaves, since
	// both were fsync'd before Intend and Emit returned.
	if evs := fileEvents(t, dir); len(evs) != 1 {
		t.Fatalf("%d events in the files before the restart, want 1", len(evs))
	}
	file.Close()

	now = t0.Add(time.Minute)
	file, err = OpenFile(FileConfig{Dir: dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if got := file.Reconciled(); got != 1 {
		t.Errorf("Reconciled() = %d, want 1", got)
	}
	evs := fileEvents(t, dir)
	if len(evs) != 2 {
		t.Fatalf("%d events after the restart, want 2", len(evs))
	}
	ok, unknown := evs[0], evs[1]
	if ok.EventID != done.EventID || ok.ErrorCode != "" {
		t.Errorf("first event %s %q, want the completed call %s", ok.EventID, ok.ErrorCode, done.EventID)
	}
	if unknown.EventID != lost.EventID || unknown.ErrorCode != OutcomeUnknown || unknown.AdditionalEventData["outcome"] != "unknown" ||
		unknown.RequestParameters["userName"] != "bob" || unknown.ResponseElements != nil || time.Time(unknown.EventTime) != t0 {
		t.Errorf("reconciled event = %+v, want the lost CreateUser of bob with an unknown outcome at its own time", unknown)
	}
	if fi, err := os.Stat(filepath.Join(dir, journalName)); err != nil || fi.Size() != 0 {
		t.Errorf("journal after reconciliation: %v, %v; want empty", fi, err)
	}
	// A second restart adds nothing.
	file.Close()
	file, err = OpenFile(FileConfig{Dir: dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fileEvents(t, dir)); n != 2 || file.Reconciled() != 0 {
		t.Errorf("second restart: %d events, %d reconciled; want 2, 0", n, file.Reconciled())
	}
}

// TestIntentJournalTornAndCompacted: a torn intent (its write never
// returned, so its call never ran) is dropped; the journal is rewritten
// with only the pending intents once it is large.
func TestIntentJournalTornAndCompacted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, journalName), []byte(`{"eventVersion":"1.11","userIdentity":{"type":"Ro`), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := OpenFile(FileConfig{Dir: dir, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if file.Reconciled() != 0 || len(fileEvents(t, dir)) != 0 {
		t.Fatalf("a torn intent became an event")
	}
	ctx := context.Background()
	big := strings.Repeat("x", 4000)
	var pending *Event
	for i := range 600 { // 600 × ~4 KB: past journalCompactBytes
		e := NewAPICall(t0, "r", "", "", "123456789012")
		e.EventName = "PutUserPolicy"
		e.RequestParameters = map[string]any{"policyDocument": big}
		b, _ := e.Marshal()
		if err := file.Write(ctx, []Record{{Event: e, JSON: b, Intent: true}}); err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			pending = e // never completed
			continue
		}
		if err := file.Write(ctx, []Record{{Event: e, JSON: b}}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= journalCompactBytes {
		t.Errorf("journal is %d bytes after compaction, want < %d", fi.Size(), journalCompactBytes)
	}
	b, _ := os.ReadFile(filepath.Join(dir, journalName))
	if !strings.Contains(string(b), pending.EventID) {
		t.Errorf("compaction dropped the pending intent %s", pending.EventID)
	}
	file.Close()
	file, err = OpenFile(FileConfig{Dir: dir, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if got := file.Reconciled(); got != 1 {
		t.Errorf("Reconciled() = %d after compactions, want 1 (the pending intent)", got)
	}
}

// TestIntendFailsWithoutFile: with the file unwritable the intent is
// refused (the call must not run), and Ready says so, though the store
// still acknowledges events.
func TestIntendFailsWithoutFile(t *testing.T) {
	file := &intentFailingSink{failingSink{name: "file"}}
	st := &failingSink{name: "store"}
	au, err := New(Config{Sinks: []Sink{file, st}})
	if err != nil {
		t.Fatal(err)
	}
	defer au.Close()
	ctx := context.Background()
	file.fail.Store(true)
	if err := au.Intend(ctx, NewAPICall(t0, "r", "", "", "123456789012")); err != ErrUnavailable {
		t.Errorf("Intend with the file down = %v, want ErrUnavailable", err)
	}
	if err := au.Ready(ctx); err != ErrUnavailable {
		t.Errorf("Ready with the file down = %v, want ErrUnavailable", err)
	}
	if err := au.Emit(ctx, true, NewAPICall(t0, "r", "", "", "123456789012")); err != nil {
		t.Errorf("durable Emit with the store up = %v", err)
	}
}

type intentFailingSink struct{ failingSink }

func (*intentFailingSink) KeepsIntents() bool { return true }
