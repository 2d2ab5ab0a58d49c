package sigv4

import "time"

// Limits on untrusted input. Requests that exceed them are refused before any
// expensive work is done.
const (
	// MaxAuthorizationLength bounds the Authorization header (bytes). SDK
	// headers are about 250 bytes; 8 KiB leaves room for long key ids.
	MaxAuthorizationLength = 8 << 10

	// MaxSignedHeaders bounds the number of names in SignedHeaders.
	MaxSignedHeaders = 64

	// MaxQueryParams bounds the number of query parameters canonicalised.
	MaxQueryParams = 1024

	// MaxPresignExpires is the largest X-Amz-Expires AWS accepts: one week,
	// in seconds.
	MaxPresignExpires = 604800

	// DefaultMaxSkew is the clock-skew window STS, IAM and S3 use
	// (MaxAllowedSkewMilliseconds = 900000).
	DefaultMaxSkew = 15 * time.Minute

	// signingKeyCacheSize bounds the signing-key cache (entries). One entry
	// serves one (secret, day, region, service) for a whole day.
	signingKeyCacheSize = 4096
)

// Limits of aws-chunked bodies (as MinIO's verifier bounds them).
const (
	// MaxChunkSize bounds one chunk of an aws-chunked body; a ChunkReader
	// holds at most one chunk in memory. SDKs send 64 KiB to 1 MiB chunks.
	MaxChunkSize = 16 << 20
	// MaxChunkLine bounds a chunk header or trailer line (bytes).
	MaxChunkLine = 4096
	// maxTrailerLines bounds the number of trailer lines.
	maxTrailerLines = 16
)
