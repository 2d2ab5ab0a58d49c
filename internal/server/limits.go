package server

import "time"

// Limits of the HTTP edge. Every input is bounded.
const (
	// MaxBodyBytes bounds a request body. The largest legitimate query
	// request is a policy document of 131072 characters URL-encoded (up to
	// three bytes each) plus other parameters.
	MaxBodyBytes = 1 << 20
	// MaxHeaderBytes bounds the request line and headers (session tokens are
	// a few KB; AWS's own limit is in the tens of KB).
	MaxHeaderBytes = 64 << 10
	// MaxParams bounds the number of query parameters.
	MaxParams = 5000
	// ReadHeaderTimeout and the others bound slow clients.
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)
