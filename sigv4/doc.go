// Package sigv4 verifies and creates AWS Signature Version 4 (SigV4)
// signatures, both in the Authorization header and in presigned (query
// string) form, reproducing the error codes and messages AWS returns.
//
// The package uses only the standard library. A server authenticates a
// request with a [Verifier], giving it a [CredentialSource] that maps an
// access key id to its secret; clients and tests create signatures with
// [Sign] and [Presign]. The building blocks ([CanonicalURI],
// [CanonicalQuery], [CanonicalRequest], [StringToSign], [SigningKey],
// [Signature], [ParseAuthorization], [ParsePresigned]) are exported for
// white-box tests and tools.
//
// # Canonicalisation
//
// By default the non-S3 rules used by STS, IAM and most AWS services apply:
// the request path is normalised (RFC 3986 dot-segment removal, repeated
// slashes collapsed) and URI-encoded a second time, as the SDKs do. With
// [Verifier.S3] set, the path is used as sent and encoded once, presigned
// URLs hash the payload as UNSIGNED-PAYLOAD, and X-Amz-Expires is enforced.
//
// The path is taken from http.Request.RequestURI when it is in origin form,
// so a handler behind http.StripPrefix still verifies the path the client
// signed; otherwise from the URL's escaped path. The host is
// http.Request.Host. Only the headers named in SignedHeaders are
// canonicalised.
//
// # Check order
//
// [Verifier.Verify] checks a request in the order AWS's Coral front end
// (STS, IAM, DynamoDB, …) has been observed to use, so that a client sees the
// error AWS would give it. The order and message texts follow responses
// recorded from AWS by dynalite (mhart/dynalite, which documents the order
// step by step), scratchstack-aws-signature's "AWS Auth Error Ordering", and
// real STS/IAM responses quoted in public issue reports (for example
// aws/aws-sdk-go#289, boto/boto3#2280, jenkinsci/aws-credentials-plugin#72):
//
//  1. the Authorization header and an X-Amz-Algorithm query parameter both
//     present; neither present, or an Authorization header not starting
//     with "AWS4-" (MissingAuthenticationToken);
//  2. the Authorization header's key=value syntax, then every missing
//     element (Credential, Signature, SignedHeaders, X-Amz-Date/Date) named
//     in one IncompleteSignature message; the query-string equivalent;
//  3. the date format;
//  4. the clock-skew window (expired / not yet current); for S3 presigned
//     URLs X-Amz-Expires instead;
//  5. host (and, with RequireSignedSecurityToken, X-Amz-Security-Token)
//     among the signed headers;
//  6. the algorithm;
//  7. the credential's shape, then its scope: region, service, terminator
//     and date, all reported together in one message;
//  8. the access key id, through the CredentialSource;
//  9. the signature itself, compared in constant time.
//
// AWS checks the clock before the credential scope, so a stale request with
// a wrong region reports "Signature expired". Texts AWS has not been seen to
// send (the length limits, an unsigned security token when one is required,
// a bad X-Amz-Expires on STS) are Castellan's own, in AWS's style.
package sigv4
