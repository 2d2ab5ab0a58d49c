// Package sigv4 verifies and creates AWS Signature Version 4 (SigV4)
// signatures, both in the Authorization header and in presigned (query
// string) form, reproducing the error codes and messages AWS returns.
//
// The package uses only the standard library. A server authenticates a
// request with a [Verifier], giving it a [CredentialSource] that maps an
// access key id to its secret; clients and tests create signatures with
// [Sign] and [Presign].
//
// # Canonicalisation
//
// By default the non-S3 rules used by STS, IAM and most AWS services apply:
// the request path is normalised (RFC 3986 dot-segment removal, repeated
// slashes collapsed) and each segment is URI-encoded a second time, as the
// SDKs do. With [Verifier.S3] set, the path is used as sent and encoded
// once, and presigned URLs must respect X-Amz-Expires.
//
// # Check order
//
// [Verifier.Verify] checks a request in the order AWS's Coral front end
// (STS, IAM, DynamoDB, …) has been observed to use, so that a client sees the
// same error AWS would give it:
//
//  1. header and query authentication both present; neither present;
//  2. the Authorization header's key=value syntax, then every missing
//     element (Credential, Signature, SignedHeaders, X-Amz-Date/Date) in one
//     IncompleteSignature message; the query-string equivalent;
//  3. the date format;
//  4. the clock-skew window (expired / not yet current), and for S3
//     presigned URLs X-Amz-Expires;
//  5. host (and, if required, X-Amz-Security-Token) among the signed headers;
//  6. the algorithm;
//  7. the credential's shape, then its scope: region, service, terminator
//     and date, reported together in one message;
//  8. the access key id, through the CredentialSource;
//  9. the signature itself, compared in constant time.
package sigv4
