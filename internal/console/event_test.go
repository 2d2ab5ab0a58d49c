package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/identity"
)

// trailOps answers LookupEvents from a fixed trail, as the store does
// (EventId within the time range), and records each lookup's range.
type trailOps struct {
	Ops
	t      *testing.T
	events []audit.LookupEvent
	ranges [][2]time.Time
}

func (o *trailOps) InvokeJSON(_ *http.Request, _ *identity.Call, service, action string, body []byte) (any, error) {
	if service != "cloudtrail" || action != "LookupEvents" {
		o.t.Fatalf("unexpected call %s:%s", service, action)
	}
	var in audit.LookupEventsInput
	if err := json.Unmarshal(body, &in); err != nil {
		o.t.Fatal(err)
	}
	if in.StartTime == nil || in.EndTime == nil {
		o.t.Errorf("an event lookup without a time range (a search of the whole trail): %s", body)
		o.ranges = append(o.ranges, [2]time.Time{})
	} else {
		o.ranges = append(o.ranges, [2]time.Time{time.Time(*in.StartTime), time.Time(*in.EndTime)})
	}
	out := &audit.LookupEventsOutput{Events: []audit.LookupEvent{}}
	for _, e := range o.events {
		at := time.Time(e.EventTime)
		if len(in.LookupAttributes) == 1 && in.LookupAttributes[0].AttributeValue != e.EventID ||
			in.StartTime != nil && at.Before(time.Time(*in.StartTime)) || in.EndTime != nil && at.After(time.Time(*in.EndTime)) {
			continue
		}
		out.Events = append(out.Events, e)
	}
	return out, nil
}

type noPasswords struct{ Passwords }
type noDirectory struct{ Directory }

// TestEventLinksLookUpOneBoundedTimeRange: the event and Why denied pages
// find their event in the time range of the link's t (or of a v7 id's
// creation time), never by searching every event; a missing or forged
// t falls back to the id's time or is not found, never a 500.
func TestEventLinksLookUpOneBoundedTimeRange(t *testing.T) {
	at := time.Date(2026, 11, 3, 10, 20, 30, 0, time.UTC)
	v4 := "0000002a-0001-4002-8003-00000000002a" // not a v7 id: carries no time
	v7 := audit.NewEventID()
	v7at, ok := uuidV7Time(v7)
	if !ok || time.Since(v7at).Abs() > time.Minute {
		t.Fatalf("uuidV7Time(%s) = %v, %v", v7, v7at, ok)
	}
	rec := func(id string) string {
		return `{"eventVersion":"1.11","eventID":"` + id + `","eventName":"CreateUser","errorCode":"AccessDenied","errorMessage":"no"}`
	}
	ops := &trailOps{t: t, events: []audit.LookupEvent{
		{EventID: v4, EventName: "CreateUser", EventTime: audit.EpochTime(at), CloudTrailEvent: rec(v4)},
		{EventID: v7, EventName: "CreateUser", EventTime: audit.EpochTime(v7at.Truncate(time.Second)), CloudTrailEvent: rec(v7)},
	}}
	c, err := New(Config{Ops: ops, Passwords: noPasswords{}, Directory: noDirectory{}, Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	sec := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	tests := []struct {
		name, id, t string
		status      int
		lookups     int
	}{
		{"v4 id with its time", v4, sec(at), http.StatusOK, 1},
		{"v4 id without a time", v4, "", http.StatusNotFound, 0},
		{"v4 id with a forged time", v4, sec(at.Add(time.Hour)), http.StatusNotFound, 1},
		{"v4 id with a non-numeric time", v4, "yesterday", http.StatusNotFound, 0},
		{"v4 id with a huge time", v4, "99999999999999999999", http.StatusNotFound, 0},
		{"v4 id with a negative time", v4, "-5", http.StatusNotFound, 0},
		{"v7 id without a time", v7, "", http.StatusOK, 1},
		{"v7 id with a forged time", v7, sec(at), http.StatusOK, 2},
		{"v7 id with its time", v7, sec(v7at), http.StatusOK, 1},
		{"unknown v7 id", audit.NewEventID(), "", http.StatusNotFound, 1},
		{"no id", "", sec(at), http.StatusNotFound, 0},
	}
	for _, page := range []string{"/console/audit/event", "/console/audit/why"} {
		for _, tc := range tests {
			t.Run(page+"/"+tc.name, func(t *testing.T) {
				ops.ranges = nil
				q := url.Values{"id": {tc.id}}
				if tc.t != "" {
					q.Set("t", tc.t)
				}
				r := httptest.NewRequest(http.MethodGet, page+"?"+q.Encode(), nil)
				r = withSession(r, &session{principal: &identity.Principal{ARN: "arn:aws:iam::123456789012:root"}})
				w := httptest.NewRecorder()
				if page == "/console/audit/event" {
					c.auditEvent(w, r)
				} else {
					c.whyDenied(w, r)
				}
				if w.Code != tc.status {
					t.Errorf("status %d, want %d\n%s", w.Code, tc.status, w.Body)
				}
				if len(ops.ranges) != tc.lookups {
					t.Errorf("%d lookups, want %d", len(ops.ranges), tc.lookups)
				}
				for _, rg := range ops.ranges {
					if d := rg[1].Sub(rg[0]); rg[0].IsZero() || d > 2*time.Minute {
						t.Errorf("lookup range %v … %v is not bounded to a couple of minutes", rg[0], rg[1])
					}
				}
			})
		}
	}
}
