package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestBucketsLimitAndRefill(t *testing.T) {
	b := NewBuckets(3, time.Minute, 0)
	if b.Limited("k", t0) {
		t.Fatal("a new key is limited")
	}
	for i := range 3 {
		if ok, _ := b.Take("k", t0); !ok {
			t.Fatalf("Take %d refused within the burst", i)
		}
	}
	if !b.Limited("k", t0) {
		t.Fatal("key not limited after its burst")
	}
	if b.Limited("other", t0) {
		t.Fatal("another key is limited")
	}
	if ok, _ := b.Take("k", t0); ok {
		t.Fatal("Take succeeded on an empty bucket")
	}
	// One token back after a third of the period.
	if b.Limited("k", t0.Add(20*time.Second)) {
		t.Fatal("still limited after a token refilled")
	}
	ok, skipped := b.Take("k", t0.Add(20*time.Second))
	if !ok || skipped != 1 {
		t.Fatalf("Take after refill = %v, %d; want true, 1 skipped", ok, skipped)
	}
}

func TestBucketsRefusedNoticeOncePerWindow(t *testing.T) {
	b := NewBuckets(1, time.Minute, 0)
	b.Take("k", t0)
	if n, s := b.Refused("k", t0); !n || s != 0 {
		t.Fatalf("first refusal: notice %v suppressed %d", n, s)
	}
	for i := range 5 {
		if n, _ := b.Refused("k", t0.Add(time.Duration(i)*time.Second)); n {
			t.Fatal("second notice within the window")
		}
	}
	if n, s := b.Refused("k", t0.Add(time.Minute)); !n || s != 5 {
		t.Fatalf("next window: notice %v suppressed %d, want true 5", n, s)
	}
}

func TestBucketsBounded(t *testing.T) {
	const maxKeys = shards * 4
	b := NewBuckets(1, time.Minute, maxKeys)
	for i := range 100 * maxKeys {
		b.Take(fmt.Sprint("key-", i), t0)
	}
	if n := b.Len(); n > maxKeys {
		t.Fatalf("%d keys held, cap %d", n, maxKeys)
	}
	// Once the buckets have refilled they make room again.
	later := t0.Add(2 * time.Minute)
	b.Take("fresh", later)
	b.Take("fresh", later)
	if !b.Limited("fresh", later) {
		t.Fatal("a key after the flood is not tracked")
	}
	b.Sweep(later.Add(2 * time.Minute))
	if n := b.Len(); n != 0 {
		t.Fatalf("after Sweep %d keys held, want 0", n)
	}
}

func TestNilBucketsNeverLimit(t *testing.T) {
	var b *Buckets = NewBuckets(0, time.Minute, 0)
	if b != nil {
		t.Fatal("burst 0 gave buckets")
	}
	if b.Limited("k", t0) {
		t.Fatal("nil buckets limited")
	}
	if ok, _ := b.Take("k", t0); !ok {
		t.Fatal("nil buckets refused")
	}
}

func TestLockout(t *testing.T) {
	l := NewLockout(3, 5*time.Minute, 15*time.Minute, 0)
	for i := range 2 {
		if locked, _ := l.Fail("d", t0.Add(time.Duration(i)*time.Second)); locked {
			t.Fatal("locked before the third failure")
		}
	}
	locked, until := l.Fail("d", t0.Add(2*time.Second))
	if !locked || !until.Equal(t0.Add(2*time.Second+15*time.Minute)) {
		t.Fatalf("third failure: locked %v until %v", locked, until)
	}
	if !l.Locked("d", t0.Add(14*time.Minute)) || l.Locked("d", t0.Add(16*time.Minute)) {
		t.Fatal("lockout does not last exactly 15 minutes")
	}
	l.Clear("d")
	if l.Locked("d", t0.Add(3*time.Second)) {
		t.Fatal("Clear did not lift the lockout")
	}
	// Failures spread over more than the window never lock.
	for i := range 10 {
		if locked, _ := l.Fail("e", t0.Add(time.Duration(i)*3*time.Minute)); locked {
			t.Fatalf("locked at failure %d though spread out", i)
		}
	}
	// A success forgets the count.
	l.Fail("f", t0)
	l.Fail("f", t0)
	l.Succeeded("f", t0)
	if locked, _ := l.Fail("f", t0); locked {
		t.Fatal("count survived a success")
	}
}

func TestSweepIfDue(t *testing.T) {
	b := NewBuckets(2, time.Minute, 0)
	b.Take("k", t0)
	b.SweepIfDue(t0) // first call sweeps; "k" is not yet refilled
	if b.Len() != 1 {
		t.Fatalf("a bucket that has not refilled was dropped: Len %d", b.Len())
	}
	b.SweepIfDue(t0.Add(59 * time.Second)) // refilled, but no window since the last sweep
	if b.Len() != 1 {
		t.Fatalf("swept before a window had passed: Len %d", b.Len())
	}
	b.SweepIfDue(t0.Add(61 * time.Second))
	if b.Len() != 0 {
		t.Fatalf("a window later the refilled bucket is still held: Len %d", b.Len())
	}
}
