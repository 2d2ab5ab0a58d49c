package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// Authorization is a parsed SigV4 Authorization header.
type Authorization struct {
	Algorithm     string // e.g. "AWS4-HMAC-SHA256"
	Credential    string // "AKID/20150830/us-east-1/service/aws4_request"
	SignedHeaders string // "host;x-amz-date", as sent
	Signature     string // lower-case hex

	hasCredential, hasSignature, hasSignedHeaders bool
}

// ParseAuthorization parses an Authorization header value the way AWS does:
// the algorithm, then key=value pairs separated by commas and/or spaces (the
// last value of a repeated key wins). hasDate reports whether the request
// carries an X-Amz-Date or Date header; a missing date is reported in the
// same IncompleteSignature message as missing parameters. Errors are
// *Error values with AWS's exact message.
func ParseAuthorization(header string, hasDate bool) (Authorization, error) {
	a, err := parseAuthorization(header, hasDate)
	if err != nil {
		return a, err
	}
	return a, nil
}

func parseAuthorization(header string, hasDate bool) (Authorization, *Error) {
	var a Authorization
	if len(header) > MaxAuthorizationLength {
		return a, newError(CodeIncompleteSignature, msgAuthTooLong, "")
	}
	i := 0
	for i < len(header) && (header[i] == ' ' || header[i] == '\t') {
		i++
	}
	rest := header[i:]
	if !strings.HasPrefix(rest, "AWS4-") {
		return a, newError(CodeMissingAuthenticationToken, msgMissingAuthToken, "")
	}
	j := tokenEnd(rest)
	a.Algorithm = rest[:j]
	rest = rest[j:]
	for rest != "" {
		// Split on commas with IndexByte, then on spaces within a piece
		// (rare: "Credential= AKID/…").
		piece := rest
		if c := strings.IndexByte(rest, ','); c >= 0 {
			piece, rest = rest[:c], rest[c+1:]
		} else {
			rest = ""
		}
		for piece != "" {
			piece = trimSpaceTab(piece)
			tok := piece
			if sp := spaceIndex(piece); sp >= 0 {
				tok, piece = piece[:sp], piece[sp+1:]
			} else {
				piece = ""
			}
			if tok == "" {
				continue
			}
			eq := strings.IndexByte(tok, '=')
			if eq < 0 {
				return a, newError(CodeIncompleteSignature, msgNotKeyValue(tok, header), "")
			}
			k, v := tok[:eq], tok[eq+1:]
			switch k {
			case "Credential":
				a.Credential, a.hasCredential = v, v != ""
			case "Signature":
				a.Signature, a.hasSignature = v, v != ""
			case "SignedHeaders":
				// AWS accepts an empty SignedHeaders here and fails later on Host.
				a.SignedHeaders, a.hasSignedHeaders = v, true
			}
		}
	}
	if a.hasCredential && a.hasSignature && a.hasSignedHeaders && hasDate {
		return a, nil
	}
	var msg string
	if !a.hasCredential {
		msg += "Authorization header requires 'Credential' parameter. "
	}
	if !a.hasSignature {
		msg += "Authorization header requires 'Signature' parameter. "
	}
	if !a.hasSignedHeaders {
		msg += "Authorization header requires 'SignedHeaders' parameter. "
	}
	if !hasDate {
		msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
	}
	return a, newError(CodeIncompleteSignature, msg+"Authorization="+header, accessKeyOf(a.Credential))
}

func trimSpaceTab(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// spaceIndex returns the index of the first space or tab in s, or -1.
func spaceIndex(s string) int {
	i := strings.IndexByte(s, ' ')
	if t := strings.IndexByte(s, '\t'); t >= 0 && (i < 0 || t < i) {
		i = t
	}
	return i
}

// tokenEnd returns the index of the first ',', ' ' or '\t' in s, or len(s).
func tokenEnd(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == ' ' || c == '\t' {
			return i
		}
	}
	return len(s)
}

// Presigned holds the SigV4 parameters of a presigned (query-string) request.
// Values are decoded. The Has fields record presence, even when empty.
type Presigned struct {
	Algorithm     string
	Credential    string
	Date          string
	Expires       string
	SignedHeaders string
	Signature     string
	SecurityToken string

	HasAlgorithm, HasExpires, HasSecurityToken bool
}

// ParsePresigned extracts the X-Amz-* parameters from a raw query string. The
// first value of a repeated parameter wins. ok is false when there is no
// X-Amz-Algorithm parameter, i.e. the request is not presigned.
func ParsePresigned(rawQuery string) (p Presigned, ok bool) {
	if !strings.Contains(rawQuery, "X-Amz-") && !strings.Contains(rawQuery, "%") {
		return p, false
	}
	// Collect the raw values first, then decode those that need it into
	// one buffer, so that parsing costs at most two allocations.
	const (
		fAlgorithm = iota
		fCredential
		fDate
		fExpires
		fSignedHeaders
		fSignature
		fSecurityToken
		nFields
	)
	var raw [nFields]string
	var seen [nFields]bool
	for rest := rawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") {
			k = string(appendUnescape(nil, k, true))
		}
		if !strings.HasPrefix(k, "X-Amz-") {
			continue
		}
		f := -1
		switch k[len("X-Amz-"):] {
		case "Algorithm":
			f = fAlgorithm
		case "Credential":
			f = fCredential
		case "Date":
			f = fDate
		case "Expires":
			f = fExpires
		case "SignedHeaders":
			f = fSignedHeaders
		case "Signature":
			f = fSignature
		case "Security-Token":
			f = fSecurityToken
		}
		if f >= 0 && !seen[f] {
			raw[f], seen[f] = v, true
		}
	}
	var buf []byte
	var ends [nFields]int
	for f, v := range raw {
		if strings.ContainsAny(v, "%+") {
			if buf == nil {
				buf = make([]byte, 0, len(rawQuery))
			}
			buf = appendUnescape(buf, v, true)
		}
		ends[f] = len(buf)
	}
	if buf != nil {
		dec := string(buf)
		from := 0
		for f, v := range raw {
			if strings.ContainsAny(v, "%+") {
				raw[f] = dec[from:ends[f]]
			}
			from = ends[f]
		}
	}
	p.Algorithm, p.HasAlgorithm = raw[fAlgorithm], seen[fAlgorithm]
	p.Credential = raw[fCredential]
	p.Date = raw[fDate]
	p.Expires, p.HasExpires = raw[fExpires], seen[fExpires]
	p.SignedHeaders = raw[fSignedHeaders]
	p.Signature = raw[fSignature]
	p.SecurityToken, p.HasSecurityToken = raw[fSecurityToken], seen[fSecurityToken]
	return p, p.HasAlgorithm
}

// incomplete returns the IncompleteSignature error listing every missing
// (or empty) required parameter, or nil.
func (p *Presigned) incomplete() *Error {
	var msg string
	if p.Algorithm == "" {
		msg += "AWS query-string parameters must include 'X-Amz-Algorithm'. "
	}
	if p.Credential == "" {
		msg += "AWS query-string parameters must include 'X-Amz-Credential'. "
	}
	if p.Signature == "" {
		msg += "AWS query-string parameters must include 'X-Amz-Signature'. "
	}
	if p.SignedHeaders == "" {
		msg += "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
	}
	if p.Date == "" {
		msg += "AWS query-string parameters must include 'X-Amz-Date'. "
	}
	if msg == "" {
		return nil
	}
	return newError(CodeIncompleteSignature, msg+msgReexamineQuery, accessKeyOf(p.Credential))
}

// scope is a parsed credential: key id and credential scope.
type scope struct {
	accessKeyID, date, region, service, terminator string
}

// parseCredential splits "AKID/date/region/service/terminator". Trailing
// slashes are ignored, as AWS does.
func parseCredential(cred string) (scope, *Error) {
	var sc scope
	c := strings.TrimRight(cred, "/")
	if strings.Count(c, "/") != 4 {
		return sc, newError(CodeIncompleteSignature, msgCredentialElements(cred), accessKeyOf(cred))
	}
	sc.accessKeyID, c, _ = strings.Cut(c, "/")
	sc.date, c, _ = strings.Cut(c, "/")
	sc.region, c, _ = strings.Cut(c, "/")
	sc.service, sc.terminator, _ = strings.Cut(c, "/")
	return sc, nil
}

// accessKeyOf returns the key id part of a credential, for audit.
func accessKeyOf(cred string) string {
	k, _, _ := strings.Cut(cred, "/")
	if len(k) > maxAccessKeyIDLength {
		return ""
	}
	return k
}

// PresentedAccessKeyID returns the access key id r names in its
// Authorization header's Credential or its X-Amz-Credential parameter,
// unverified, or "" when there is none of the IAM model's form [\w]{16,128}.
// It is for the logs and audit of refused requests; a *Error carries the
// same id once parsing got that far.
func PresentedAccessKeyID(r *http.Request) string {
	cred := ""
	if h := firstHeader(r.Header, "Authorization"); h != "" {
		if i := strings.Index(h, "Credential="); i >= 0 {
			cred = h[i+len("Credential="):]
		}
	} else if r.URL != nil {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	id, _, _ := strings.Cut(cred, "/")
	if len(id) < 16 || !validAccessKeyID(id) {
		return ""
	}
	return id
}

// maxAccessKeyIDLength is the longest access key id the IAM model allows.
const maxAccessKeyIDLength = 128

// validAccessKeyID reports whether id matches the IAM model's [\w]{16,128}.
// Shorter ids are let through to the CredentialSource, which decides.
func validAccessKeyID(id string) bool {
	if id == "" || len(id) > maxAccessKeyIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseAmzDate parses the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.
func parseAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateLayout) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	var n [14]int
	k := 0
	for i := 0; i < 15; i++ {
		if i == 8 {
			continue
		}
		c := v[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n[k] = int(c - '0')
		k++
	}
	year := n[0]*1000 + n[1]*100 + n[2]*10 + n[3]
	month, day := n[4]*10+n[5], n[6]*10+n[7]
	hour, minute, sec := n[8]*10+n[9], n[10]*10+n[11], n[12]*10+n[13]
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	if day > daysIn(year, month) {
		return time.Time{}, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(secs, 0).UTC(), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseHTTPDate parses a Date header: ISO 8601 basic format, or the HTTP
// formats (RFC 1123 and its older relatives).
func parseHTTPDate(v string) (time.Time, bool) {
	if t, ok := parseAmzDate(v); ok {
		return t, true
	}
	t, err := http.ParseTime(v)
	return t.UTC(), err == nil
}

func formatAmzDate(t time.Time) string { return t.UTC().Format(amzDateLayout) }
