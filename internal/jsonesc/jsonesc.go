// Package jsonesc appends JSON strings for the hand-written encoders of hot
// records (audit events, session tokens), byte for byte as encoding/json
// writes them, without its reflection and allocations.
package jsonesc

import "unicode/utf8"

// safeASCII marks the ASCII bytes a JSON string holds as they are: not
// control characters, '"' or '\\'. htmlSafe also leaves out '<', '>' and
// '&', as encoding/json does when it escapes HTML. A lookup is cheaper than
// the comparisons on every byte of every string of every record.
var safeASCII, htmlSafe = func() (plain, html [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped (as encoding/json does), but <, > and & as they are and \b and \f
// as \u0008 and \u000c: the historical form of the fixed fields of audit
// records, which files already on disk carry.
func Append(b []byte, s string) []byte { return appendString(b, s, &safeASCII, false) }

// AppendHTML appends s exactly as encoding/json (json.Marshal) writes a
// string: <, > and & escaped, \b and \f in their short forms.
func AppendHTML(b []byte, s string) []byte { return appendString(b, s, &htmlSafe, true) }

// appendString is Append and AppendHTML: safe marks the
// ASCII bytes written as they are, short selects \b and \f.
func appendString(b []byte, s string, safe *[utf8.RuneSelf]bool, short bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case short && c == '\b':
				b = append(b, '\\', 'b')
			case short && c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
