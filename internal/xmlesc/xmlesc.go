// Package xmlesc appends XML-escaped text, for the hand-written encoders of
// hot responses (services cannot import internal/protocol).
package xmlesc

import "unicode/utf8"

// Append appends s to b with the five XML entities (as AWS writes them:
// &quot; and &apos;, not encoding/xml's &#34; and &#39;) and CR escaped.
// Bytes XML cannot carry — control characters other than tab and newline,
// invalid UTF-8 — become U+FFFD, as encoding/xml does: error messages echo
// what the client sent, and a raw control character would make the whole
// response unparseable.
func Append(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		case '\t', '\n':
			b = append(b, c)
		default:
			if c < 0x20 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return b
}
