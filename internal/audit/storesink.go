package audit

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/store"
)

// EventStore is what the store sink and LookupEvents need.
type EventStore interface {
	AppendAuditEvents(ctx context.Context, events []store.AuditEvent) (int, error)
	LookupAuditEvents(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditEvent], error)
	AuditEventIDsSince(ctx context.Context, since time.Time) (map[string]bool, error)
	LatestAuditEventTime(ctx context.Context) (time.Time, error)
	Ping(ctx context.Context) error
}

// StoreSink writes batches to the store, one transaction per batch, for
// LookupEvents.
type StoreSink struct{ st EventStore }

// NewStoreSink returns a sink writing to st.
func NewStoreSink(st EventStore) *StoreSink { return &StoreSink{st: st} }

// Name implements Sink.
func (s *StoreSink) Name() string { return "store" }

// Write implements Sink.
func (s *StoreSink) Write(ctx context.Context, batch []Record) error {
	evs := make([]store.AuditEvent, len(batch))
	for i, r := range batch {
		evs[i] = ToStore(r)
	}
	_, err := s.st.AppendAuditEvents(ctx, evs)
	return err
}

// Check implements Sink.
func (s *StoreSink) Check(ctx context.Context) error { return s.st.Ping(ctx) }

// Close implements Sink (the store is closed by its owner).
func (s *StoreSink) Close() error { return nil }

// ToStore returns the stored form of a record, with its lookup fields.
func ToStore(r Record) store.AuditEvent {
	e := r.Event
	se := store.AuditEvent{
		ID:          e.EventID,
		Time:        time.Time(e.EventTime),
		Name:        e.EventName,
		Source:      e.EventSource,
		Username:    e.LookupUsername(),
		AccessKeyID: e.LookupAccessKeyID(),
		ReadOnly:    e.ReadOnly,
		Record:      r.JSON,
	}
	for _, res := range e.Resources {
		name := res.ResourceName()
		se.Resources = append(se.Resources, store.AuditResource{Type: res.Type, Name: name})
		if res.ARN != "" && res.ARN != name {
			se.Resources = append(se.Resources, store.AuditResource{Type: res.Type, Name: res.ARN})
		}
	}
	return se
}

// replayWindow is how far before the store's newest event Replay looks for
// events the store lacks: a crash loses at most the batches in flight,
// which are that recent.
const replayWindow = 5 * time.Minute

// Replay appends to st the events of the newest audit files of dir that st
// lacks (written to the file but not to the store before a crash), so they
// reach LookupEvents. It looks at events from replayWindow before the
// store's newest one on, and returns how many it added.
func Replay(ctx context.Context, dir string, st EventStore, files int) (int, error) {
	all, err := Files(dir)
	if err != nil {
		return 0, err
	}
	if len(all) > files {
		all = all[len(all)-files:]
	}
	latest, err := st.LatestAuditEventTime(ctx)
	if err != nil {
		return 0, err
	}
	var since time.Time
	if !latest.IsZero() {
		since = latest.Add(-replayWindow)
	}
	have, err := st.AuditEventIDsSince(ctx, since)
	if err != nil {
		return 0, err
	}
	total := 0
	var batch []store.AuditEvent
	flush := func() error {
		n, err := st.AppendAuditEvents(ctx, batch)
		total += n
		batch = batch[:0]
		return err
	}
	for _, p := range all {
		err := ReadFile(p, func(line []byte) error {
			e, err := ParseRecord(line)
			if err != nil || have[e.EventID] || time.Time(e.EventTime).Before(since) {
				return nil
			}
			have[e.EventID] = true
			batch = append(batch, ToStore(Record{Event: e, JSON: append([]byte(nil), line...)}))
			if len(batch) >= 2048 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return total, err
		}
	}
	return total, nil
}
