package webidentity

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Fetch limits: what an issuer's server may cost us. A registered
// provider is chosen by an administrator, but its server answers whatever
// it likes, and a token's unknown key id is chosen by anyone.
const (
	// maxFetchBody bounds a discovery document or key set.
	maxFetchBody = 1 << 20
	// maxRedirects bounds the (same-host) redirects of one fetch.
	maxRedirects = 3
	// maxResponseHeader bounds the response header of one fetch.
	maxResponseHeader = 64 << 10
)

// errRefused marks fetches refused by the safety rules (scheme, address,
// host, size); they are never retried and answer like an unreachable key
// set.
var errRefused = errors.New("webidentity: fetch refused")

func refused(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errRefused, fmt.Sprintf(format, a...))
}

// errUnreachable marks fetches that failed in the network or at the
// issuer's server (connection refused or reset, 5xx): AWS's
// IDPCommunicationError.
var errUnreachable = errors.New("webidentity: issuer not reachable")

// fetcher fetches discovery documents and key sets over connections it
// checks itself: every connection's resolved address is checked as it is
// dialled (net.Dialer.Control), so neither a DNS answer that changes
// between check and use nor a redirect can reach an address the rules
// refuse. No proxy from the environment is used, since a proxy would
// dial for us.
type fetcher struct {
	client        *http.Client
	allowInsecure bool
}

func newFetcher(cfg Config) *fetcher {
	f := &fetcher{allowInsecure: cfg.AllowInsecure}
	dialer := &net.Dialer{Timeout: fetchTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		return checkAddress(address, cfg.AllowPrivate)
	}}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if cfg.DialAddress != nil {
				addr = cfg.DialAddress(addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    fetchTimeout,
		ResponseHeaderTimeout:  fetchTimeout,
		MaxResponseHeaderBytes: maxResponseHeader,
		MaxIdleConnsPerHost:    2,
	}
	f.client = &http.Client{Transport: transport, Timeout: fetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return refused("more than %d redirects", maxRedirects)
			}
			if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
				return refused("redirect from %s to another host %s", via[0].URL.Host, req.URL.Host)
			}
			return f.checkScheme(req.URL)
		}}
	return f
}

func (f *fetcher) checkScheme(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && f.allowInsecure:
	default:
		return refused("%s is not an https URL (plain http needs --oidc-allow-insecure)", u.Redacted())
	}
	if u.Host == "" || u.User != nil {
		return refused("%s has no host or carries credentials", u.Redacted())
	}
	return nil
}

// getJSON fetches raw and decodes its JSON body into v.
func (f *fetcher) getJSON(ctx context.Context, raw string, v any) error {
	u, err := url.Parse(raw)
	if err != nil {
		return refused("invalid URL")
	}
	if err := f.checkScheme(u); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return refused("invalid URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errRefused) {
			return err
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("webidentity: fetching %s: %w", u.Redacted(), err)
		}
		return fmt.Errorf("%w: fetching %s: %w", errUnreachable, u.Redacted(), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("%w: %s answered %s", errUnreachable, u.Redacted(), resp.Status)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("webidentity: %s answered %s", u.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
	if err != nil {
		return fmt.Errorf("webidentity: reading %s: %w", u.Redacted(), err)
	}
	if len(body) > maxFetchBody {
		return refused("%s is larger than %d bytes", u.Redacted(), maxFetchBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("webidentity: %s is not JSON: %w", u.Redacted(), err)
	}
	return nil
}

// blockedPrefixes are ranges no issuer on the internet lives in, beyond
// what netip's predicates cover: "this network", carrier-grade NAT (also
// some clouds' metadata, 100.100.100.200), IETF protocol assignments,
// benchmarking and the reserved class E with the broadcast address.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToFo = netip.MustParsePrefix("2002::/16")
)

// checkAddress refuses a dialled host:port whose address is loopback,
// private, link-local (which holds the 169.254.169.254 metadata service),
// unique-local (fd00:ec2::254), multicast, unspecified or reserved,
// unless allowPrivate. IPv4 addresses embedded in IPv6 (mapped, NAT64,
// 6to4) are checked as IPv4.
func checkAddress(address string, allowPrivate bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return refused("address %q", address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return refused("address %q is not an IP address", address)
	}
	if allowPrivate {
		return nil
	}
	if internal(ip) {
		return refused("address %s is loopback, private, link-local or reserved (allow it with --oidc-allow-private)", ip)
	}
	return nil
}

func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return internal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFo.Contains(ip):
			return internal(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// sameHost reports whether u is on the issuer's host (and port).
func sameHost(issuer, u *url.URL) bool {
	return strings.EqualFold(issuer.Host, u.Host)
}
