// Package ratelimit holds the bounded, in-memory limiters of abuse
// resistance: token buckets keyed by access key id or source address
// (failed authentication, audit sampling) and lockouts keyed by an MFA
// device or a user (wrong codes, wrong passwords).
//
// Both are per process and bounded in memory: an attacker who rotates keys
// grows no map past its cap. A bucket that has refilled, or a lockout that
// has expired, holds no information and is dropped when room is needed, so
// the cap only matters when more keys are active at once than it allows;
// see each type for what happens then.
package ratelimit

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// shards spreads keys over independently locked maps, so that concurrent
// failures for different keys rarely contend.
const shards = 64

var seed = maphash.MakeSeed()

func shardOf(key string) int { return int(maphash.String(seed, key) % shards) }

// Buckets is a set of token buckets, one per key, each holding up to Burst
// tokens and refilling at Rate tokens per Per. A key without a bucket has a
// full one. The zero value is not usable; use NewBuckets.
type Buckets struct {
	burst    float64
	perToken int64 // nanoseconds to refill one token
	window   int64 // nanoseconds between two notices for one key
	maxShard int
	// keys counts the buckets of every shard, so a caller can skip even
	// computing a key while no bucket exists.
	keys atomic.Int64
	// swept is when Sweep last ran (unix nanoseconds; SweepIfDue).
	swept  atomic.Int64
	shards [shards]bucketShard
}

type bucketShard struct {
	n  atomic.Int32 // len(m), read without the lock
	mu sync.RWMutex
	m  map[string]*bucket
	// swept is when the shard was last swept (unix nanoseconds): creating
	// a bucket sweeps a shard not swept for a window.
	swept int64
}

type bucket struct {
	tokens float64
	at     int64 // unix nanoseconds of the last refill
	// skipped counts Take calls refused since the last one that succeeded.
	skipped int64
	// noticeAt is when the next Refused may return a notice; refused
	// counts the refusals since the last notice.
	noticeAt int64
	refused  int64
}

// NewBuckets returns buckets of burst tokens refilling burst tokens per
// per; maxKeys bounds the keys held at once (0: 65536). A burst of 0 or
// less returns nil, and a nil *Buckets never limits.
func NewBuckets(burst int, per time.Duration, maxKeys int) *Buckets {
	if burst <= 0 || per <= 0 {
		return nil
	}
	if maxKeys <= 0 {
		maxKeys = 1 << 16
	}
	b := &Buckets{burst: float64(burst), perToken: int64(per) / int64(burst), window: int64(per), maxShard: max(1, maxKeys/shards)}
	if b.perToken <= 0 {
		b.perToken = 1
	}
	for i := range b.shards {
		b.shards[i].m = map[string]*bucket{}
	}
	return b
}

// refill brings e's tokens up to now.
func (b *Buckets) refill(e *bucket, now int64) {
	if now <= e.at {
		return
	}
	e.tokens += float64(now-e.at) / float64(b.perToken)
	if e.tokens > b.burst {
		e.tokens = b.burst
	}
	e.at = now
}

// tokensAt is e's token count at now, without changing e.
func (b *Buckets) tokensAt(e *bucket, now int64) float64 {
	t := e.tokens
	if now > e.at {
		t += float64(now-e.at) / float64(b.perToken)
	}
	return min(t, b.burst)
}

// Limited reports whether key's bucket is empty at now. It changes
// nothing, and costs one atomic load while no key of key's shard has a
// bucket (the common case: no recent failures).
func (b *Buckets) Limited(key string, now time.Time) bool {
	if b == nil {
		return false
	}
	sh := &b.shards[shardOf(key)]
	if sh.n.Load() == 0 {
		return false
	}
	sh.mu.RLock()
	e := sh.m[key]
	limited := e != nil && b.tokensAt(e, now.UnixNano()) < 1
	sh.mu.RUnlock()
	return limited
}

// Take takes a token from key's bucket. ok reports whether there was one;
// skipped is, when ok, how many Take calls were refused since the last one
// that succeeded (then reset). When the key cap is reached and no bucket
// can be dropped, the key is not tracked and Take succeeds.
func (b *Buckets) Take(key string, now time.Time) (ok bool, skipped int64) {
	if b == nil {
		return true, 0
	}
	t := now.UnixNano()
	sh := &b.shards[shardOf(key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := b.entry(sh, key, t)
	if e == nil {
		return true, 0
	}
	b.refill(e, t)
	if e.tokens < 1 {
		e.skipped++
		return false, 0
	}
	e.tokens--
	skipped, e.skipped = e.skipped, 0
	return true, skipped
}

// Refused records a request refused because key's bucket was empty. notice
// is true for the first refusal of each window (Per), which the caller
// reports (audits) once; suppressed is then the number of refusals since
// the previous notice, which it did not report.
func (b *Buckets) Refused(key string, now time.Time) (notice bool, suppressed int64) {
	if b == nil {
		return false, 0
	}
	t := now.UnixNano()
	sh := &b.shards[shardOf(key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		return true, 0
	}
	if t < e.noticeAt {
		e.refused++
		return false, 0
	}
	e.noticeAt = t + b.window
	suppressed, e.refused = e.refused, 0
	return true, suppressed
}

// Len returns the number of keys with a bucket (one atomic load).
func (b *Buckets) Len() int {
	if b == nil {
		return 0
	}
	return int(b.keys.Load())
}

// entry returns key's bucket, creating a full one; nil when the shard is
// at its cap and none of its buckets can be dropped. Called with sh.mu
// held.
func (b *Buckets) entry(sh *bucketShard, key string, now int64) *bucket {
	if e := sh.m[key]; e != nil {
		return e
	}
	if now-sh.swept > b.window {
		b.sweepShard(sh, now)
	}
	if len(sh.m) >= b.maxShard {
		b.sweepShard(sh, now)
		if len(sh.m) >= b.maxShard {
			return nil
		}
	}
	e := &bucket{tokens: b.burst, at: now}
	sh.m[key] = e
	sh.n.Store(int32(len(sh.m)))
	b.keys.Add(1)
	return e
}

// idle reports whether e holds nothing worth keeping: full, with no
// refusal to report, or with one no Take has come for within a window.
func (b *Buckets) idle(e *bucket, now int64) bool {
	return b.tokensAt(e, now) >= b.burst && (e.skipped == 0 || now-e.at >= b.window) && (e.refused == 0 || now >= e.noticeAt)
}

// sweepShard drops sh's idle buckets; called with sh.mu held.
func (b *Buckets) sweepShard(sh *bucketShard, now int64) {
	for k, e := range sh.m {
		if b.idle(e, now) {
			delete(sh.m, k)
			b.keys.Add(-1)
		}
	}
	sh.swept = now
	sh.n.Store(int32(len(sh.m)))
}

// SweepIfDue runs Sweep when a window (Per) has passed since the last
// one; otherwise it costs one atomic load. Call it where Len is checked,
// so that Len drops back to 0 once failures stop.
func (b *Buckets) SweepIfDue(now time.Time) {
	if b == nil {
		return
	}
	t, last := now.UnixNano(), b.swept.Load()
	if t-last < b.window || !b.swept.CompareAndSwap(last, t) {
		return
	}
	b.Sweep(now)
}

// Sweep drops the buckets that hold nothing (full, nothing to report), so
// that Limited goes back to its lock-free path once failures stop. Call it
// now and then (once a window is plenty), or call SweepIfDue.
func (b *Buckets) Sweep(now time.Time) {
	if b == nil {
		return
	}
	t := now.UnixNano()
	b.swept.Store(t)
	for i := range b.shards {
		sh := &b.shards[i]
		if sh.n.Load() == 0 {
			continue
		}
		sh.mu.Lock()
		b.sweepShard(sh, t)
		sh.mu.Unlock()
	}
}
