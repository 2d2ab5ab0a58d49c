package token

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendWire appends the JSON of w, byte-identical to json.Marshal(&w)
// (wire_test.go holds the two together, and a fuzz target feeds both).
// Every AssumeRole and GetSessionToken seals one token; encoding/json's
// reflection walk cost about 8 µs of an audited AssumeRole's server CPU
// in bench-e2e, this about 1 µs.
func appendWire(b []byte, w *wire) []byte {
	s := &w.Session
	b = append(b, `{"k":`...)
	b = appendString(b, w.Secret)
	b = optString(b, "is", s.Issuer)
	b = optString(b, "a", s.AccountID)
	b = optString(b, "p", s.PrincipalID)
	b = optString(b, "un", s.UserName)
	b = optString(b, "ua", s.UserARN)
	b = optString(b, "ra", s.RoleARN)
	b = optString(b, "rn", s.RoleName)
	b = optString(b, "ri", s.RoleID)
	b = optString(b, "sn", s.SessionName)
	b = optString(b, "fn", s.FederatedName)
	b = optString(b, "wp", s.WebIdentityProvider)
	b = optString(b, "ws", s.WebIdentitySubject)
	b = optString(b, "wa", s.WebIdentityAudience)
	b = optString(b, "si", s.SourceIdentity)
	b = optString(b, "po", s.Policy)
	b = optStrings(b, "pa", s.PolicyARNs)
	if s.HasSessionPolicy {
		b = append(b, `,"hp":true`...)
	}
	if len(s.Tags) > 0 {
		b = append(b, `,"t":[`...)
		for i, t := range s.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"k":`...)
			b = appendString(b, t.Key)
			b = append(b, `,"v":`...)
			b = appendString(b, t.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = optStrings(b, "tt", s.TransitiveTagKeys)
	if s.MFA {
		b = append(b, `,"m":true`...)
	}
	b = optTime(b, "mt", s.MFAAuthTime)
	b = optTime(b, "ia", s.IssuedAt)
	b = optTime(b, "ex", s.Expires)
	b = optString(b, "r", s.Region)
	b = optInt(b, "v", s.TokenVersion)
	b = optInt(b, "cd", s.ChainDepth)
	b = optStrings(b, "og", s.Origins)
	return append(b, '}')
}

// canAppendWire reports whether appendWire encodes w exactly as
// encoding/json would: times json.Marshal refuses (a year outside
// 0–9999, a zone offset of a day or more) go to encoding/json, so Seal
// still reports the error.
func canAppendWire(w *wire) bool {
	for _, t := range []time.Time{w.MFAAuthTime, w.IssuedAt, w.Expires} {
		if t.IsZero() {
			continue
		}
		_, off := t.Zone()
		if t.Year() < 0 || t.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
			return false
		}
	}
	return true
}

func optString(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = appendName(b, name)
	return appendString(b, v)
}

func optStrings(b []byte, name string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendName(b, name)
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func optTime(b []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = appendName(b, name)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func optInt(b []byte, name string, v int) []byte {
	if v == 0 {
		return b
	}
	b = appendName(b, name)
	return strconv.AppendInt(b, int64(v), 10)
}

func appendName(b []byte, name string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as encoding/json does: quoted, with <, >, & and
// U+2028/U+2029 escaped, control characters as \n, \r, \t or \u00XX, and
// invalid UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
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
