package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Record is an event ready for the sinks: the event and its JSON line.
type Record struct {
	Event *Event
	JSON  []byte
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
	// DefaultQueueSize bounds the events waiting for the writer; a full
	// queue makes Emit wait (backpressure), never drop.
	DefaultQueueSize = 65536
	// lingerBatch and lingerMax: a batch with no waiting (durable) event
	// waits up to lingerMax for lingerBatch events before it is written.
	lingerBatch = 1024
	lingerMax   = 25 * time.Millisecond
	// recheckInterval is how often an unhealthy Auditor re-checks its sinks.
	recheckInterval = time.Second
)

// ErrUnavailable is returned for durable events when no sink could write
// them (and by Ready while that lasts).
var ErrUnavailable = errors.New("audit: no audit sink can write")

// Config configures an Auditor.
type Config struct {
	// Sinks are the durable sinks: an event counts as written once one of
	// them has it. Each batch goes to all of them, concurrently.
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

// Auditor group-commits events to its sinks from one writer goroutine.
type Auditor struct {
	sinks     []Sink
	followers []Follower
	log       *slog.Logger
	obs       Observer

	// The queue: Emit appends under mu and wakes the writer only when it
	// must act (the first event of a batch, a durable event, a full
	// batch), so a flood of reads costs no goroutine switch per event.
	mu       sync.Mutex
	space    *sync.Cond // signalled when the writer takes the queue
	queue    []pending
	queued   int // records in queue
	maxQueue int
	wake     chan struct{} // capacity 1
	// backlog[i] holds copies of the records sink i missed while another
	// sink had them (so they were acknowledged); they are written to it
	// before its next batch. Only the writer goroutine touches it.
	backlog [][]Record
	healthy atomic.Bool
	closing chan struct{}
	done    chan struct{}
	closed  bool // under mu
}

type pending struct {
	recs []Record
	done chan error // nil for fire-and-forget events
}

// New starts an Auditor. Close it to flush and stop.
func New(cfg Config) (*Auditor, error) {
	if len(cfg.Sinks) == 0 {
		return nil, errors.New("audit: at least one sink is required")
	}
	a := &Auditor{
		sinks:     cfg.Sinks,
		followers: cfg.Followers,
		log:       cfg.Logger,
		obs:       cfg.Observer,
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.obs == nil {
		a.obs = nopObserver{}
	}
	n := cfg.QueueSize
	if n <= 0 {
		n = DefaultQueueSize
	}
	a.maxQueue = n
	a.wake = make(chan struct{}, 1)
	a.space = sync.NewCond(&a.mu)
	a.backlog = make([][]Record, len(a.sinks))
	a.healthy.Store(true)
	a.obs.Healthy(true)
	go a.run()
	return a, nil
}

// Healthy reports whether the last write reached at least one sink.
func (a *Auditor) Healthy() bool { return a.healthy.Load() }

// Ready returns ErrUnavailable while no sink can write (for /readyz).
func (a *Auditor) Ready(context.Context) error {
	if !a.healthy.Load() {
		return ErrUnavailable
	}
	return nil
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
	p := pending{recs: recs}
	if durable {
		p.done = make(chan error, 1)
	}
	a.mu.Lock()
	for a.queued >= a.maxQueue && !a.closed {
		// Backpressure, never a drop: wait for the writer to take the queue.
		a.space.Wait()
	}
	if a.closed {
		a.mu.Unlock()
		a.obs.Dropped(len(recs))
		return ErrUnavailable
	}
	a.queue = append(a.queue, p)
	a.queued += len(recs)
	wake := len(a.queue) == 1 || durable || a.queued >= lingerBatch
	depth := a.queued
	a.mu.Unlock()
	if wake {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	a.obs.QueueDepth(depth)
	if !durable {
		return nil
	}
	// Once queued the event will be written whatever the caller does; wait
	// for the verdict (the writer always answers).
	return <-p.done
}

// Close writes what is queued and stops the writer, then closes the sinks.
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
	<-a.done
	var errs []error
	for _, s := range a.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// take removes and returns the queue.
func (a *Auditor) take() (batch []pending, n int, durable bool) {
	a.mu.Lock()
	batch, n = a.queue, a.queued
	a.queue, a.queued = nil, 0
	a.space.Broadcast()
	a.mu.Unlock()
	for _, p := range batch {
		durable = durable || p.done != nil
	}
	return batch, n, durable
}

func (a *Auditor) run() {
	defer close(a.done)
	recheck := time.NewTicker(recheckInterval)
	defer recheck.Stop()
	linger := time.NewTimer(lingerMax)
	linger.Stop()
	for {
		select {
		case <-a.wake:
		case <-recheck.C:
			if !a.healthy.Load() {
				a.recheck()
			}
			continue
		case <-a.closing:
			if batch, _, _ := a.take(); len(batch) > 0 {
				a.write(batch)
			}
			return
		}
		// Nobody waits for reads: unless a durable event or a full batch
		// is queued, gather for up to lingerMax, so that a steady trickle
		// of reads costs one commit per lingerMax rather than one per few
		// events. Emit wakes us early for a durable event or a full batch.
		a.mu.Lock()
		hurry := a.queued >= lingerBatch
		for _, p := range a.queue {
			hurry = hurry || p.done != nil
		}
		a.mu.Unlock()
		if !hurry {
			linger.Reset(lingerMax)
			select {
			case <-linger.C:
			case <-a.wake:
				linger.Stop()
			case <-a.closing:
				linger.Stop()
			}
		}
		batch, _, _ := a.take()
		if len(batch) == 0 {
			continue
		}
		a.write(batch)
		a.obs.QueueDepth(0)
	}
}

// write commits one batch to every sink concurrently and answers its
// durable callers.
func (a *Auditor) write(batch []pending) {
	var recs []Record
	for _, p := range batch {
		recs = append(recs, p.recs...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make([]error, len(a.sinks))
	var wg sync.WaitGroup
	for i, s := range a.sinks {
		wg.Go(func() {
			// What this sink missed earlier goes first, so it catches up.
			if bl := a.backlog[i]; len(bl) > 0 {
				if err := s.Write(ctx, bl); err != nil {
					errs[i] = err
					return
				}
				a.log.Info("audit sink caught up", "sink", s.Name(), "events", len(bl))
				a.backlog[i] = nil
			}
			start := time.Now()
			errs[i] = s.Write(ctx, recs)
			a.obs.SinkWrite(s.Name(), len(recs), time.Since(start), errs[i])
		})
	}
	wg.Wait()
	ok := false
	for i, err := range errs {
		if err == nil {
			ok = true
			continue
		}
		a.log.Error("audit sink write failed", "sink", a.sinks[i].Name(), "events", len(recs), "err", err)
	}
	if ok {
		for i, err := range errs {
			if err != nil {
				a.keepForLater(i, recs)
			}
		}
	}
	var verdict error
	if ok {
		for _, f := range a.followers {
			f.Enqueue(recs)
		}
	} else {
		verdict = ErrUnavailable
		a.obs.Dropped(len(recs))
	}
	if a.healthy.Swap(ok) != ok {
		a.obs.Healthy(ok)
		if ok {
			a.log.Info("audit sinks writable again")
		} else {
			a.log.Error("no audit sink can write: mutating calls fail closed")
		}
	}
	for _, p := range batch {
		if p.done != nil {
			p.done <- verdict
		}
	}
	if len(a.followers) == 0 {
		// The sinks copied the records out; nobody else holds them.
		for _, r := range recs {
			releaseBuf(r.JSON)
		}
	}
}

// maxBacklog bounds what one failing sink keeps for later; past it the
// oldest records are given up for that sink (the other sinks have them).
const maxBacklog = 1 << 20

// keepForLater copies recs into sink i's backlog (the batch's buffers go
// back to the pool).
func (a *Auditor) keepForLater(i int, recs []Record) {
	bl := a.backlog[i]
	for _, r := range recs {
		bl = append(bl, Record{Event: r.Event, JSON: append([]byte(nil), r.JSON...)})
	}
	if over := len(bl) - maxBacklog; over > 0 {
		a.log.Error("audit sink backlog full; its oldest records are left to the other sinks", "sink", a.sinks[i].Name(), "records", over)
		bl = append([]Record(nil), bl[over:]...)
	}
	a.backlog[i] = bl
}

func (a *Auditor) recheck() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range a.sinks {
		if s.Check(ctx) == nil {
			a.healthy.Store(true)
			a.obs.Healthy(true)
			a.log.Info("audit sink writable again", "sink", s.Name())
			return
		}
	}
}

type nopObserver struct{}

func (nopObserver) QueueDepth(int)                              {}
func (nopObserver) SinkWrite(string, int, time.Duration, error) {}
func (nopObserver) Dropped(int)                                 {}
func (nopObserver) Healthy(bool)                                {}
