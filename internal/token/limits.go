package token

import "time"

// Limits of the token format and the keyring.
const (
	// KeySize is the size of a keyring key (AES-256).
	KeySize = 32
	// MaxTokenLength bounds a session token accepted for opening; longer
	// input is refused before any decoding work.
	MaxTokenLength = 16 << 10
	// MaxSessionLifetime is the longest temporary credential STS issues
	// (GetSessionToken / GetFederationToken: 36 hours). A key that stopped
	// sealing keeps opening tokens this long, then is retired.
	MaxSessionLifetime = 36 * time.Hour
	// maxSealsPerKey is the AES-GCM random-nonce bound (2^32 messages per
	// key); the keyring rotates well before it.
	maxSealsPerKey = 1 << 31
	// openCacheSize bounds the cache of opened tokens.
	openCacheSize = 100_000
	// reloadMinInterval rate-limits keyring reloads triggered by tokens
	// sealed with a key id this node does not know yet.
	reloadMinInterval = time.Second
)
