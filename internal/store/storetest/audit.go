package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/store"
)

// auditTests cover store.AuditStore: audit events, the session index, key
// first uses, watch findings and the credential report.
var auditTests = []struct {
	name string
	run  func(t *testing.T, s store.Store)
}{
	{"AuditAppendAndReplayHelpers", testAuditAppendAndReplayHelpers},
	{"AuditLookupAttributes", testAuditLookupAttributes},
	{"AuditLookupPagesAndTime", testAuditLookupPagesAndTime},
	{"AuditPrune", testAuditPrune},
	{"AuditLookupLargeSegments", testAuditLookupLargeSegments},
	{"AuditLookupSharedSecond", testAuditLookupSharedSecond},
	{"AuditLookupOrderWithinSecond", testAuditLookupOrderWithinSecond},
	{"SessionIndexLifecycle", testSessionIndexLifecycle},
	{"SessionClaimExpiredConcurrent", testSessionClaimExpiredConcurrent},
	{"KeyFirstUses", testKeyFirstUses},
	{"WatchFindings", testWatchFindings},
	{"CredentialReport", testCredentialReport},
}

func auditEvent(n int, name string) store.AuditEvent {
	return store.AuditEvent{
		ID:          fmt.Sprintf("00000000-0000-7000-8000-%012d", n),
		Time:        at(n),
		Name:        name,
		Source:      "iam.amazonaws.com",
		Username:    fmt.Sprintf("user%d", n%3),
		AccessKeyID: fmt.Sprintf("AKIA%016d", n%2),
		ReadOnly:    n%2 == 0,
		Record:      []byte(fmt.Sprintf(`{"eventID":"%d"}`, n)),
	}
}

func ids(evs []store.AuditEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func testAuditAppendAndReplayHelpers(t *testing.T, s store.Store) {
	ctx := t.Context()
	if lt, err := s.LatestAuditEventTime(ctx); err != nil || !lt.IsZero() {
		t.Fatalf("LatestAuditEventTime(empty) = %v, %v; want zero", lt, err)
	}
	batch := []store.AuditEvent{auditEvent(1, "CreateUser"), auditEvent(2, "GetUser"), auditEvent(3, "GetUser")}
	batch[0].Resources = []store.AuditResource{{Type: "AWS::IAM::User", Name: "alice"}}
	batch[2].Time = batch[1].Time // same segment
	batch[2].Username, batch[2].AccessKeyID, batch[2].ReadOnly = batch[1].Username, batch[1].AccessKeyID, batch[1].ReadOnly
	n, err := s.AppendAuditEvents(ctx, batch)
	if err != nil || n != 3 {
		t.Fatalf("AppendAuditEvents = %d, %v; want 3, nil", n, err)
	}
	if _, err := s.AppendAuditEvents(ctx, []store.AuditEvent{auditEvent(4, "DeleteUser")}); err != nil {
		t.Fatal(err)
	}
	p, err := s.LookupAuditEvents(ctx, store.AuditQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{auditEvent(4, "").ID, auditEvent(3, "").ID, auditEvent(2, "").ID, auditEvent(1, "").ID}, ids(p.Items)); diff != "" {
		t.Errorf("lookup order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(batch[0], p.Items[3], cmpOpts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(batch[2], p.Items[1], cmpOpts); diff != "" {
		t.Errorf("round trip in a segment (-want +got):\n%s", diff)
	}
	lt, err := s.LatestAuditEventTime(ctx)
	if err != nil || !lt.Equal(at(4)) {
		t.Errorf("LatestAuditEventTime = %v, %v; want %v", lt, err, at(4))
	}
	have, err := s.AuditEventIDsSince(ctx, at(2))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{auditEvent(2, "").ID: true, auditEvent(3, "").ID: true, auditEvent(4, "").ID: true}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("AuditEventIDsSince (-want +got):\n%s", diff)
	}
}

func testAuditLookupAttributes(t *testing.T, s store.Store) {
	ctx := t.Context()
	var evs []store.AuditEvent
	for i := 1; i <= 12; i++ {
		e := auditEvent(i, []string{"CreateUser", "GetUser", "DeleteUser"}[i%3])
		if i%4 == 0 {
			e.Source = "sts.amazonaws.com"
			e.Resources = []store.AuditResource{{Type: "AWS::IAM::Role", Name: "arn:aws:iam::123456789012:role/r"}, {Type: "AWS::IAM::Role", Name: "r"}}
		}
		evs = append(evs, e)
	}
	if _, err := s.AppendAuditEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	filter := func(f func(store.AuditEvent) bool) []string {
		var out []string
		for _, e := range slices.Backward(evs) {
			if f(e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	tests := []struct {
		name string
		attr store.AuditAttribute
		val  string
		want func(store.AuditEvent) bool
	}{
		{"EventName", store.AuditEventName, "GetUser", func(e store.AuditEvent) bool { return e.Name == "GetUser" }},
		{"Username", store.AuditUsername, "user1", func(e store.AuditEvent) bool { return e.Username == "user1" }},
		{"AccessKeyId", store.AuditAccessKeyID, "AKIA0000000000000001", func(e store.AuditEvent) bool { return e.AccessKeyID == "AKIA0000000000000001" }},
		{"EventSource", store.AuditEventSource, "sts.amazonaws.com", func(e store.AuditEvent) bool { return e.Source == "sts.amazonaws.com" }},
		{"ReadOnly", store.AuditReadOnly, "true", func(e store.AuditEvent) bool { return e.ReadOnly }},
		{"ReadOnlyFalse", store.AuditReadOnly, "false", func(e store.AuditEvent) bool { return !e.ReadOnly }},
		{"EventId", store.AuditEventID, evs[4].ID, func(e store.AuditEvent) bool { return e.ID == evs[4].ID }},
		{"ResourceName", store.AuditResourceName, "r", func(e store.AuditEvent) bool { return len(e.Resources) > 0 }},
		{"ResourceType", store.AuditResourceType, "AWS::IAM::Role", func(e store.AuditEvent) bool { return len(e.Resources) > 0 }},
		{"Unknown", store.AuditUsername, "nobody", func(store.AuditEvent) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.LookupAuditEvents(ctx, store.AuditQuery{Attribute: tc.attr, Value: tc.val, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(filter(tc.want), ids(p.Items), cmpOpts); diff != "" {
				t.Errorf("LookupAuditEvents(%s=%q) (-want +got):\n%s", tc.attr, tc.val, diff)
			}
		})
	}
}

func testAuditLookupPagesAndTime(t *testing.T, s store.Store) {
	ctx := t.Context()
	var evs []store.AuditEvent
	for i := 1; i <= 25; i++ {
		e := auditEvent(i, "GetUser")
		e.Time = at(i / 2) // pairs share a time: ties break by insertion order
		evs = append(evs, e)
	}
	if _, err := s.AppendAuditEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var got []string
	q := store.AuditQuery{Attribute: store.AuditEventName, Value: "GetUser", Start: at(2), End: at(10), Limit: 4}
	for range 20 {
		p, err := s.LookupAuditEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p.Items)...)
		if p.Next == "" {
			break
		}
		q.Marker = p.Next
	}
	var want []string
	for _, e := range slices.Backward(evs) {
		if !e.Time.Before(at(2)) && !e.Time.After(at(10)) {
			want = append(want, e.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged lookup (-want +got):\n%s", diff)
	}
}

func testAuditPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	e1, e2 := auditEvent(1, "A"), auditEvent(100, "B")
	e1.Resources = []store.AuditResource{{Type: "T", Name: "n"}}
	if _, err := s.AppendAuditEvents(ctx, []store.AuditEvent{e1, e2}); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneAuditEvents(ctx, at(50))
	if err != nil || n != 1 {
		t.Fatalf("PruneAuditEvents = %d, %v; want 1", n, err)
	}
	p, _ := s.LookupAuditEvents(ctx, store.AuditQuery{Attribute: store.AuditResourceName, Value: "n", Limit: 5})
	if len(p.Items) != 0 {
		t.Errorf("pruned event still found by resource: %v", ids(p.Items))
	}
}

func session(n int, principal, name string, issued time.Time, d time.Duration) store.IssuedSession {
	return store.IssuedSession{
		AccessKeyID:  fmt.Sprintf("ASIA%016d", n),
		AccountID:    accountID,
		Issuer:       "AssumeRole",
		PrincipalARN: principal,
		SourceARN:    "arn:aws:iam::123456789012:user/alice",
		SessionName:  name,
		SourceIP:     "192.0.2.1",
		RequestID:    fmt.Sprintf("req-%d", n),
		IssuedAt:     issued,
		Expires:      issued.Add(d),
	}
}

func testSessionIndexLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	role := "arn:aws:sts::123456789012:assumed-role/r/s"
	a := session(1, role, "s", at(0), time.Hour)
	b := session(2, role, "s", at(10), time.Hour)
	c := session(3, "arn:aws:iam::123456789012:root", "", at(0), 30*time.Second)
	if err := s.RecordSessions(ctx, []store.IssuedSession{a, b, c}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSessions(ctx, []store.IssuedSession{a}); err != nil {
		t.Fatalf("RecordSessions (again): %v", err)
	}
	got, err := s.GetSession(ctx, a.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got, cmpOpts); diff != "" {
		t.Errorf("GetSession (-want +got):\n%s", diff)
	}
	if _, err := s.GetSession(ctx, "ASIA_UNKNOWN"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(unknown) = %v, want ErrNotFound", err)
	}

	first, err := s.RecordSessionUses(ctx, []store.SessionUse{
		{AccessKeyID: a.AccessKeyID, First: at(5), Last: at(7), SourceIP: "192.0.2.9"},
		{AccessKeyID: "ASIA_UNKNOWN", First: at(5), Last: at(5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].AccessKeyID != a.AccessKeyID || !first[0].FirstUsedAt.Equal(at(5)) || !first[0].LastUsedAt.Equal(at(7)) || first[0].LastUsedIP != "192.0.2.9" {
		t.Errorf("RecordSessionUses first uses = %+v", first)
	}
	first, err = s.RecordSessionUses(ctx, []store.SessionUse{{AccessKeyID: a.AccessKeyID, First: at(6), Last: at(6), SourceIP: "x"}})
	if err != nil || len(first) != 0 {
		t.Errorf("RecordSessionUses (older, again) = %v, %v; want no first use", first, err)
	}
	got, _ = s.GetSession(ctx, a.AccessKeyID)
	if !got.FirstUsedAt.Equal(at(5)) || !got.LastUsedAt.Equal(at(7)) || got.LastUsedIP != "192.0.2.9" {
		t.Errorf("after older use: first %v last %v ip %q", got.FirstUsedAt, got.LastUsedAt, got.LastUsedIP)
	}

	live, err := s.LiveSessions(ctx, role, "s", at(20), b.AccessKeyID)
	if err != nil || len(live) != 1 || live[0].AccessKeyID != a.AccessKeyID {
		t.Errorf("LiveSessions = %v, %v; want [a]", live, err)
	}
	list, err := s.ListSessions(ctx, store.SessionListOptions{Now: at(40)})
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions(active) = %d sessions, %v; want 2", len(list), err)
	}
	soon, err := s.ListSessions(ctx, store.SessionListOptions{Now: at(1), ExpiresBefore: at(0).Add(time.Hour)})
	if err != nil || len(soon) != 2 || soon[0].AccessKeyID != c.AccessKeyID || soon[1].AccessKeyID != a.AccessKeyID {
		t.Errorf("ListSessions(ExpiresBefore) = %v, %v; want [c a]", soon, err)
	}
	for _, tc := range []struct {
		now  time.Time
		want int
	}{{at(20), 3}, {at(40), 2}, {at(0).Add(2 * time.Hour), 0}} {
		if n, err := s.CountActiveSessions(ctx, tc.now); err != nil || n != tc.want {
			t.Errorf("CountActiveSessions(%v) = %d, %v; want %d", tc.now, n, err, tc.want)
		}
	}
	if _, err := s.RevokeSession(ctx, b.AccessKeyID, at(41)); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListSessions(ctx, store.SessionListOptions{Now: at(42)})
	if len(list) != 1 || list[0].AccessKeyID != a.AccessKeyID {
		t.Errorf("ListSessions after revoke = %v", list)
	}
	if n, err := s.CountActiveSessions(ctx, at(42)); err != nil || n != 1 {
		t.Errorf("CountActiveSessions after revoke = %d, %v; want 1", n, err)
	}
	all, _ := s.ListSessions(ctx, store.SessionListOptions{Now: at(42), IncludeEnded: true})
	if len(all) != 3 {
		t.Errorf("ListSessions(IncludeEnded) = %d, want 3", len(all))
	}
	exp, err := s.ClaimExpiredSessions(ctx, at(31), 10)
	if err != nil || len(exp) != 1 || exp[0].AccessKeyID != c.AccessKeyID {
		t.Fatalf("ClaimExpiredSessions = %v, %v; want [c]", exp, err)
	}
	if exp, _ := s.ClaimExpiredSessions(ctx, at(32), 10); len(exp) != 0 {
		t.Errorf("ClaimExpiredSessions again = %v, want none", exp)
	}
	if n, err := s.PruneSessions(ctx, at(100)); err != nil || n != 1 {
		t.Errorf("PruneSessions = %d, %v; want 1", n, err)
	}
}

func testSessionClaimExpiredConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	var batch []store.IssuedSession
	for i := range 50 {
		batch = append(batch, session(i, "arn:aws:iam::123456789012:root", "", at(0), time.Second))
	}
	if err := s.RecordSessions(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				got, err := s.ClaimExpiredSessions(ctx, at(5), 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, x := range got {
					seen[x.AccessKeyID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 50 {
		t.Errorf("claimed %d sessions, want 50", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("session %s claimed %d times", id, n)
		}
	}
}

func testKeyFirstUses(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1 := store.KeyFirstUse{AccessKeyID: "AKIA1", At: at(1), Service: "sts", Region: "us-east-1", SourceIP: "192.0.2.1"}
	u2 := store.KeyFirstUse{AccessKeyID: "AKIA2", At: at(2), Service: "iam", Region: "us-east-1"}
	got, err := s.RecordKeyFirstUses(ctx, []store.KeyFirstUse{u1})
	if err != nil || len(got) != 1 {
		t.Fatalf("RecordKeyFirstUses = %v, %v", got, err)
	}
	got, err = s.RecordKeyFirstUses(ctx, []store.KeyFirstUse{{AccessKeyID: "AKIA1", At: at(9)}, u2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.KeyFirstUse{u2}, got, cmpOpts); diff != "" {
		t.Errorf("RecordKeyFirstUses (-want +got):\n%s", diff)
	}
}

func testWatchFindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	steps := []struct {
		current, want []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"a", "b", "b"}, nil},
		{[]string{"b", "c"}, []string{"c"}},
		{[]string{"a", "b", "c"}, []string{"a"}},
		{nil, nil},
		{[]string{"c"}, []string{"c"}},
	}
	for i, st := range steps {
		got, err := s.SyncWatchFindings(ctx, "rule", st.current, at(i))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if diff := cmp.Diff(st.want, got, cmpOpts); diff != "" {
			t.Errorf("step %d: SyncWatchFindings(%v) (-want +got):\n%s", i, st.current, diff)
		}
	}
	if got, _ := s.SyncWatchFindings(ctx, "other", []string{"c"}, at(9)); len(got) != 1 {
		t.Errorf("rules are independent: got %v", got)
	}
}

func testCredentialReport(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.GetCredentialReport(ctx, accountID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCredentialReport(none) = %v, want ErrNotFound", err)
	}
	c, err := s.UpdateCredentialReport(ctx, accountID, func(c *store.CredentialReport) error {
		if c.State != "" || c.AccountID != accountID {
			return fmt.Errorf("fresh report = %+v", c)
		}
		c.State, c.StartedAt = store.ReportStarted, at(1)
		return nil
	})
	if err != nil || c.State != store.ReportStarted {
		t.Fatalf("UpdateCredentialReport = %+v, %v", c, err)
	}
	boom := fmt.Errorf("boom")
	if _, err := s.UpdateCredentialReport(ctx, accountID, func(c *store.CredentialReport) error {
		c.State = store.ReportComplete
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateCredentialReport(fn error) = %v, want boom", err)
	}
	if _, err := s.UpdateCredentialReport(ctx, accountID, func(c *store.CredentialReport) error {
		c.State, c.GeneratedAt, c.Content = store.ReportComplete, at(2), []byte("user,arn\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCredentialReport(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	want := store.CredentialReport{AccountID: accountID, State: store.ReportComplete, StartedAt: at(1), GeneratedAt: at(2), Content: []byte("user,arn\n")}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("GetCredentialReport (-want +got):\n%s", diff)
	}
}

// testAuditLookupLargeSegments pages through many events sharing their time
// and attributes (stored together) and interleaved with others.
func testAuditLookupLargeSegments(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []store.AuditEvent
	for b := range 3 {
		var batch []store.AuditEvent
		for i := range 700 {
			n := b*1000 + i
			e := auditEvent(n, "GetCallerIdentity")
			e.Time = at(b * 10)
			e.Username, e.AccessKeyID, e.ReadOnly = "root", "AKIAROOT", true
			if i%100 == 0 {
				e.Name = "CreateUser"
			}
			batch = append(batch, e)
		}
		if _, err := s.AppendAuditEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
	}
	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		keep func(store.AuditEvent) bool
	}{
		{"All", store.AuditQuery{Limit: 37}, func(store.AuditEvent) bool { return true }},
		{"Name", store.AuditQuery{Attribute: store.AuditEventName, Value: "GetCallerIdentity", Limit: 50}, func(e store.AuditEvent) bool { return e.Name == "GetCallerIdentity" }},
		{"Key", store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "AKIAROOT", Limit: 41, Start: at(5)}, func(e store.AuditEvent) bool { return !e.Time.Before(at(5)) }},
		{"EventId", store.AuditQuery{Attribute: store.AuditEventID, Value: all[1234].ID, Limit: 5}, func(e store.AuditEvent) bool { return e.ID == all[1234].ID }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, e := range slices.Backward(all) {
				if tc.keep(e) {
					want = append(want, e.ID)
				}
			}
			var got []string
			q := tc.q
			for range 200 {
				p, err := s.LookupAuditEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) > q.Limit {
					t.Fatalf("page of %d for limit %d", len(p.Items), q.Limit)
				}
				got = append(got, ids(p.Items)...)
				if p.Next == "" {
					break
				}
				q.Marker = p.Next
			}
			// Events of the same time come back last stored first; events
			// of a batch that differ only in name are separate segments, so
			// compare as sets per time and in order across times.
			if len(got) != len(want) {
				t.Fatalf("got %d events, want %d", len(got), len(want))
			}
			wantSet := map[string]bool{}
			for _, id := range want {
				wantSet[id] = true
			}
			seen := map[string]bool{}
			byID := map[string]store.AuditEvent{}
			for _, e := range all {
				byID[e.ID] = e
			}
			var prev time.Time
			for i, id := range got {
				if !wantSet[id] || seen[id] {
					t.Fatalf("event %d: %s unexpected or repeated", i, id)
				}
				seen[id] = true
				if tt := byID[id].Time; i > 0 && tt.After(prev) {
					t.Fatalf("event %d at %v after %v: not newest first", i, tt, prev)
				}
				prev = byID[id].Time
			}
		})
	}
}

// testAuditLookupSharedSecond: a burst of issuances in one second — the
// calls (same caller, same role) and their SessionIssued events (a new key
// each) — is found event by event by key and by resource, in pages, with
// each event's own key.
func testAuditLookupSharedSecond(t *testing.T, s store.Store) {
	ctx := t.Context()
	role := []store.AuditResource{{Type: "AWS::IAM::Role", Name: "arn:aws:iam::123456789012:role/r"}, {Type: "AWS::IAM::Role", Name: "r"}}
	var evs []store.AuditEvent
	for i := range 40 {
		call := auditEvent(2*i, "AssumeRole")
		call.Time, call.Username, call.AccessKeyID, call.ReadOnly, call.Resources = at(1), "alice", "AKIACALLER", false, role
		if i%5 == 0 {
			call.AccessKeyID = "AKIAOTHER" // the same caller's second key
		}
		issued := auditEvent(2*i+1, "SessionIssued")
		issued.Time, issued.Username, issued.AccessKeyID, issued.ReadOnly = at(1), "r", fmt.Sprintf("ASIA%016d", i), false
		evs = append(evs, call, issued)
	}
	for _, half := range [][]store.AuditEvent{evs[:40], evs[40:]} {
		if _, err := s.AppendAuditEvents(ctx, half); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		keep func(store.AuditEvent) bool
	}{
		{"OneIssuedKey", store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: fmt.Sprintf("ASIA%016d", 27), Limit: 5},
			func(e store.AuditEvent) bool { return e.AccessKeyID == fmt.Sprintf("ASIA%016d", 27) }},
		{"CallerKey", store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "AKIACALLER", Limit: 7},
			func(e store.AuditEvent) bool { return e.AccessKeyID == "AKIACALLER" }},
		{"OtherKey", store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "AKIAOTHER", Limit: 3},
			func(e store.AuditEvent) bool { return e.AccessKeyID == "AKIAOTHER" }},
		{"Resource", store.AuditQuery{Attribute: store.AuditResourceName, Value: "r", Limit: 9},
			func(e store.AuditEvent) bool { return len(e.Resources) > 0 }},
		{"Name", store.AuditQuery{Attribute: store.AuditEventName, Value: "SessionIssued", Limit: 11},
			func(e store.AuditEvent) bool { return e.Name == "SessionIssued" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]string{} // id → key
			for _, e := range evs {
				if tc.keep(e) {
					want[e.ID] = e.AccessKeyID
				}
			}
			got := map[string]string{}
			q := tc.q
			for range 100 {
				p, err := s.LookupAuditEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) > q.Limit {
					t.Fatalf("page of %d for limit %d", len(p.Items), q.Limit)
				}
				for _, e := range p.Items {
					if _, dup := got[e.ID]; dup {
						t.Fatalf("event %s returned twice", e.ID)
					}
					got[e.ID] = e.AccessKeyID
				}
				if p.Next == "" {
					break
				}
				q.Marker = p.Next
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lookup (-want +got, id → access key id):\n%s", diff)
			}
		})
	}
}

// testAuditLookupOrderWithinSecond: the steps of one key within one second,
// stored in one batch among other events, come back newest first in the
// order they were recorded, by key and by name.
func testAuditLookupOrderWithinSecond(t *testing.T, s store.Store) {
	ctx := t.Context()
	var evs []store.AuditEvent
	for i, name := range []string{"AccessKeyDeactivated", "GetCallerIdentity", "AccessKeyReactivated", "AccessKeyDeactivated", "AccessKeyReactivated", "AccessKeyDeleted"} {
		e := auditEvent(i, name)
		e.Time, e.Username, e.AccessKeyID, e.ReadOnly = at(1), "kim", "AKIAKIM", false
		if name == "GetCallerIdentity" {
			e.Username, e.AccessKeyID = "root", "AKIAROOT"
		}
		evs = append(evs, e)
	}
	// Calls by two callers on two roles, interleaved: found by resource
	// type, they read in the order recorded.
	for i, who := range []string{"ann", "bo", "ann"} {
		e := auditEvent(100+i, "AssumeRole-"+who)
		e.Time, e.Username, e.AccessKeyID = at(1), who, "AKIA"+strings.ToUpper(who)
		e.Resources = []store.AuditResource{{Type: "AWS::IAM::Role", Name: "role-" + who}}
		evs = append(evs, e)
	}
	if _, err := s.AppendAuditEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    store.AuditQuery
		keep func(store.AuditEvent) bool
	}{
		{store.AuditQuery{Attribute: store.AuditResourceType, Value: "AWS::IAM::Role", Limit: 2}, func(e store.AuditEvent) bool { return len(e.Resources) > 0 }},
		{store.AuditQuery{Attribute: store.AuditAccessKeyID, Value: "AKIAKIM", Limit: 2}, func(e store.AuditEvent) bool { return e.AccessKeyID == "AKIAKIM" }},
		{store.AuditQuery{Attribute: store.AuditUsername, Value: "kim", Limit: 10}, func(e store.AuditEvent) bool { return e.Username == "kim" }},
		{store.AuditQuery{Attribute: store.AuditEventName, Value: "AccessKeyDeactivated", Limit: 1}, func(e store.AuditEvent) bool { return e.Name == "AccessKeyDeactivated" }},
	} {
		var want, got []string
		for _, e := range slices.Backward(evs) {
			if tc.keep(e) {
				want = append(want, e.Name+" "+e.ID)
			}
		}
		q := tc.q
		for range 20 {
			p, err := s.LookupAuditEvents(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Items {
				got = append(got, e.Name+" "+e.ID)
			}
			if p.Next == "" {
				break
			}
			q.Marker = p.Next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LookupAuditEvents(%s=%s) order (-want +got):\n%s", tc.q.Attribute, tc.q.Value, diff)
		}
	}
}
