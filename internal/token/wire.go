package token

import (
	"strconv"
	"time"

	"github.com/castellan-sts/castellan/internal/jsonesc"
)

// appendWire appends the JSON of w, byte-identical to json.Marshal(&w)
// (wire_test.go holds the two together, and a fuzz target feeds both).
// Every AssumeRole and GetSessionToken seals one token; encoding/json's
// reflection walk cost about 8 µs of an audited AssumeRole's server CPU
// in bench-e2e, this about 1 µs.
func appendWire(b []byte, w *wire) []byte {
	s := &w.Session
	b = append(b, `{"k":`...)
	b = jsonesc.AppendHTML(b, w.Secret)
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
			b = jsonesc.AppendHTML(b, t.Key)
			b = append(b, `,"v":`...)
			b = jsonesc.AppendHTML(b, t.Value)
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
	return jsonesc.AppendHTML(b, v)
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
		b = jsonesc.AppendHTML(b, s)
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
