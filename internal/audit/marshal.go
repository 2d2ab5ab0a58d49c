package audit

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/jsonesc"
)

// Marshal returns the record's JSON (one line, no newline). It writes the
// record directly (every request pays for this: reflection-based encoding
// cost as much as the rest of the audit path). The output is what
// json.Marshal would produce for Event, except in the strings of the fixed
// fields, which are not HTML-escaped and have \b and \f as \u0008 and
// \u000c. The free-form maps are exactly json.Marshal's, HTML escaping
// included, as when encoding/json wrote them.
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
	b = jsonesc.Append(b, e.EventVersion)
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
	b = jsonesc.Append(b, u.Type)
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
			b = jsonesc.Append(b, si.Type)
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
	return jsonesc.Append(b, v)
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

// appendMap writes m exactly as json.Marshal would (keys sorted, HTML
// escaped), without reflection for the values events carry: encoding/json
// cost as much as the rest of the record on every request. Anything else
// goes through encoding/json, whose output for a value does not depend on
// where the value sits.
func appendMap(b []byte, m map[string]any) ([]byte, error) {
	return appendMapDepth(b, m, 0)
}

// maxFastDepth bounds appendValue's recursion. A deeper value (in practice
// a map that contains itself) goes to encoding/json, which reports the
// cycle as json.Marshal of the whole map would rather than overflowing the
// stack.
const maxFastDepth = 64

// sortedKeysInline is how many keys appendMapDepth sorts without
// allocating: the maps of an event have a handful of members.
const sortedKeysInline = 16

func appendMapDepth(b []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	if depth > maxFastDepth {
		return appendJSONValue(b, m)
	}
	var inline [sortedKeysInline]string
	keys := inline[:0]
	if len(m) > len(inline) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonesc.AppendHTML(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue writes v as json.Marshal would.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonesc.AppendHTML(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return appendJSONValue(b, v) // for encoding/json's error
		}
		return appendFloat64(b, v), nil
	case Date:
		// What encoding/json makes of MarshalText's result; the layout
		// writes nothing that needs escaping.
		b = append(b, '"')
		b = time.Time(v).UTC().AppendFormat(b, dateLayout)
		return append(b, '"'), nil
	case map[string]any:
		return appendMapDepth(b, v, depth)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if depth > maxFastDepth {
			return appendJSONValue(b, v)
		}
		b = append(b, '[')
		var err error
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, x, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonesc.AppendHTML(b, s)
		}
		return append(b, ']'), nil
	case []map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, m := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendMapDepth(b, m, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return appendJSONValue(b, v)
}

// appendJSONValue is the fallback: encoding/json's reflection.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, vb...), nil
}

// appendFloat64 formats a finite f as encoding/json does (ES6 number to
// string: exponent form below 1e-6 and from 1e21, exponents unpadded).
func appendFloat64(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
