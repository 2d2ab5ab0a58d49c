package audit

import (
	"encoding"
	"reflect"
	"strings"
	"time"
)

// secretNames are the member names whose values never enter an event, in
// request parameters or response elements, whatever the service: secrets,
// session tokens, passwords, MFA codes and seeds, identity tokens. The
// comparison ignores case.
var secretNames = map[string]bool{
	"secretaccesskey":      true,
	"sessiontoken":         true,
	"password":             true,
	"newpassword":          true,
	"oldpassword":          true,
	"tokencode":            true,
	"authenticationcode1":  true,
	"authenticationcode2":  true,
	"base32stringseed":     true,
	"qrcodepng":            true,
	"webidentitytoken":     true,
	"samlassertion":        true,
	"privatekey":           true,
	"secret":               true,
	"sessiontokenvalue":    true,
	"x-amz-security-token": true,
	"x-amz-signature":      true,
}

// Secret reports whether a member named name must be left out of events.
func Secret(name string) bool { return secretNames[strings.ToLower(name)] }

// LowerCamel turns an AWS member name into CloudTrail's parameter name by
// lowering its first letter: RoleArn → roleArn, UserName → userName.
func LowerCamel(name string) string {
	if name == "" {
		return name
	}
	c := name[0]
	if 'A' <= c && c <= 'Z' {
		return string(c+'a'-'A') + name[1:]
	}
	return name
}

// Date is a time in responseElements, marshalled in CloudTrail's
// "Jan 2, 2006, 3:04:05 PM" form.
type Date time.Time

func (d Date) MarshalText() ([]byte, error) {
	return []byte(time.Time(d).UTC().Format("Jan 2, 2006, 3:04:05 PM")), nil
}

// Time returns the time.
func (d Date) Time() time.Time { return time.Time(d) }

// Elements converts an operation's result into responseElements: struct
// fields by their XML (else Go) name in lower camel case, secrets left out,
// times in CloudTrail's form. It returns nil for a nil or empty result.
func Elements(v any) map[string]any {
	out, _ := elements(reflect.ValueOf(v), 0).(map[string]any)
	if len(out) == 0 {
		return nil
	}
	return out
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	marshalerTyp = reflect.TypeFor[encoding.TextMarshaler]()
)

const maxDepth = 8

func elements(v reflect.Value, depth int) any {
	if depth > maxDepth || !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && v.Type().ConvertibleTo(timeType) {
		t := v.Convert(timeType).Interface().(time.Time)
		if t.IsZero() {
			return nil
		}
		return Date(t)
	}
	switch v.Kind() {
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("xml"); tag != "" {
				tn, _, _ := strings.Cut(tag, ",")
				if tn == "-" {
					continue
				}
				if j := strings.LastIndexByte(tn, '>'); j >= 0 {
					tn = tn[j+1:]
				}
				if tn != "" {
					name = tn
				}
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				if sub, ok := elements(v.Field(i), depth+1).(map[string]any); ok {
					for k, x := range sub {
						m[k] = x
					}
				}
				continue
			}
			if Secret(name) || strings.EqualFold(name, "XMLName") {
				continue
			}
			x := elements(v.Field(i), depth+1)
			if x == nil {
				continue
			}
			m[LowerCamel(name)] = x
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // blobs (QR codes, report content) stay out
		}
		if v.Len() == 0 {
			return nil
		}
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			out = append(out, elements(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		m := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() != reflect.String || Secret(k.String()) {
				continue
			}
			m[k.String()] = elements(it.Value(), depth+1)
		}
		return m
	case reflect.String:
		if v.Type().Implements(marshalerTyp) {
			return v.Interface()
		}
		if v.String() == "" {
			return nil
		}
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return nil
}
