package protocol

import (
	"net/url"
	"strconv"
	"strings"
)

// Params are the flattened query-protocol parameters of one request
// (Tags.member.1.Key=…), indexed so that list lengths and nested members are
// found without scanning every key.
type Params struct {
	values url.Values
	// prefixes holds every proper dot-prefix of every key ("Tags",
	// "Tags.member", "Tags.member.1").
	prefixes map[string]struct{}
}

// NewParams indexes v.
func NewParams(v url.Values) *Params {
	p := &Params{values: v}
	for k := range v {
		if strings.IndexByte(k, '.') < 0 {
			continue
		}
		if p.prefixes == nil {
			p.prefixes = map[string]struct{}{}
		}
		for i := 0; i < len(k); i++ {
			if k[i] == '.' {
				p.prefixes[k[:i]] = struct{}{}
			}
		}
	}
	return p
}

// Get returns the first value of key, or "".
func (p *Params) Get(key string) string {
	if vs := p.values[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Lookup returns the value of key and whether it was sent.
func (p *Params) Lookup(key string) (string, bool) {
	vs, ok := p.values[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Has reports whether key was sent.
func (p *Params) Has(key string) bool {
	_, ok := p.values[key]
	return ok
}

// HasPrefix reports whether some key starts with key + ".".
func (p *Params) HasPrefix(key string) bool {
	_, ok := p.prefixes[key]
	return ok
}

// Values returns the underlying values (read-only by convention).
func (p *Params) Values() url.Values { return p.values }

// ListLen returns how many consecutive elements prefix+"1", prefix+"2", …
// are present, as a key or as the prefix of nested keys.
func (p *Params) ListLen(prefix string) int {
	n := 0
	for i := 1; i <= maxListItems; i++ {
		k := prefix + strconv.Itoa(i)
		if !p.Has(k) && !p.HasPrefix(k) {
			break
		}
		n = i
	}
	return n
}
