//go:build !pprof

package main

// startDebug does nothing: the pprof debug server exists only in binaries
// built with -tags pprof (debug_pprof.go).
func startDebug() {}
