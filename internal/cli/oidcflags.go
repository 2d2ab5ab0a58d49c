package cli

import (
	"github.com/spf13/pflag"

	"github.com/castellan-sts/castellan/internal/config"
)

// addOIDCFlags registers serve's OpenID Connect fetch rules.
func addOIDCFlags(f *pflag.FlagSet, o *config.OIDC) {
	f.BoolVar(&o.AllowInsecure, "oidc-allow-insecure", o.AllowInsecure, "accept plain http:// OIDC key-set URLs and redirects (tests only: anyone on the path can then serve keys)")
	f.BoolVar(&o.AllowPrivate, "oidc-allow-private", o.AllowPrivate, "let OIDC discovery and key fetches reach loopback, private, link-local and metadata addresses")
}
