package ratelimit

import (
	"sync"
	"time"
)

// Lockout counts failures per key (an MFA device, a user) and locks a key
// out for a while once it fails too often: at most Max failures within
// Window, then every attempt is refused for Lock. The zero value is not
// usable; use NewLockout.
//
// Keys are entities that exist (devices, users), so the set is bounded by
// the store; maxKeys still caps it. At the cap, expired entries are
// dropped; if none can be, the key is not tracked (its failures are not
// counted) rather than another key's lockout being forgotten.
type Lockout struct {
	max          int
	window, lock time.Duration
	maxKeys      int

	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
}

// NewLockout returns a lockout of max failures per window, locking for
// lock. max of 0 or less returns nil, and a nil *Lockout never locks.
func NewLockout(max int, window, lock time.Duration, maxKeys int) *Lockout {
	if max <= 0 || window <= 0 || lock <= 0 {
		return nil
	}
	if maxKeys <= 0 {
		maxKeys = 1 << 17
	}
	return &Lockout{max: max, window: window, lock: lock, maxKeys: maxKeys, m: map[string]*lockEntry{}}
}

// Locked reports whether key is locked out at now.
func (l *Lockout) Locked(key string, now time.Time) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	return e != nil && now.Before(e.lockedUntil)
}

// Fail records a failure of key at now. locked reports whether this
// failure locked the key out (it is the Max-th of the window); until is
// then the end of the lockout.
func (l *Lockout) Fail(key string, now time.Time) (locked bool, until time.Time) {
	if l == nil {
		return false, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil {
		if len(l.m) >= l.maxKeys {
			l.sweep(now)
			if len(l.m) >= l.maxKeys {
				return false, time.Time{}
			}
		}
		e = &lockEntry{}
		l.m[key] = e
	}
	if now.Before(e.lockedUntil) {
		return false, e.lockedUntil // already locked: nothing new to report
	}
	if e.failures == 0 || now.Sub(e.windowStart) >= l.window {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures < l.max {
		return false, time.Time{}
	}
	e.failures = 0
	e.lockedUntil = now.Add(l.lock)
	return true, e.lockedUntil
}

// Clear forgets key's failures and lifts its lockout (an administrator's
// ResyncMFADevice, a password reset).
func (l *Lockout) Clear(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

// Succeeded forgets key's failures after a successful attempt; it does not
// lift a lockout (a locked key has no successful attempts).
func (l *Lockout) Succeeded(key string, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if e := l.m[key]; e != nil && !now.Before(e.lockedUntil) {
		delete(l.m, key)
	}
	l.mu.Unlock()
}

// sweep drops entries whose window and lockout are over; l.mu held.
func (l *Lockout) sweep(now time.Time) {
	for k, e := range l.m {
		if !now.Before(e.lockedUntil) && now.Sub(e.windowStart) >= l.window {
			delete(l.m, k)
		}
	}
}
