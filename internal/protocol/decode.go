package protocol

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// Decode fills the struct pointed to by dst from query parameters. Fields
// are addressed by their Go name, which matches the AWS member name, or by
// a `query:"Name"` tag. Supported field types: string, *string, bool,
// *bool, int32/int64 and pointers to them, time.Time, []byte (base64),
// []string, []Struct, map[string]string and nested structs. Validation of
// constraints is the model's job (Model.Validate); Decode only reports
// values it cannot convert.
func Decode(p *Params, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("protocol: Decode needs a pointer to a struct, got %T", dst)
	}
	return decodeStruct(p, rv.Elem(), "")
}

func fieldName(f reflect.StructField) string {
	if t := f.Tag.Get("query"); t != "" {
		return t
	}
	return f.Name
}

func decodeStruct(p *Params, v reflect.Value, prefix string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("query") == "-" {
			continue
		}
		if err := decodeValue(p, v.Field(i), prefix+fieldName(f)); err != nil {
			return err
		}
	}
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

func decodeValue(p *Params, v reflect.Value, key string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !p.Has(key) && !p.HasPrefix(key) {
			return nil
		}
		e := reflect.New(v.Type().Elem())
		if err := decodeValue(p, e.Elem(), key); err != nil {
			return err
		}
		v.Set(e)
		return nil
	case reflect.String:
		v.SetString(p.Get(key))
	case reflect.Bool:
		s, ok := p.Lookup(key)
		if !ok {
			return nil
		}
		b, err := strconv.ParseBool(strings.ToLower(s))
		if err != nil {
			return invalidValue(key, s)
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		s, ok := p.Lookup(key)
		if !ok {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return invalidValue(key, s)
		}
		v.SetInt(n)
	case reflect.Struct:
		if v.Type() == timeType {
			s, ok := p.Lookup(key)
			if !ok {
				return nil
			}
			tm, err := parseTimestamp(s)
			if err != nil {
				return invalidValue(key, s)
			}
			v.Set(reflect.ValueOf(tm))
			return nil
		}
		return decodeStruct(p, v, key+".")
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s, ok := p.Lookup(key)
			if !ok {
				return nil
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return invalidValue(key, s)
			}
			v.SetBytes(b)
			return nil
		}
		n := p.ListLen(key + ".member.")
		if n == 0 {
			if p.Has(key) { // "Key=" is how SDKs send an empty list
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return nil
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			if err := decodeValue(p, s.Index(i), key+".member."+strconv.Itoa(i+1)); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		n := p.ListLen(key + ".entry.")
		if n == 0 {
			return nil
		}
		m := reflect.MakeMapWithSize(v.Type(), n)
		for i := 1; i <= n; i++ {
			ek := key + ".entry." + strconv.Itoa(i)
			m.SetMapIndex(reflect.ValueOf(p.Get(ek+".key")), reflect.ValueOf(p.Get(ek+".value")))
		}
		v.Set(m)
	default:
		return fmt.Errorf("protocol: cannot decode into %s", v.Type())
	}
	return nil
}

func invalidValue(key, value string) error {
	return awserr.Errorf(awserr.ValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have a valid format", value, lowerFirst(key))
}

// parseTimestamp accepts the forms query clients send: ISO 8601 with or
// without fractional seconds and zone, or epoch seconds.
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("protocol: bad timestamp %q", s)
}
