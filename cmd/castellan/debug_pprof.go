//go:build pprof

package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
)

// startDebug serves net/http/pprof on CASTELLAN_DEBUG_PPROF_ADDR, with
// block and mutex profiling on. Only binaries built with -tags pprof have
// it (make bench-e2e's -profile): the profiles cost the server CPU and the
// endpoint has no authentication, so a release build never carries it.
func startDebug() {
	addr := os.Getenv("CASTELLAN_DEBUG_PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "castellan: debug server:", err)
		return
	}
	runtime.SetBlockProfileRate(10_000) // one sample per 10 µs blocked
	runtime.SetMutexProfileFraction(10)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(ln, mux) }()
}
