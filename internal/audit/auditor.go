package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Record is an event ready for the sinks: the event and its JSON line.
type Record struct {
	Event *Event
	JSON  []byte
	// Intent marks an intent record (Intend): it goes only to the sinks
	// that keep intents (IntentSink), never to the store or followers.
	Intent bool
}

// IntentSink is a Sink that also keeps intent records durably: Write
// receives them mixed with events (Record.Intent) and must make both
// durable before it returns. The FileSink is one.
type IntentSink interface {
	Sink
	// KeepsIntents reports that the sink takes intent records.
	KeepsIntents() bool
}

// Sink writes batches of records. Write returns only once the batch is
// durable (for the file: written and fsync'd; for the store: committed).
// Write is called from one goroutine at a time.
type Sink interface {
	Name() string
	Write(ctx context.Context, batch []Record) error
	// Check reports whether the sink can write now (used to recover after
	// failures, and by /readyz).
	Check(ctx context.Context) error
	Close() error
}

// Observer is told about the Auditor's work, for metrics. Every method may
// be called concurrently. metrics.Audit implements it.
type Observer interface {
	QueueDepth(n int)
	SinkWrite(sink string, n int, d time.Duration, err error)
	Dropped(n int)
	Healthy(ok bool)
}

// Limits of the Auditor.
const (
	// DefaultQueueSize bounds the events waiting in a lane; a full lane
	// makes Emit wait (backpressure), never drop.
	DefaultQueueSize = 65536
	// lingerBatch and lingerMax: a batch with no waiting (durable) event
	// waits up to lingerMax for lingerBatch events before it is written.
	lingerBatch = 1024
	lingerMax   = 25 * time.Millisecond
	// trailLinger replaces lingerMax for a lane behind a healthy one:
	// nobody waits for it (LookupEvents syncs), and its commits (the
	// store's, with their indexes) cost more than the file's.
	trailLinger = 100 * time.Millisecond
	// recheckInterval is how often an unhealthy lane retries its sink.
	recheckInterval = time.Second
)

// ErrUnavailable is returned for durable events when no sink could write
// them (and by Ready while that lasts).
var ErrUnavailable = errors.New("audit: no audit sink can write")

// Config configures an Auditor.
type Config struct {
	// Sinks are the durable sinks, fastest to acknowledge first: an event
	// counts as written once one of them has it. Every event goes to all
	// of them, each sink on its own lane; the sinks after the first gather
	// larger batches while an earlier one is healthy.
	Sinks []Sink
	// Followers receive each batch after it is durable, best effort (the
	// webhook). They must not block: they queue.
	Followers []Follower
	Logger    *slog.Logger
	Observer  Observer
	QueueSize int
}

// Follower receives records after they are durable.
type Follower interface {
	Enqueue(batch []Record)
}

// Auditor group-commits events to its sinks. Each sink has a lane: a
// queue and one writer goroutine, so a slow sink (the store, for lookup)
// neither delays the acknowledgement a faster one (the fsync'd file) can
// give nor forces its own commits to the rate of the requests. An event is
// acknowledged once one sink has it; the lanes after the first gather
// events into larger commits (up to lingerMax) while an earlier lane is
// healthy, and hurry when none is.
type Auditor struct {
	lanes     []*lane
	followers []Follower
	log       *slog.Logger
	obs       Observer

	// mu guards every lane's queue, so that Emit appends an entry to all
	// of them at once; it is held only to append or to take a queue.
	mu       sync.Mutex
	space    *sync.Cond // signalled when a lane takes its queue
	maxQueue int
	closed   bool

	healthy atomic.Bool // some lane's last write succeeded
	// intentLanes has bit i set when lane i keeps intents.
	intentLanes uint64
	closing     chan struct{}
	wg          sync.WaitGroup
}

// entry is one Emit's records (or a Sync barrier), shared by the lanes.
type entry struct {
	recs    []Record
	durable bool
	barrier bool       // Sync: no records; answered when every lane took it
	done    chan error // nil for fire-and-forget events
	intent  bool       // Intend: only for the lanes that keep intents
	mask    uint64     // the lanes the entry was queued to
	// state is entryPending until a lane has written the entry
	// (entryWritten) or every lane failed it (entryRejected).
	state  atomic.Int32
	failed atomic.Uint64 // bit i: lane i failed to write it
	left   atomic.Int32  // lanes not yet done with it
}

const (
	entryPending int32 = iota
	entryWritten
	entryRejected
)

// lane is one sink's queue and writer.
type lane struct {
	idx     int
	sink    Sink
	intents bool     // the sink keeps intent records
	queue   []*entry // under Auditor.mu
	queued  int      // records in queue, under Auditor.mu
	wake    chan struct{}
	healthy atomic.Bool
	// backlog holds, in order, the entries this lane failed to write
	// while another lane had them; they go first in its next write. Only
	// the lane's goroutine touches it.
	backlog []*entry
	blRecs  int
}

// New starts an Auditor. Close it to flush and stop.
func New(cfg Config) (*Auditor, error) {
	if len(cfg.Sinks) == 0 || len(cfg.Sinks) > 64 {
		return nil, errors.New("audit: between one and 64 sinks are required")
	}
	a := &Auditor{
		followers: cfg.Followers,
		log:       cfg.Logger,
		obs:       cfg.Observer,
		closing:   make(chan struct{}),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.obs == nil {
		a.obs = nopObserver{}
	}
	a.maxQueue = cfg.QueueSize
	if a.maxQueue <= 0 {
		a.maxQueue = DefaultQueueSize
	}
	a.space = sync.NewCond(&a.mu)
	for i, s := range cfg.Sinks {
		l := &lane{idx: i, sink: s, wake: make(chan struct{}, 1)}
		if is, ok := s.(IntentSink); ok && is.KeepsIntents() {
			l.intents = true
			a.intentLanes |= 1 << i
		}
		l.healthy.Store(true)
		a.lanes = append(a.lanes, l)
	}
	a.healthy.Store(true)
	a.obs.Healthy(true)
	for _, l := range a.lanes {
		a.wg.Go(func() { a.run(l) })
	}
	return a, nil
}

// Healthy reports whether the last write of some sink succeeded.
func (a *Auditor) Healthy() bool { return a.healthy.Load() }

// Ready returns ErrUnavailable while no sink can write, or while no sink
// that keeps intents can (mutating calls are refused then), for /readyz.
func (a *Auditor) Ready(context.Context) error {
	if !a.healthy.Load() || !a.IntentsHealthy() {
		return ErrUnavailable
	}
	return nil
}

// IntentsHealthy reports whether a sink that keeps intents can write (true
// when none is configured: intents are then not kept).
func (a *Auditor) IntentsHealthy() bool {
	if a.intentLanes == 0 {
		return true
	}
	for _, l := range a.lanes {
		if l.intents && l.healthy.Load() {
			return true
		}
	}
	return false
}

// Intend makes an intent record of ev durable before the change ev
// describes runs: ev as known so far (the caller, the parameters), which
// the call's own event completes later under the same eventID. It returns
// once a sink that keeps intents has it, or ErrUnavailable; then the
// change must not run. After a crash, an intent without its event becomes
// an event whose outcome is unknown (see FileSink), so a change that
// committed is never missing from the trail. Without an IntentSink it
// does nothing.
func (a *Auditor) Intend(ctx context.Context, ev *Event) error {
	if a.intentLanes == 0 {
		return nil
	}
	// Not pooled: the sink keeps the line until the event completes it.
	b, err := ev.Marshal()
	if err != nil {
		return fmt.Errorf("audit: marshal intent %s: %w", ev.EventName, err)
	}
	e := &entry{recs: []Record{{Event: ev, JSON: b, Intent: true}}, durable: true, intent: true, done: make(chan error, 1)}
	if !a.enqueue(e) {
		return ErrUnavailable
	}
	return <-e.done
}

// Emit queues events for the sinks. With durable, it returns once they are
// written to at least one sink (group-committed with other callers'), or
// ErrUnavailable; without, it returns once they are queued.
func (a *Auditor) Emit(ctx context.Context, durable bool, events ...*Event) error {
	recs := make([]Record, 0, len(events))
	for _, e := range events {
		b, err := e.marshalPooled()
		if err != nil {
			return fmt.Errorf("audit: marshal %s: %w", e.EventName, err)
		}
		recs = append(recs, Record{Event: e, JSON: b})
	}
	e := &entry{recs: recs, durable: durable}
	if durable {
		e.done = make(chan error, 1)
	}
	if !a.enqueue(e) {
		a.obs.Dropped(len(recs))
		return ErrUnavailable
	}
	if !durable {
		return nil
	}
	// Once queued the event will be written whatever the caller does; wait
	// for the verdict (the lanes always give one).
	return <-e.done
}

// Sync returns once every event emitted before it has been offered to
// every sink: LookupEvents calls it so a caller finds its own calls in the
// store, which otherwise trails the file by up to lingerMax.
func (a *Auditor) Sync(ctx context.Context) error {
	e := &entry{barrier: true, done: make(chan error, 1)}
	if !a.enqueue(e) {
		return ErrUnavailable
	}
	select {
	case err := <-e.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue appends e to every lane's queue and wakes the lanes that must
// act; false once the Auditor is closed.
func (a *Auditor) enqueue(e *entry) bool {
	e.mask = 1<<len(a.lanes) - 1
	if e.intent {
		e.mask = a.intentLanes
	}
	e.left.Store(int32(bits.OnesCount64(e.mask)))
	n := len(e.recs)
	a.mu.Lock()
	for a.fullLocked() && !a.closed {
		// Backpressure, never a drop: wait for the writers to take their queues.
		a.space.Wait()
	}
	if a.closed {
		a.mu.Unlock()
		return false
	}
	depth := 0
	for i, l := range a.lanes {
		if e.mask&(1<<i) == 0 {
			continue
		}
		l.queue = append(l.queue, e)
		l.queued += n
		depth = max(depth, l.queued)
		if len(l.queue) == 1 || l.queued >= lingerBatch || a.urgent(e, i) {
			l.poke()
		}
	}
	a.mu.Unlock()
	a.obs.QueueDepth(depth)
	return true
}

// depth is the longest lane queue, in records.
func (a *Auditor) depth() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, l := range a.lanes {
		n = max(n, l.queued)
	}
	return n
}

func (a *Auditor) fullLocked() bool {
	for _, l := range a.lanes {
		if l.queued >= a.maxQueue {
			return true
		}
	}
	return false
}

// urgent reports whether lane i must write e without lingering: a Sync
// barrier, or a durable event no earlier lane will acknowledge first.
func (a *Auditor) urgent(e *entry, i int) bool {
	return e.barrier || e.durable && a.mustHurry(i)
}

// mustHurry reports whether lane i must write durable entries at once:
// no lane before it is healthy to acknowledge them first.
func (a *Auditor) mustHurry(i int) bool {
	for _, l := range a.lanes[:i] {
		if l.healthy.Load() {
			return false
		}
	}
	return true
}

func (l *lane) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Close writes what is queued and stops the writers, then closes the sinks.
func (a *Auditor) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.space.Broadcast()
	a.mu.Unlock()
	close(a.closing)
	a.wg.Wait()
	var errs []error
	for _, l := range a.lanes {
		errs = append(errs, l.sink.Close())
	}
	return errors.Join(errs...)
}

// take removes and returns lane l's queue.
func (a *Auditor) take(l *lane) []*entry {
	a.mu.Lock()
	batch := l.queue
	l.queue, l.queued = nil, 0
	a.space.Broadcast()
	a.mu.Unlock()
	return batch
}

// peekHurry reports whether lane l's queue holds something to write at once.
func (a *Auditor) peekHurry(l *lane) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l.queued >= lingerBatch {
		return true
	}
	for _, e := range l.queue {
		if a.urgent(e, l.idx) {
			return true
		}
	}
	return false
}

func (a *Auditor) run(l *lane) {
	recheck := time.NewTicker(recheckInterval)
	defer recheck.Stop()
	linger := time.NewTimer(lingerMax)
	linger.Stop()
	for {
		select {
		case <-l.wake:
		case <-recheck.C:
			if !l.healthy.Load() {
				a.recheck(l)
			}
			continue
		case <-a.closing:
			a.write(l, a.take(l))
			return
		}
		// Nobody waits for reads, nor for durable events an earlier lane
		// acknowledges: unless this lane must hurry, gather for up to
		// lingerMax, so that a steady trickle costs one commit per
		// lingerMax rather than one per few events. Emit wakes us early
		// for a durable event we must take, a barrier or a full batch.
		if !a.peekHurry(l) {
			d := lingerMax
			if !a.mustHurry(l.idx) {
				d = trailLinger
			}
			linger.Reset(d)
			select {
			case <-linger.C:
			case <-l.wake:
				linger.Stop()
			case <-a.closing:
				linger.Stop()
			}
		}
		batch := a.take(l)
		if len(batch) == 0 && len(l.backlog) == 0 {
			continue
		}
		a.write(l, batch)
		a.obs.QueueDepth(a.depth())
	}
}

// write offers lane l's backlog and batch to its sink and settles each
// entry with the outcome.
func (a *Auditor) write(l *lane, batch []*entry) {
	all := batch
	if len(l.backlog) > 0 {
		// What this sink missed earlier goes first, so it catches up;
		// entries no sink took meanwhile were refused to their callers
		// and are not written late.
		all = make([]*entry, 0, len(l.backlog)+len(batch))
		for _, e := range l.backlog {
			if e.state.Load() == entryRejected {
				a.finish(e)
				continue
			}
			all = append(all, e)
		}
		all = append(all, batch...)
		l.backlog, l.blRecs = nil, 0
	}
	var recs []Record
	for _, e := range all {
		recs = append(recs, e.recs...)
	}
	var err error
	if len(recs) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		err = l.sink.Write(ctx, recs)
		cancel()
		a.obs.SinkWrite(l.sink.Name(), len(recs), time.Since(start), err)
		a.setHealthy(l, err == nil)
	}
	if err != nil {
		a.log.Error("audit sink write failed", "sink", l.sink.Name(), "events", len(recs), "err", err)
		// The lanes that linger behind this one must take its durable
		// entries now.
		for _, o := range a.lanes[l.idx+1:] {
			o.poke()
		}
	}
	var forward []Record
	for _, e := range all {
		if e.barrier {
			a.finish(e)
			continue
		}
		if err == nil {
			if e.state.CompareAndSwap(entryPending, entryWritten) {
				if e.done != nil {
					e.done <- nil
				}
				if !e.intent {
					forward = append(forward, e.recs...)
				}
			}
			a.finish(e)
			continue
		}
		if e.failed.Or(1<<l.idx)|1<<l.idx == e.mask && e.state.CompareAndSwap(entryPending, entryRejected) {
			a.obs.Dropped(len(e.recs))
			if e.done != nil {
				e.done <- ErrUnavailable
			}
		}
		if e.state.Load() == entryRejected {
			a.finish(e)
			continue
		}
		a.keepForLater(l, e)
	}
	if len(forward) > 0 {
		for _, f := range a.followers {
			f.Enqueue(forward)
		}
	}
}

// finish notes that a lane is done with e: the last one answers a barrier
// and returns the record buffers to the pool (unless followers hold them).
func (a *Auditor) finish(e *entry) {
	if e.left.Add(-1) != 0 {
		return
	}
	if e.barrier {
		e.done <- nil
		return
	}
	if len(a.followers) == 0 && !e.intent {
		for _, r := range e.recs {
			releaseBuf(r.JSON)
		}
	}
}

// maxBacklog bounds the records one failing sink keeps for later; past it
// the oldest are given up for that sink (other sinks have them, or will).
const maxBacklog = 1 << 20

// keepForLater puts e in lane l's backlog, giving up the oldest entries
// past maxBacklog.
func (a *Auditor) keepForLater(l *lane, e *entry) {
	l.backlog = append(l.backlog, e)
	l.blRecs += len(e.recs)
	over := 0
	for l.blRecs > maxBacklog && len(l.backlog) > 1 {
		old := l.backlog[0]
		l.backlog = l.backlog[1:]
		l.blRecs -= len(old.recs)
		over += len(old.recs)
		a.finish(old)
	}
	if over > 0 {
		a.log.Error("audit sink backlog full; its oldest records are left to the other sinks", "sink", l.sink.Name(), "records", over)
	}
}

// recheck retries an unhealthy lane: its backlog if it has one, else a
// Check of its sink.
func (a *Auditor) recheck(l *lane) {
	if len(l.backlog) > 0 {
		a.write(l, nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if l.sink.Check(ctx) == nil {
		a.setHealthy(l, true)
	}
}

// setHealthy records lane l's state and the Auditor's: healthy while some
// lane is.
func (a *Auditor) setHealthy(l *lane, ok bool) {
	if l.healthy.Swap(ok) != ok && ok {
		a.log.Info("audit sink writable again", "sink", l.sink.Name())
	}
	up := false
	for _, o := range a.lanes {
		up = up || o.healthy.Load()
	}
	if a.healthy.Swap(up) != up {
		a.obs.Healthy(up)
		if up {
			a.log.Info("audit sinks writable again")
		} else {
			a.log.Error("no audit sink can write: mutating calls fail closed")
		}
	}
}

type nopObserver struct{}

func (nopObserver) QueueDepth(int)                              {}
func (nopObserver) SinkWrite(string, int, time.Duration, error) {}
func (nopObserver) Dropped(int)                                 {}
func (nopObserver) Healthy(bool)                                {}
