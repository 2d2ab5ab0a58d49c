// Package client is Castellan's client toolkit: configure, doctor, exec,
// credential-process, the local container-credentials server and key
// rotation. It resolves credentials with aws-sdk-go-v2's own config and
// credential providers, so it sees exactly what the user's SDKs see, and
// adds only what they lack (a file cache, refresh ahead of expiry, checks
// with fixes).
//
// It imports nothing server-side (STYLE.md rule 6): it talks to Castellan
// only over the AWS APIs, like any other client.
package client
