package sigv4

import (
	"context"
	"net/http"
)

// Values of x-amz-content-sha256 for aws-chunked bodies.
const (
	// StreamingPayload: every chunk is signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingPayloadTrailer: signed chunks and a signed trailer.
	StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer: unsigned chunks, an unsigned trailer
	// carrying a checksum.
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// UnsignedPayload: the body is not part of the signature.
	UnsignedPayload = unsignedPayload
	// EmptySHA256 is the hex SHA-256 of an empty body.
	EmptySHA256 = emptySHA256
)

// VerifyDeclared authenticates r as Verify does, for a caller that does not
// have the body (an external-auth proxy's subrequest): the payload hash in
// the canonical request is the declared x-amz-content-sha256 header, used
// without checking it against a body, or, when the header is absent, the
// hash of an empty body. The signature then proves that the client signed
// that hash; whoever has the body must check it.
func (v *Verifier) VerifyDeclared(ctx context.Context, r *http.Request, service string) (*Result, error) {
	return v.verify(ctx, r, service, nil, true, nil)
}
