package monitor

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

const testAccount = "123456789012"

// events is an Emitter and a Notifier that keeps what it is given.
type events struct {
	mu       sync.Mutex
	emitted  []*audit.Event
	durable  []bool
	notified []audit.Record
}

func (e *events) Emit(_ context.Context, durable bool, evs ...*audit.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.emitted = append(e.emitted, evs...)
	for range evs {
		e.durable = append(e.durable, durable)
	}
	return nil
}

func (e *events) Enqueue(batch []audit.Record) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notified = append(e.notified, batch...)
}

// names lists "EventName user key" of what was emitted since the last call.
func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.emitted {
		user, _ := ev.ServiceEventDetails["userName"].(string)
		key, _ := ev.ServiceEventDetails["accessKeyId"].(string)
		out = append(out, ev.EventName+" "+user+" "+key)
	}
	sort.Strings(out)
	e.emitted, e.durable, e.notified = nil, nil, nil
	return out
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	key := make([]byte, secret.MasterKeySize)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(context.Background(), store.Account{ID: testAccount, CreatedAt: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	return st
}

func addUser(t *testing.T, st *sqlite.Store, id, name string, at time.Time) {
	t.Helper()
	if err := st.CreateUser(context.Background(), store.User{AccountID: testAccount, ID: id, Name: name, Path: "/", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
}

func addKey(t *testing.T, st *sqlite.Store, id, userID, userName string, created time.Time) {
	t.Helper()
	k := store.AccessKey{AccountID: testAccount, ID: id, UserID: userID, UserName: userName,
		Secret: secret.New("s3cr3t-" + id), Status: store.KeyActive, CreatedAt: created}
	if err := st.CreateAccessKey(context.Background(), k, 2); err != nil {
		t.Fatal(err)
	}
}

// TestWatchRules: each rule reports its finding once (not on every run),
// auto-deactivation spares the root, and findings are durable and notified.
func TestWatchRules(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	addUser(t, st, "AIDAOLD00000000000001", "old", now.AddDate(-1, 0, 0))
	addUser(t, st, "AIDAFRESH000000000001", "fresh", now.AddDate(0, 0, -1))
	addKey(t, st, "AKIAOLD0000000000001", "AIDAOLD00000000000001", "old", now.AddDate(0, 0, -200))
	addKey(t, st, "AKIAFRESH00000000001", "AIDAFRESH000000000001", "fresh", now.AddDate(0, 0, -1))
	addKey(t, st, "AKIAROOT000000000001", "", "", now.AddDate(0, 0, -200))
	// The root key was used an hour ago (in use, so not unused); the fresh
	// key a minute ago.
	if err := st.RecordKeyUse(ctx, []store.KeyUse{
		{AccessKeyID: "AKIAROOT000000000001", At: now.Add(-time.Hour), Service: "sts", Region: "us-east-1"},
		{AccessKeyID: "AKIAFRESH00000000001", At: now.Add(-time.Minute), Service: "iam", Region: "us-east-1"},
	}); err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	var invalidated []string
	clock := now
	w := NewWatch(WatchConfig{
		Store: st, Emitter: ev, Notifier: ev, Account: testAccount, Now: func() time.Time { return clock },
		KeyMaxAge: 90 * 24 * time.Hour, KeyUnused: 90 * 24 * time.Hour, AutoDeactivateUnused: true,
		WatchRoot: true, WatchMFA: true,
		Invalidate: func(id string) { invalidated = append(invalidated, id) },
	})
	w.Check(ctx)
	ev.mu.Lock()
	for i, d := range ev.durable {
		if !d {
			t.Errorf("finding %d emitted without durability", i)
		}
	}
	if len(ev.notified) != len(ev.emitted) {
		t.Errorf("%d findings notified, %d emitted: every finding reaches the notification webhook", len(ev.notified), len(ev.emitted))
	}
	ev.mu.Unlock()
	got := strings.Join(ev.take(), "\n")
	want := strings.Join([]string{
		"AccessKeyAutoDeactivated old AKIAOLD0000000000001",
		"WatchAccessKeyTooOld old AKIAOLD0000000000001",
		"WatchAccessKeyTooOld root AKIAROOT000000000001",
		"WatchAccessKeyUnused old AKIAOLD0000000000001",
		"WatchRootKeyInUse root AKIAROOT000000000001",
		"WatchUserWithoutMFA fresh ",
		"WatchUserWithoutMFA old ",
		"WatchUserWithoutMFA root ",
	}, "\n")
	if got != want {
		t.Errorf("first run:\n%s\nwant:\n%s", got, want)
	}
	if len(invalidated) != 1 || invalidated[0] != "AKIAOLD0000000000001" {
		t.Errorf("invalidated %v, want only the deactivated user key", invalidated)
	}
	keys, err := st.ListAccessKeys(ctx, testAccount, "")
	if err != nil || len(keys) != 1 || keys[0].Status != store.KeyActive {
		t.Errorf("root keys %+v (%v): the root's key must never be deactivated", keys, err)
	}
	keys, err = st.ListAccessKeys(ctx, testAccount, "AIDAOLD00000000000001")
	if err != nil || len(keys) != 1 || keys[0].Status != store.KeyInactive {
		t.Errorf("old user's keys %+v (%v): want the unused key deactivated", keys, err)
	}

	// A second run an hour later finds the same state: nothing new to say.
	clock = now.Add(time.Hour)
	w.Check(ctx)
	if again := ev.take(); len(again) != 0 {
		t.Errorf("second run repeated findings: %v", again)
	}
}

// TestWatchRulesOff: a rule set to 0 or false reports nothing.
func TestWatchRulesOff(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	addUser(t, st, "AIDAOLD00000000000001", "old", now.AddDate(-1, 0, 0))
	addKey(t, st, "AKIAOLD0000000000001", "AIDAOLD00000000000001", "old", now.AddDate(0, 0, -400))
	ev := &events{}
	NewWatch(WatchConfig{Store: st, Emitter: ev, Account: testAccount, Now: func() time.Time { return now }}).Check(ctx)
	if got := ev.take(); len(got) != 0 {
		t.Errorf("rules off, findings %v", got)
	}
	keys, _ := st.ListAccessKeys(ctx, testAccount, "AIDAOLD00000000000001")
	if keys[0].Status != store.KeyActive {
		t.Error("a key was deactivated with auto-deactivation off")
	}
}

func TestMaskKey(t *testing.T) {
	for in, want := range map[string]string{"AKIAIOSFODNN7EXAMPLE": "AKIA…MPLE", "short": "short", "": ""} {
		if got := maskKey(in); got != want {
			t.Errorf("maskKey(%q) = %q, want %q", in, got, want)
		}
	}
}
