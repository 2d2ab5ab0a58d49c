package gateway

// Limits on configuration and untrusted input.
const (
	// maxConfigBytes bounds the configuration file.
	maxConfigBytes = 4 << 20
	// maxRoutes bounds the number of routes in the file.
	maxRoutes = 1000
	// maxMaxBody is the largest max_body a route may set for buffered bodies.
	maxMaxBody = 1 << 30
	// maxOriginalURI bounds the original request URI /authorize accepts
	// from a proxy's headers.
	maxOriginalURI = 16 << 10
	// firstRead is how much of a verified aws-chunked body is read before
	// the upstream is dialled.
	firstRead = 32 << 10
	// maxTagsHeader bounds X-Castellan-Principal-Tags.
	maxTagsHeader = 8 << 10
)
