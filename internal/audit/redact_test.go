package audit

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// elementsReference is the walk Elements did before it cached plans per
// type, kept as the oracle its output must match.
func elementsReference(v reflect.Value, depth int) any {
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
			name, ok := elementName(f)
			if !ok {
				continue
			}
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				if sub, ok := elementsReference(v.Field(i), depth+1).(map[string]any); ok {
					for k, x := range sub {
						m[k] = x
					}
				}
				continue
			}
			if Secret(name) || strings.EqualFold(name, "XMLName") {
				continue
			}
			x := elementsReference(v.Field(i), depth+1)
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
			out = append(out, elementsReference(v.Index(i), depth+1))
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
			m[k.String()] = elementsReference(it.Value(), depth+1)
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

func referenceElements(v any) map[string]any {
	out, _ := elementsReference(reflect.ValueOf(v), 0).(map[string]any)
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkElements fails unless Elements(v) is what the reference walk makes
// of v.
func checkElements(t *testing.T, v any) {
	t.Helper()
	want, got := referenceElements(v), Elements(v)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("Elements(%T) differs from the reflection walk (-want +got):\n%s", v,
			cmp.Diff(want, got, cmp.Comparer(func(a, b Date) bool { return a.Time().Equal(b.Time()) })))
	}
}

type (
	label      string
	secretText string
	node       struct {
		Name string
		Next *node
	}
	inner struct {
		XMLName struct{} `xml:"Inner"`
		Value   string   `xml:"Deep>Value"`
		Skipped string   `xml:"-"`
		Omitted string   `xml:",omitempty"`
		Count   int
	}
	Embedded struct {
		Shared   string
		Own      string `xml:"OwnName"`
		Password string
	}
	embeddedLower struct{ Hidden string }
	withEmbedded  struct {
		Shared string
		Embedded
		After string
	}
	overriding struct {
		Embedded
		Shared string
	}
	others struct {
		*Embedded
		embeddedLower
		time.Time
		Named Embedded `xml:"Renamed"`
	}
	everything struct {
		XMLName                    xml.Name
		S, Empty                   string
		L                          label
		T, EmptyT                  secretText
		B, False                   bool
		I                          int
		I8                         int8
		I64                        int64
		U                          uint
		U16                        uint16
		F32                        float32
		F64                        float64
		C                          complex128
		Fn                         func()
		Ch                         chan int
		Time, ZeroTime             time.Time
		TimePtr                    *time.Time
		Epoch                      EpochTime
		EpochPtr                   *EpochTime
		Date                       Date
		NilPtr, StrPtr             *string
		Any, AnyStruct, AnyPtr     any
		AnyNil                     any
		Bytes                      []byte
		Arr                        [2]byte
		IntArr                     [3]int
		EmptyArr                   [0]string
		Strs, EmptyStrs            []string
		Structs                    []inner
		Ptrs                       []*inner
		Anys                       []any
		Map                        map[string]string
		SecretMap                  map[string]int
		IntMap                     map[int]string
		EmptyMap                   map[string]int
		MapOfStruct                map[string]*inner
		Nested                     *inner
		EmptyStruct                *struct{}
		Node                       *node
		Embeds                     *withEmbedded
		Override                   overriding
		Others                     others
		Password, SessionToken     string
		AccessKeyID                string `xml:"AccessKeyId"`
		SecretAccessKey            string `xml:"SecretAccessKey"`
		secret                     string
		QRCodePNG                  []byte
		Base32StringSeed           []byte
		TagsByName                 map[label]any
		DeepList                   [][][][][][][][][]string
		WebIdentityToken, TokenRef string
	}
)

func (s secretText) MarshalText() ([]byte, error) {
	return []byte("<" + strings.Repeat("*", len(s)) + ">"), nil
}

func chain(n int) *node {
	var l *node
	for i := range n {
		l = &node{Name: string(rune('a' + i)), Next: l}
	}
	return l
}

func sampleEverything(s string, n int64, x float64, at time.Time) *everything {
	ep := EpochTime(at)
	str := s
	return &everything{
		XMLName: xml.Name{Local: s}, S: s, L: label(s), T: secretText(s), B: true, I: int(n), I8: int8(n), I64: n, U: uint(n), U16: uint16(n),
		F32: float32(x), F64: x, C: complex(x, 1), Fn: func() {}, Ch: make(chan int),
		Time: at, TimePtr: &at, Epoch: ep, EpochPtr: &ep, Date: Date(at), StrPtr: &str,
		Any: s, AnyStruct: inner{Value: s, Count: int(n)}, AnyPtr: &inner{Value: s}, Bytes: []byte(s), Arr: [2]byte{1, 2},
		IntArr: [3]int{int(n), 0, 1}, Strs: []string{s, "", "b"}, EmptyStrs: []string{}, Structs: []inner{{Value: s}, {}},
		Ptrs: []*inner{nil, {Count: 1}}, Anys: []any{nil, s, n, x, at, []int{1}, map[string]any{"password": s, "k": s}},
		Map: map[string]string{s: s, "Password": "pw", "x-amz-security-token": "t", "k": ""}, SecretMap: map[string]int{"SessionToken": 1},
		IntMap: map[int]string{1: s}, EmptyMap: map[string]int{}, MapOfStruct: map[string]*inner{s: {Value: s}, "nil": nil},
		Nested: &inner{Value: s, Skipped: s, Omitted: s, Count: int(n)}, EmptyStruct: &struct{}{}, Node: chain(int(n&15) + 1),
		Embeds:   &withEmbedded{Shared: "outer", Embedded: Embedded{Shared: s, Own: s, Password: s}, After: s},
		Override: overriding{Embedded: Embedded{Shared: "inner"}, Shared: s},
		Others:   others{Embedded: &Embedded{Own: s}, embeddedLower: embeddedLower{s}, Time: at, Named: Embedded{Shared: s}},
		Password: s, SessionToken: s, AccessKeyID: s, SecretAccessKey: s, secret: s, QRCodePNG: []byte(s), Base32StringSeed: []byte(s),
		TagsByName:       map[label]any{label(s): &at, "list": []*time.Time{&at, nil}},
		DeepList:         [][][][][][][][][]string{{{{{{{{{s}}}}}}}}},
		WebIdentityToken: s, TokenRef: s,
	}
}

func TestElementsMatchesReflectionWalk(t *testing.T) {
	full := sampleEverything("value<&>", 300, 2.5, t0)
	cases := map[string]any{
		"nil":                   nil,
		"nil pointer":           (*everything)(nil),
		"empty":                 &everything{},
		"full":                  full,
		"by value":              *full,
		"in an interface":       []any{full, *full},
		"only secrets":          &struct{ Password, SecretAccessKey string }{"a", "b"},
		"string":                "not a struct",
		"time":                  t0,
		"map":                   map[string]any{"a": full.Nested, "password": "x", "t": t0},
		"list":                  []*inner{full.Nested},
		"empty nested":          &struct{ Inner *struct{ X string } }{Inner: &struct{ X string }{}},
		"recursion past depth":  chain(20),
		"pointer to pointer":    &full,
		"assume role":           assumeRoleResult(),
		"lookup events request": &LookupEventsInput{StartTime: new(EpochTime(t0))},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) { checkElements(t, v) })
	}
}

// FuzzElementsMatchesReflectionWalk: for any member values, Elements
// matches the reflection walk.
func FuzzElementsMatchesReflectionWalk(f *testing.F) {
	f.Add("ASIA<&>", int64(7), 1.5, int64(1772600767))
	f.Add("", int64(0), 0.0, int64(0))
	f.Add("SessionToken", int64(-1), -1e300, int64(-62135596800))
	f.Fuzz(func(t *testing.T, s string, n int64, x float64, sec int64) {
		if math.IsNaN(x) {
			x = 0 // NaN is not equal to itself
		}
		v := sampleEverything(s, n, x, time.Unix(sec, n%1e9))
		checkElements(t, v)
		checkElements(t, *v)
	})
}

// TestElementsConcurrentFirstUse: goroutines that meet a type together
// (recursive ones included) all get complete plans (run with -race).
func TestElementsConcurrentFirstUse(t *testing.T) {
	type fresh struct {
		Self  *fresh
		Name  string
		Items []fresh
	}
	v := &fresh{Name: "a", Self: &fresh{Name: "b"}, Items: []fresh{{Name: "c"}}}
	want := referenceElements(v)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := Elements(v); !reflect.DeepEqual(want, got) {
				t.Errorf("Elements = %v, want %v", got, want)
			}
		})
	}
	wg.Wait()
}

// TestElementsRecord: the elements of a result are recorded as encoding/json
// writes them, times in CloudTrail's form.
func TestElementsRecord(t *testing.T) {
	ev := assumeRoleEvent(assumeRoleResult())
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const want = `"responseElements":{"assumedRoleUser":{"arn":"arn:aws:sts::123456789012:assumed-role/deploy/bench-session","assumedRoleId":"AROA3XFRBF535PLBIFPI4:bench-session"},"credentials":{"accessKeyId":"ASIAQWERTYUIOPASDFGH","expiration":"Mar 4, 2026, 6:06:07 AM"}}`
	if !strings.Contains(string(b), want) {
		t.Errorf("record %s\nlacks %s", b, want)
	}
	if strings.Contains(string(b), "wJalrXUtnFEMI") || strings.Contains(string(b), "AQoDYXdzEJr1") {
		t.Errorf("record carries a secret: %s", b)
	}
	if !json.Valid(b) {
		t.Errorf("record is not JSON: %s", b)
	}
}
