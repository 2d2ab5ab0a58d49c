package config

// Limits are the abuse limits of the edge: failed authentication and the
// audit events it causes. Each is per node and per minute; 0 turns it off.
type Limits struct {
	// AuthFailuresPerKey is how many failed authentications an access key
	// id may have per minute before its requests get Throttling
	// (--auth-failures-per-key).
	AuthFailuresPerKey int
	// AuthFailuresPerAddress is the same per source address, IPv6 per /64
	// (--auth-failures-per-address).
	AuthFailuresPerAddress int
	// AuditFailedAuthPerAddress is how many audit events of failed
	// authentication a source address may cause per minute; the rest are
	// sampled out and counted (--audit-failed-auth-per-address).
	AuditFailedAuthPerAddress int
}

// DefaultLimits returns the limit defaults.
func DefaultLimits() Limits {
	return Limits{AuthFailuresPerKey: 20, AuthFailuresPerAddress: 100, AuditFailedAuthPerAddress: 20}
}

func (l *Limits) validate(add func(string, ...any)) {
	for _, c := range []struct {
		flag string
		v    int
	}{
		{"--auth-failures-per-key", l.AuthFailuresPerKey},
		{"--auth-failures-per-address", l.AuthFailuresPerAddress},
		{"--audit-failed-auth-per-address", l.AuditFailedAuthPerAddress},
	} {
		if c.v < 0 || c.v > 1_000_000 {
			add("%s %d: want 0 (off) to 1000000 per minute", c.flag, c.v)
		}
	}
}
