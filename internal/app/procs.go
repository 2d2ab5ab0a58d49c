package app

import (
	"runtime"
	"runtime/debug"
)

// syncProcs is how many goroutines spend most of their time blocked in
// fsync: the audit file's writer and the store's one writer.
const syncProcs = 2

// TuneProcs raises GOMAXPROCS by syncProcs above the CPUs the runtime
// found, unless the environment sets GOMAXPROCS, and returns the value in
// force. A goroutine blocked in a system call keeps its P until the
// runtime's monitor takes it back, which on a busy process can take up to
// 10 ms; each group commit blocks in fsync for about a millisecond, so
// without spare Ps the server leaves a CPU idle while requests wait to
// run. Measured with BenchmarkAssumeRoleHTTP: on 2 CPUs, AssumeRole went
// from about 130% to 170% CPU use and from 0.21x to 0.25x of
// GetCallerIdentity's rate. The server calls it at start (`castellan
// serve`, with auditing on); it changes process-wide state, so library
// code never does.
func TuneProcs(getenv func(string) string) int {
	if getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := runtime.GOMAXPROCS(0) + syncProcs
	runtime.GOMAXPROCS(n)
	return n
}

// gcPercent is the GOGC serve runs with when the environment sets none.
// The server's live heap is small (caches, queues) and its garbage is
// per request, so the default of 100 collects very often: in bench-e2e
// (castellan serve as its own process, 16 connections, 2 CPUs) GOGC=400
// cut server CPU per GetCallerIdentity from 82 to 71 µs and per audited
// AssumeRole by about 8 %, for a heap that peaks at about five times the
// live one instead of twice.
const gcPercent = 400

// TuneGC sets the garbage collector's target to gcPercent unless the
// environment sets GOGC, and returns the value in force. Like TuneProcs
// it changes process-wide state, so only `castellan serve` calls it.
func TuneGC(getenv func(string) string) int {
	if v := getenv("GOGC"); v != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(gcPercent)
	return gcPercent
}
