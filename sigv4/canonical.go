package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	amzDateLayout   = "20060102T150405Z"
	upperHex        = "0123456789ABCDEF"
)

// scratch holds the reusable buffers and hasher of one signature
// computation. It is pooled so that verifying a request allocates nothing
// for canonicalisation or hashing.
type scratch struct {
	h      hash.Hash // SHA-256
	buf    []byte    // canonical request
	sts    []byte    // string to sign
	dec    []byte    // percent-decoding scratch
	qbuf   []byte    // canonical query components
	pairs  []queryPair
	segs   []pathSeg
	key    []byte // header-name scratch
	sum    [sha256.Size]byte
	inner  [sha256.Size]byte
	hexd   [2 * sha256.Size]byte // computed signature, hex
	sigHex [2 * sha256.Size]byte // presented signature
	skey   [sha256.Size]byte     // signing key of the current computation
	kin    []byte                // cached SHA-256 state after key^ipad, or nil
	kout   []byte                // cached SHA-256 state after key^opad
	pad    [sha256.BlockSize]byte
	ends   [MaxSignedHeaders]uint16 // SignedHeaders name ends (scanSignedHeaders)
}

type queryPair struct{ k0, k1, v0, v1 int32 } // ranges in scratch.qbuf

type pathSeg struct{ i, j int }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		h:    sha256.New(),
		buf:  make([]byte, 0, 1024),
		sts:  make([]byte, 0, 256),
		key:  make([]byte, 0, 64),
		segs: make([]pathSeg, 0, 16),
	}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.buf) > 64<<10 || cap(s.qbuf) > 64<<10 || cap(s.dec) > 64<<10 {
		return // let oversized buffers go
	}
	s.buf, s.sts, s.dec, s.qbuf = s.buf[:0], s.sts[:0], s.dec[:0], s.qbuf[:0]
	s.pairs, s.segs, s.key = s.pairs[:0], s.segs[:0], s.key[:0]
	s.kin, s.kout = nil, nil
	scratchPool.Put(s)
}

// sha256 returns SHA-256(b) in s.sum.
func (s *scratch) sha256(b []byte) *[sha256.Size]byte {
	s.h.Reset()
	s.h.Write(b)
	s.h.Sum(s.sum[:0])
	return &s.sum
}

// hmac computes HMAC-SHA256(key, msg) into out, with no allocation.
// key must be at most one block long (signing keys are 32 bytes; the
// first step of the key derivation uses "AWS4"+secret, which is shorter
// than 64 bytes for every real secret and hashed first otherwise).
func (s *scratch) hmac(out *[sha256.Size]byte, key, msg []byte) {
	if len(key) > sha256.BlockSize {
		s.h.Reset()
		s.h.Write(key)
		s.h.Sum(s.inner[:0])
		key = s.inner[:]
	}
	clear(s.pad[:])
	copy(s.pad[:], key)
	for i := range s.pad {
		s.pad[i] ^= 0x36
	}
	s.h.Reset()
	s.h.Write(s.pad[:])
	s.h.Write(msg)
	s.h.Sum(s.inner[:0])
	for i := range s.pad {
		s.pad[i] ^= 0x36 ^ 0x5c
	}
	s.h.Reset()
	s.h.Write(s.pad[:])
	s.h.Write(s.inner[:])
	s.h.Sum(out[:0])
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// hmacStates returns the marshalled SHA-256 states after absorbing
// key^ipad and key^opad, so that a cached key's HMAC skips two blocks.
func (s *scratch) hmacStates(key []byte) (inner, outer []byte) {
	clear(s.pad[:])
	copy(s.pad[:], key)
	for i := range s.pad {
		s.pad[i] ^= 0x36
	}
	s.h.Reset()
	s.h.Write(s.pad[:])
	inner, _ = s.h.(encoding.BinaryMarshaler).MarshalBinary()
	for i := range s.pad {
		s.pad[i] ^= 0x36 ^ 0x5c
	}
	s.h.Reset()
	s.h.Write(s.pad[:])
	outer, _ = s.h.(encoding.BinaryMarshaler).MarshalBinary()
	return inner, outer
}

// hmacSigningKey computes HMAC-SHA256(s.skey, msg) into out, from the cached
// pad states when present.
func (s *scratch) hmacSigningKey(out *[sha256.Size]byte, msg []byte) {
	u, ok := s.h.(encoding.BinaryUnmarshaler)
	if s.kin == nil || !ok || u.UnmarshalBinary(s.kin) != nil {
		s.hmac(out, s.skey[:], msg)
		return
	}
	s.h.Write(msg)
	s.h.Sum(s.inner[:0])
	if u.UnmarshalBinary(s.kout) != nil {
		s.hmac(out, s.skey[:], msg)
		return
	}
	s.h.Write(s.inner[:])
	s.h.Sum(out[:0])
}

// appendURIEncode appends AWS's UriEncode(s): every byte except the
// unreserved set (and '/' when keepSlash) as %XX with upper-case hex.
func appendURIEncode[T string | []byte](dst []byte, s T, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendUnescape appends the percent-decoding of s. Invalid escapes are kept
// literally. With plusSpace, '+' decodes to a space (query strings).
func appendUnescape(dst []byte, s string, plusSpace bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
			dst = append(dst, c)
		case c == '+' && plusSpace:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// needsCanon reports whether a query component differs from its canonical
// form (anything but unreserved characters).
func needsCanon(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return true
		}
	}
	return false
}

// CanonicalURI returns the canonical URI of a request path given exactly as
// sent on the wire (percent-encoded, e.g. the path part of
// http.Request.RequestURI).
//
// Non-S3 rules (s3 false): dot segments are removed and repeated slashes
// collapsed, then the path is URI-encoded again, so "%" becomes "%25" (the
// SDKs encode the already-escaped path). S3 rules: no normalisation, the
// path is decoded and encoded exactly once. An empty path is "/".
func CanonicalURI(rawPath string, s3 bool) string {
	s := getScratch()
	defer putScratch(s)
	return string(s.appendCanonicalURI(nil, rawPath, s3))
}

func (s *scratch) appendCanonicalURI(dst []byte, rawPath string, s3 bool) []byte {
	if rawPath == "" || rawPath == "/" {
		return append(dst, '/')
	}
	if s3 {
		s.dec = appendUnescape(s.dec[:0], rawPath, false)
		if len(s.dec) == 0 || s.dec[0] != '/' {
			dst = append(dst, '/')
		}
		return appendURIEncode(dst, s.dec, true)
	}
	if !strings.Contains(rawPath, "//") && !strings.Contains(rawPath, "/.") && rawPath[0] == '/' {
		return appendURIEncode(dst, rawPath, true)
	}
	// Remove dot segments and empty segments.
	segs := s.segs[:0]
	for i := 0; i < len(rawPath); {
		j := strings.IndexByte(rawPath[i:], '/')
		if j < 0 {
			j = len(rawPath)
		} else {
			j += i
		}
		seg := rawPath[i:j]
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, pathSeg{i, j})
		}
		i = j + 1
	}
	s.segs = segs
	if len(segs) == 0 {
		return append(dst, '/')
	}
	for _, g := range segs {
		dst = append(dst, '/')
		dst = appendURIEncode(dst, rawPath[g.i:g.j], false)
	}
	if rawPath[len(rawPath)-1] == '/' {
		dst = append(dst, '/')
	}
	return dst
}

// CanonicalQuery returns the canonical query string of a raw (as sent) query:
// each name and value decoded (with '+' as a space) and re-encoded with
// UriEncode, a valueless parameter as "name=", sorted by name and then value.
// For presigned requests (presigned true) X-Amz-Signature is left out.
func CanonicalQuery(rawQuery string, presigned bool) string {
	s := getScratch()
	defer putScratch(s)
	return string(s.appendCanonicalQuery(nil, rawQuery, presigned, false))
}

// appendCanonicalQuery appends the canonical query. skipSig leaves out
// X-Amz-Signature and skipToken X-Amz-Security-Token.
func (s *scratch) appendCanonicalQuery(dst []byte, rawQuery string, skipSig, skipToken bool) []byte {
	if rawQuery == "" {
		return dst
	}
	qb := s.qbuf[:0]
	pairs := s.pairs[:0]
	for rest := rawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		var p queryPair
		p.k0 = int32(len(qb))
		if needsCanon(k) {
			s.dec = appendUnescape(s.dec[:0], k, true)
			if skipSig && string(s.dec) == "X-Amz-Signature" || skipToken && string(s.dec) == "X-Amz-Security-Token" {
				continue
			}
			qb = appendURIEncode(qb, s.dec, false)
		} else {
			if skipSig && k == "X-Amz-Signature" || skipToken && k == "X-Amz-Security-Token" {
				continue
			}
			qb = append(qb, k...)
		}
		p.k1 = int32(len(qb))
		p.v0 = p.k1
		if needsCanon(v) {
			s.dec = appendUnescape(s.dec[:0], v, true)
			qb = appendURIEncode(qb, s.dec, false)
		} else {
			qb = append(qb, v...)
		}
		p.v1 = int32(len(qb))
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := bytes.Compare(qb[a.k0:a.k1], qb[b.k0:b.k1]); c != 0 {
			return c
		}
		return bytes.Compare(qb[a.v0:a.v1], qb[b.v0:b.v1])
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, qb[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, qb[p.v0:p.v1]...)
	}
	s.qbuf, s.pairs = qb, pairs
	return dst
}

// CanonicalHeaderValue returns the canonical form of a header's values:
// each trimmed of surrounding spaces and tabs, runs of spaces collapsed to
// one, obs-fold line breaks (CRLF or LF followed by spaces or tabs) replaced
// by one space, and the values joined with commas. net/http already unfolds
// header lines; raw folded values are handled for callers that parse
// requests themselves.
func CanonicalHeaderValue(values []string) string {
	var b []byte
	return string(appendHeaderValues(b, values))
}

func appendHeaderValues(dst []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return dst
}

func appendHeaderValue(dst []byte, v string) []byte {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	v = v[i:j]
	if !strings.Contains(v, "  ") && strings.IndexByte(v, '\n') < 0 {
		return append(dst, v...)
	}
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' && i+1 < len(v) && v[i+1] == '\n' {
			continue
		}
		if c == '\n' && i+1 < len(v) && (v[i+1] == ' ' || v[i+1] == '\t') {
			// obs-fold: the break and the indentation become one space.
			for i+1 < len(v) && (v[i+1] == ' ' || v[i+1] == '\t') {
				i++
			}
			c = ' '
		}
		if c == ' ' {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

// headerValues returns r's values for the lower-case header name lname
// without allocating: it builds the canonical MIME key in scratch and looks
// it up directly, falling back to a case-insensitive scan for keys that are
// not in canonical form.
func (s *scratch) headerValues(h http.Header, lname string) []string {
	if ck := commonHeaderKey(lname); ck != "" {
		if vs, ok := h[ck]; ok {
			return vs
		}
		return s.scanHeader(h, lname)
	}
	k := append(s.key[:0], lname...)
	upper := true
	for i, c := range k {
		if upper && c-'a' < 26 {
			k[i] = c - ('a' - 'A')
		} else if !upper && c-'A' < 26 {
			k[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	s.key = k
	if vs, ok := h[string(k)]; ok {
		return vs
	}
	return s.scanHeader(h, lname)
}

// scanHeader finds a header whose key is not in canonical form.
func (s *scratch) scanHeader(h http.Header, lname string) []string {
	for name, vs := range h {
		if strings.EqualFold(name, lname) {
			return vs
		}
	}
	return nil
}

// commonHeaderKey returns the canonical MIME key of headers SDKs sign, or "".
func commonHeaderKey(lname string) string {
	switch lname {
	case "x-amz-date":
		return "X-Amz-Date"
	case "content-type":
		return "Content-Type"
	case "content-length":
		return "Content-Length"
	case "x-amz-security-token":
		return "X-Amz-Security-Token"
	case "x-amz-content-sha256":
		return "X-Amz-Content-Sha256"
	case "amz-sdk-invocation-id":
		return "Amz-Sdk-Invocation-Id"
	case "amz-sdk-request":
		return "Amz-Sdk-Request"
	case "x-amz-user-agent":
		return "X-Amz-User-Agent"
	case "x-amz-target":
		return "X-Amz-Target"
	case "content-md5":
		return "Content-Md5"
	case "date":
		return "Date"
	}
	return ""
}

// canonicalInput is everything a canonical request is built from.
type canonicalInput struct {
	method        string
	rawPath       string
	rawQuery      string
	host          string
	header        http.Header
	contentLength int64
	signedHeaders string // ';'-separated, lower-case (see lowerList)
	payloadHash   string // "" means hex SHA-256 of payload
	payload       []byte
	xAmzDate      []string // the X-Amz-Date values when already looked up
	nameEnds      []uint16 // end offset of each name in signedHeaders, if known
	s3            bool
	presigned     bool // leave X-Amz-Signature out of the query
	skipToken     bool // leave X-Amz-Security-Token out of the query
}

// appendCanonicalRequest appends the canonical request to s.buf.
func (s *scratch) appendCanonicalRequest(in *canonicalInput) {
	b := s.buf[:0]
	b = append(b, in.method...)
	b = append(b, '\n')
	b = s.appendCanonicalURI(b, in.rawPath, in.s3)
	b = append(b, '\n')
	b = s.appendCanonicalQuery(b, in.rawQuery, in.presigned, in.skipToken)
	b = append(b, '\n')
	start, k := 0, 0
	for {
		var end int
		if k < len(in.nameEnds) {
			end = int(in.nameEnds[k])
		} else if i := strings.IndexByte(in.signedHeaders[start:], ';'); i >= 0 {
			end = start + i
		} else {
			end = len(in.signedHeaders)
		}
		k++
		name := in.signedHeaders[start:end]
		b = append(b, name...)
		b = append(b, ':')
		if name == "host" || equalFoldASCII(name, "host") {
			b = appendHeaderValue(b, in.host)
		} else {
			var vs []string
			if in.xAmzDate != nil && name == "x-amz-date" {
				vs = in.xAmzDate
			} else {
				vs = s.headerValues(in.header, name)
			}
			if vs == nil && in.contentLength > 0 && equalFoldASCII(name, "content-length") {
				b = strconv.AppendInt(b, in.contentLength, 10)
			} else {
				for k, v := range vs {
					if k > 0 {
						b = append(b, ',')
					}
					b = appendHeaderValue(b, v)
				}
			}
		}
		b = append(b, '\n')
		if end >= len(in.signedHeaders) {
			break
		}
		start = end + 1
	}
	b = append(b, '\n')
	b = append(b, in.signedHeaders...)
	b = append(b, '\n')
	if in.payloadHash != "" {
		b = append(b, in.payloadHash...)
	} else {
		b = hex.AppendEncode(b, s.sha256(in.payload)[:])
	}
	s.buf = b
}

// appendStringToSign appends the string to sign for the canonical request
// in s.buf to s.sts.
func (s *scratch) appendStringToSign(amzDate, scopeDate, region, service string) {
	b := s.sts[:0]
	b = append(b, algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = appendScope(b, scopeDate, region, service)
	b = append(b, '\n')
	sum := s.sha256(s.buf)
	b = hex.AppendEncode(b, sum[:])
	s.sts = b
}

func appendScope(b []byte, date, region, service string) []byte {
	b = append(b, date...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, "/"+terminator...)
	return b
}

// lowerList returns s with ASCII letters in lower case, without allocating
// when it already is. The length never changes (unlike strings.ToLower on
// invalid UTF-8), so offsets into s stay valid.
func lowerList(s string) string {
	if !hasUpperASCII(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c-'A' < 26 {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// signedList summarises a SignedHeaders list in one pass: the number of
// names, whether host (or :authority) and x-amz-security-token are among
// them, and whether the list is all lower case. scanSignedHeaders also
// records where each of the first MaxSignedHeaders names ends.
type signedList struct {
	n                  int
	host, token, lower bool
}

func scanSignedHeaders(list string, ends *[MaxSignedHeaders]uint16) signedList {
	sl := signedList{lower: !hasUpperASCII(list)}
	for start := 0; ; {
		end := len(list)
		if i := strings.IndexByte(list[start:], ';'); i >= 0 {
			end = start + i
		}
		if sl.n < len(ends) {
			ends[sl.n] = uint16(end)
		}
		sl.n++
		name := list[start:end]
		switch len(name) {
		case 4:
			sl.host = sl.host || equalFoldASCII(name, "host")
		case 10:
			sl.host = sl.host || name == ":authority"
		case 20:
			sl.token = sl.token || equalFoldASCII(name, "x-amz-security-token")
		}
		if end == len(list) {
			return sl
		}
		start = end + 1
	}
}

// hasUpperASCII reports whether s contains an ASCII upper-case letter,
// eight bytes at a time.
func hasUpperASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if x&highs != 0 { // non-ASCII: bytewise, so no carry crosses lanes
			for _, c := range []byte(s[i : i+8]) {
				if c-'A' < 26 {
					return true
				}
			}
			continue
		}
		// Every byte is < 0x80, so the additions cannot carry between
		// lanes: the high bit of (x + 0x80-'A') is set for bytes >= 'A', of
		// (x + 0x80-'Z'-1) for bytes > 'Z'.
		ge := x + ones*(0x80-'A')
		gt := x + ones*(0x80-'Z'-1)
		if ge&^gt&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i]-'A' < 26 {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s equals the lower-case ASCII word lower,
// ignoring case.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
