package config

// OIDC configures the fetches of OpenID Connect discovery documents and
// key sets for AssumeRoleWithWebIdentity.
type OIDC struct {
	// AllowInsecure accepts plain http:// key-set URLs and redirects
	// (--oidc-allow-insecure). For tests only: a network attacker can then
	// serve their own keys.
	AllowInsecure bool
	// AllowPrivate lets fetches reach loopback, private, link-local,
	// metadata and other internal addresses (--oidc-allow-private), for
	// issuers on a private network.
	AllowPrivate bool
}
