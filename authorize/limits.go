package authorize

import "time"

// Limits on what the middleware buffers and waits for.
const (
	// DefaultMaxBody is Options.MaxBody's default: API Gateway's payload
	// limit, as the gateway's max_body default.
	DefaultMaxBody = 10 << 20
	// DefaultTimeout is Options.Timeout's default: how long one call to
	// /authorize may take before the request fails closed.
	DefaultTimeout = 5 * time.Second
	// maxRefusalBody bounds the refusal body relayed from Castellan; its
	// longest (InvalidSignatureException with the canonical request) stays
	// well under it.
	maxRefusalBody = 64 << 10
)
