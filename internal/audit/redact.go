package audit

import (
	"encoding"
	"reflect"
	"strings"
	"sync"
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

// dateLayout is CloudTrail's form of times in responseElements.
const dateLayout = "Jan 2, 2006, 3:04:05 PM"

// MarshalText implements encoding.TextMarshaler: the time in UTC, in
// CloudTrail's form.
func (d Date) MarshalText() ([]byte, error) {
	return time.Time(d).UTC().AppendFormat(nil, dateLayout), nil
}

// Time returns the time.
func (d Date) Time() time.Time { return time.Time(d) }

// Elements converts an operation's result into responseElements: struct
// fields by their XML (else Go) name in lower camel case, secrets left out,
// times in CloudTrail's form. It returns nil for a nil or empty result.
//
// It runs for every mutating call, so what reflection can settle once per
// type (member names, which members are secret, how to convert a value) is
// settled in a plan cached per type; only the values are walked per call.
func Elements(v any) map[string]any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	out, _ := planOf(rv.Type()).value(rv, 0).(map[string]any)
	if len(out) == 0 {
		return nil
	}
	return out
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	timePtrType  = reflect.TypeFor[*time.Time]()
	marshalerTyp = reflect.TypeFor[encoding.TextMarshaler]()
)

// maxDepth is how deep Elements goes into a result; deeper members are left
// out.
const maxDepth = 8

// planKind is what Elements makes of a value of some type.
type planKind uint8

const (
	planNone     planKind = iota // left out: blobs, funcs, channels, complex numbers…
	planIndirect                 // pointer or interface: the value it holds
	planTime                     // a time.Time (or a type defined on it): a Date
	planStruct                   // a map of the exported members
	planList                     // slice or array: a []any
	planMap                      // map with string keys: a map[string]any
	planMapOther                 // map with other keys, which name nothing: an empty map
	planText                     // string type with MarshalText: kept, to marshal (or redact) itself
	planString                   // other strings
	planBool                     // bool
	planInt                      // signed integers, as int64
	planUint                     // unsigned integers, as uint64
	planFloat                    // floats, as float64
)

// plan is how Elements converts values of one type. Plans are immutable
// once published in plans.
type plan struct {
	kind   planKind
	elem   *plan // planIndirect (pointers only), planList, planMap
	fields []fieldPlan
}

// fieldPlan is a struct member that may enter responseElements.
type fieldPlan struct {
	index    int
	key      string // lower camel name; unused when embedded
	embedded bool   // an embedded struct, whose members are merged in
	plan     *plan
}

var (
	plans   sync.Map // reflect.Type → *plan
	plansMu sync.Mutex
)

// planOf returns the plan for t, building it (and those of the types it
// refers to) on first use.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	// Plans of recursive types refer to themselves, so a plan is published
	// only once every plan it leads to is complete.
	building := map[reflect.Type]*plan{}
	p := buildPlan(t, building)
	for t, p := range building {
		plans.Store(t, p)
	}
	return p
}

func buildPlan(t reflect.Type, building map[reflect.Type]*plan) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &plan{}
	building[t] = p
	switch t.Kind() {
	case reflect.Pointer:
		p.kind, p.elem = planIndirect, buildPlan(t.Elem(), building)
	case reflect.Interface:
		p.kind = planIndirect
	case reflect.Struct:
		if t.ConvertibleTo(timeType) {
			p.kind = planTime
			break
		}
		p.kind = planStruct
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, ok := elementName(f)
			if !ok {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				p.fields = append(p.fields, fieldPlan{index: i, embedded: true, plan: buildPlan(f.Type, building)})
				continue
			}
			if Secret(name) || strings.EqualFold(name, "XMLName") {
				continue
			}
			p.fields = append(p.fields, fieldPlan{index: i, key: LowerCamel(name), plan: buildPlan(f.Type, building)})
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			break // blobs (QR codes, report content) stay out
		}
		p.kind, p.elem = planList, buildPlan(t.Elem(), building)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			p.kind = planMapOther
			break
		}
		p.kind, p.elem = planMap, buildPlan(t.Elem(), building)
	case reflect.String:
		p.kind = planString
		if t.Implements(marshalerTyp) {
			p.kind = planText
		}
	case reflect.Bool:
		p.kind = planBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = planInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.kind = planUint
	case reflect.Float32, reflect.Float64:
		p.kind = planFloat
	}
	return p
}

// value converts v, of the plan's type, found depth levels into the result.
func (p *plan) value(v reflect.Value, depth int) any {
	if depth > maxDepth {
		return nil
	}
	switch p.kind {
	case planIndirect:
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
		if p.elem != nil {
			return p.elem.value(v, depth)
		}
		return planOf(v.Type()).value(v, depth)
	case planTime:
		var t time.Time
		if v.CanAddr() {
			// Through a pointer, without copying the time to the heap.
			t = *v.Addr().Convert(timePtrType).Interface().(*time.Time)
		} else {
			t = v.Convert(timeType).Interface().(time.Time)
		}
		if t.IsZero() {
			return nil
		}
		return Date(t)
	case planStruct:
		m := make(map[string]any, len(p.fields))
		for _, f := range p.fields {
			x := f.plan.value(v.Field(f.index), depth+1)
			if f.embedded {
				if sub, ok := x.(map[string]any); ok {
					for k, y := range sub {
						m[k] = y
					}
				}
				continue
			}
			if x != nil {
				m[f.key] = x
			}
		}
		return m
	case planList:
		n := v.Len()
		if n == 0 {
			return nil
		}
		out := make([]any, n)
		for i := range n {
			out[i] = p.elem.value(v.Index(i), depth+1)
		}
		return out
	case planMap:
		if v.Len() == 0 {
			return nil
		}
		m := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			k := it.Key().String()
			if Secret(k) {
				continue
			}
			m[k] = p.elem.value(it.Value(), depth+1)
		}
		return m
	case planMapOther:
		if v.Len() == 0 {
			return nil
		}
		return map[string]any{}
	case planText:
		return v.Interface()
	case planString:
		if v.Len() == 0 {
			return nil
		}
		return v.String()
	case planBool:
		return v.Bool()
	case planInt:
		return v.Int()
	case planUint:
		return v.Uint()
	case planFloat:
		return v.Float()
	}
	return nil
}

// elementName is the responseElements key of a result field: its xml tag's
// last element name (as the XML response names it), else the field name;
// false for a field the XML leaves out (xml:"-").
func elementName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("xml")
	if tag == "" {
		return f.Name, true
	}
	tn, _, _ := strings.Cut(tag, ",")
	if tn == "-" {
		return "", false
	}
	if j := strings.LastIndexByte(tn, '>'); j >= 0 {
		tn = tn[j+1:]
	}
	if tn == "" {
		return f.Name, true
	}
	return tn, true
}
