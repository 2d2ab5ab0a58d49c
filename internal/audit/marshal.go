package audit

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Marshal returns the record's JSON (one line, no newline). It writes the
// fixed fields directly (every request pays for this: reflection-based
// encoding cost as much as the rest of the audit path) and the free-form
// maps with encoding/json. The output is what json.Marshal would produce
// for Event, minus HTML escaping.
func (e *Event) Marshal() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, 1024))
}

// bufPool recycles record buffers: the Auditor marshals into one and
// returns it once every sink has copied the record out (when no follower
// keeps it).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// marshalPooled is Marshal into a pooled buffer; release it with releaseBuf.
func (e *Event) marshalPooled() ([]byte, error) {
	bp := bufPool.Get().(*[]byte)
	return e.appendJSON((*bp)[:0])
}

// maxPooledBuf keeps outsized buffers out of the pool.
const maxPooledBuf = 16 << 10

func releaseBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBuf {
		return
	}
	b = b[:0]
	bufPool.Put(&b)
}

func (e *Event) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = e.UserIdentity.appendJSON(b)
	b = append(b, `,"eventTime":`...)
	b = appendTime(b, time.Time(e.EventTime))
	b = appendField(b, "eventSource", e.EventSource, false)
	b = appendField(b, "eventName", e.EventName, false)
	b = appendField(b, "awsRegion", e.AWSRegion, false)
	b = appendField(b, "sourceIPAddress", e.SourceIPAddress, false)
	b = appendField(b, "userAgent", e.UserAgent, false)
	b = appendField(b, "errorCode", e.ErrorCode, true)
	b = appendField(b, "errorMessage", e.ErrorMessage, true)
	var err error
	b = append(b, `,"requestParameters":`...)
	if b, err = appendMap(b, e.RequestParameters); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendMap(b, e.ResponseElements); err != nil {
		return nil, err
	}
	if len(e.AdditionalEventData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		if b, err = appendMap(b, e.AdditionalEventData); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "requestID", e.RequestID, true)
	b = appendField(b, "eventID", e.EventID, false)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	if len(e.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			n := len(b)
			b = appendField(b, "ARN", r.ARN, true)
			b = appendField(b, "accountId", r.AccountID, true)
			b = appendField(b, "type", r.Type, false)
			b = trimComma(b, n)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendField(b, "eventType", e.EventType, false)
	b = appendField(b, "apiVersion", e.APIVersion, true)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = appendField(b, "recipientAccountId", e.RecipientAccountID, false)
	if len(e.ServiceEventDetails) > 0 {
		b = append(b, `,"serviceEventDetails":`...)
		if b, err = appendMap(b, e.ServiceEventDetails); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "eventCategory", e.EventCategory, false)
	if t := e.TLSDetails; t != nil {
		b = append(b, `,"tlsDetails":{`...)
		n := len(b)
		b = appendField(b, "tlsVersion", t.TLSVersion, true)
		b = appendField(b, "cipherSuite", t.CipherSuite, true)
		b = appendField(b, "clientProvidedHostHeader", t.ClientProvidedHostHeader, true)
		b = trimComma(b, n)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, u.Type)
	b = appendField(b, "principalId", u.PrincipalID, true)
	b = appendField(b, "arn", u.ARN, true)
	b = appendField(b, "accountId", u.AccountID, true)
	b = appendField(b, "accessKeyId", u.AccessKeyID, true)
	b = appendField(b, "userName", u.UserName, true)
	b = appendField(b, "invokedBy", u.InvokedBy, true)
	if sc := u.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			b = append(b, `"sessionIssuer":{"type":`...)
			b = appendString(b, si.Type)
			b = appendField(b, "principalId", si.PrincipalID, false)
			b = appendField(b, "arn", si.ARN, false)
			b = appendField(b, "accountId", si.AccountID, false)
			b = appendField(b, "userName", si.UserName, false)
			b = append(b, "},"...)
		}
		if w := sc.WebIDFederationData; w != nil {
			wb, _ := json.Marshal(w)
			b = append(b, `"webIdFederationData":`...)
			b = append(b, wb...)
			b = append(b, ',')
		}
		b = append(b, `"attributes":{"creationDate":`...)
		b = appendTime(b, time.Time(sc.Attributes.CreationDate))
		b = appendField(b, "mfaAuthenticated", sc.Attributes.MFAAuthenticated, false)
		b = append(b, '}')
		b = appendField(b, "sourceIdentity", sc.SourceIdentity, true)
		b = append(b, '}')
	}
	b = appendField(b, "identityProvider", u.IdentityProvider, true)
	return append(b, '}')
}

// appendField writes ,"name":"value" (nothing for an empty value when omitEmpty).
func appendField(b []byte, name, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// trimComma drops the comma appendField put first after position n (an
// object's first member).
func trimComma(b []byte, n int) []byte {
	if len(b) > n && b[n] == ',' {
		return append(b[:n], b[n+1:]...)
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

func appendMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return append(b, mb...), nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped (as encoding/json does).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
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
