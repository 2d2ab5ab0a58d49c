package cli

import (
	"github.com/spf13/pflag"

	"github.com/castellan-sts/castellan/internal/config"
)

// addLimitFlags registers serve's failed-authentication limits.
func addLimitFlags(f *pflag.FlagSet, l *config.Limits) {
	f.IntVar(&l.AuthFailuresPerKey, "auth-failures-per-key", l.AuthFailuresPerKey, "failed authentications per minute one access key id may have before its requests get Throttling (per node; 0: off)")
	f.IntVar(&l.AuthFailuresPerAddress, "auth-failures-per-address", l.AuthFailuresPerAddress, "failed authentications per minute one source address (IPv6: /64) may have before its requests get Throttling (per node; 0: off)")
	f.IntVar(&l.AuditFailedAuthPerAddress, "audit-failed-auth-per-address", l.AuditFailedAuthPerAddress, "audit events of failed authentication per minute per source address; the rest are sampled out and counted (0: audit all)")
}
