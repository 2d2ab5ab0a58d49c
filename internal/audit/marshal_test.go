package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// checkAppendMap fails unless appendMap writes exactly what json.Marshal
// writes for m, or fails as it does.
func checkAppendMap(t *testing.T, m map[string]any) {
	t.Helper()
	want, wantErr := json.Marshal(m)
	got, gotErr := appendMap([]byte("x"), m)
	switch {
	case wantErr != nil || gotErr != nil:
		if wantErr == nil || gotErr == nil || wantErr.Error() != gotErr.Error() {
			t.Errorf("appendMap(%#v) error %v, json.Marshal error %v", m, gotErr, wantErr)
		}
	case string(got) != "x"+string(want):
		t.Errorf("appendMap(%#v)\n got %s\nwant x%s", m, got, want)
	}
}

// textOnly has a MarshalText but is not one of the types appendValue knows.
type textOnly struct{ s string }

func (x textOnly) MarshalText() ([]byte, error) { return []byte(x.s), nil }

// failing fails to marshal.
type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

func TestAppendMapMatchesEncodingJSON(t *testing.T) {
	var controls strings.Builder
	for c := range 0x20 {
		controls.WriteByte(byte(c))
	}
	cyclic := map[string]any{"a": 1}
	cyclic["self"] = cyclic
	deep := map[string]any{"leaf": "<end>"}
	for i := range 3 * maxFastDepth {
		if i%2 == 0 {
			deep = map[string]any{"m": deep, "s": []map[string]any{{"i": i}}}
		} else {
			deep = map[string]any{"l": []any{i, deep}}
		}
	}
	many := map[string]any{}
	for i := range 3 * sortedKeysInline {
		many[string(rune('A'+i))+"k"] = i
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if paris == nil {
		paris = time.FixedZone("CET", 3600)
	}
	cases := map[string]map[string]any{
		"nil":   nil,
		"empty": {},
		"strings": {
			"plain": "arn:aws:iam::123456789012:role/r", "empty": "", "controls": controls.String(),
			"html": "<script>&amp;</script>", "quotes": `"\\"`, "del": "\x7f", "bf": "\b\f",
			"separators": "a\u2028b\u2029c", "unicode": "é 漢 😀", "bom": "\ufeff",
			"invalid": "\xff\xfe", "truncated": "\xe6\xbc", "surrogate": "\xed\xa0\x80", "overlong": "\xc0\xaf", "lone": "a\x80b",
		},
		"keys":      {"b": 1, "a": 2, "B": 3, "": 4, "é": 5, "<&>": 6, "\xff": 7, "\x00": 8, "\u2028": 9, "aa": 10, "a\x00": 11},
		"many keys": many,
		"numbers": {
			"int": 42, "negative": -7, "int8": int8(-128), "int16": int16(32767), "int32": int32(-1 << 31), "int64": int64(math.MinInt64),
			"uint": uint(7), "uint8": uint8(255), "uint16": uint16(65535), "uint32": uint32(math.MaxUint32), "uint64": uint64(math.MaxUint64),
			"zero": 0.0, "negzero": math.Copysign(0, -1), "small": 1e-7, "edge small": 1e-6, "below edge": 9.99999e-7, "big": 1e21,
			"below big": 1e20, "fraction": 123.456, "negative float": -0.1, "denormal": 5e-324, "max": math.MaxFloat64,
			"exp100": 1e-100, "integral": 3.0, "float32": float32(0.1),
		},
		"bools and nulls": {"t": true, "f": false, "nil": nil, "nil map": map[string]any(nil), "nil list": []any(nil),
			"nil strings": []string(nil), "nil maps": []map[string]any(nil), "nil pointer": (*int)(nil)},
		"nested": {
			"credentials": map[string]any{"accessKeyId": "ASIA", "expiration": Date(t0)},
			"list":        []any{"a", int64(1), nil, []any{}, map[string]any{}, []any{true}},
			"strings":     []string{"<a>", "", "\xff"},
			"maps":        []map[string]any{{"k": "v"}, nil, {}},
			"empty list":  []any{},
		},
		"dates": {"utc": Date(t0), "zone": Date(t0.In(paris)), "zero": Date{}, "far": Date(time.Date(12345, 6, 7, 13, 0, 0, 0, time.UTC)),
			"midnight": Date(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), "noon": Date(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))},
		"fallback": {
			"time": Time(t0), "epoch": EpochTime(t0.Add(1500 * time.Millisecond)), "date pointer": new(Date(t0)),
			"string map": map[string]string{"b": "<", "a": ">"}, "struct": struct{ A, B string }{"<", ">"},
			"number": json.Number("12.5e3"), "raw": json.RawMessage(`{ "b" : [1, 2] , "a":"<"}`), "text": textOnly{"<&>"},
			"bytes": []byte("<bytes>"), "int map": map[int]string{2: "b", 1: "a"}, "ints": []int{1, 2},
		},
		"deep":              {"deep": deep},
		"NaN":               {"x": math.NaN()},
		"infinity":          {"x": []any{math.Inf(-1)}},
		"float32 infinity":  {"x": float32(math.Inf(1))},
		"cycle":             {"c": cyclic},
		"failing marshaler": {"ok": "yes", "z": map[string]any{"f": failing{}}},
		"bad number":        {"n": json.Number("twelve")},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) { checkAppendMap(t, m) })
	}
}

// valueGen builds the values an event's maps hold from fuzz input, the
// types appendValue writes itself and some it leaves to encoding/json.
type valueGen struct{ data []byte }

func (g *valueGen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	c := g.data[0]
	g.data = g.data[1:]
	return c
}

func (g *valueGen) uint64() uint64 {
	var x [8]byte
	n := copy(x[:], g.data)
	g.data = g.data[n:]
	return binary.LittleEndian.Uint64(x[:])
}

func (g *valueGen) string() string {
	n := min(int(g.byte()%24), len(g.data))
	s := string(g.data[:n])
	g.data = g.data[n:]
	return s
}

func (g *valueGen) mapOf(depth int) map[string]any {
	n := int(g.byte() % 6)
	m := make(map[string]any, n)
	for range n {
		m[g.string()] = g.value(depth + 1)
	}
	return m
}

// value returns a leaf, or past depth 4 a container too.
func (g *valueGen) value(depth int) any {
	op := g.byte()
	if depth > 4 {
		op %= 11
	}
	switch op % 20 {
	case 0:
		return nil
	case 1:
		return g.string()
	case 2:
		return g.byte()&1 == 1
	case 3:
		return int64(g.uint64())
	case 4:
		return int(int32(g.uint64()))
	case 5:
		return int32(g.uint64())
	case 6:
		return g.uint64()
	case 7:
		return math.Float64frombits(g.uint64())
	case 8:
		// Decimal fractions and powers of ten rather than random bits.
		return float64(int64(g.uint64())) / math.Pow10(int(g.byte()%40)-10)
	case 9:
		return Date(time.Unix(int64(g.uint64()>>24), 0))
	case 10:
		switch g.byte() % 6 {
		case 0:
			return float32(math.Float64frombits(g.uint64()))
		case 1:
			return Time(time.Unix(int64(g.uint64()>>24), 0))
		case 2:
			return map[string]string{g.string(): g.string(), g.string(): g.string()}
		case 3:
			return textOnly{g.string()}
		case 4:
			return map[string]any(nil)
		default:
			return []any(nil)
		}
	case 11, 12, 13:
		return g.mapOf(depth)
	case 14, 15:
		n := int(g.byte() % 5)
		l := make([]any, n)
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		return l
	case 16:
		n := int(g.byte() % 5)
		l := make([]string, n)
		for i := range l {
			l[i] = g.string()
		}
		return l
	case 17:
		n := int(g.byte() % 4)
		l := make([]map[string]any, n)
		for i := range l {
			if g.byte()&3 != 0 {
				l[i] = g.mapOf(depth + 1)
			}
		}
		return l
	default:
		return []string(nil)
	}
}

// FuzzAppendMapMatchesEncodingJSON: for any map of the values events
// carry, appendMap writes what json.Marshal writes (or fails as it does).
func FuzzAppendMapMatchesEncodingJSON(f *testing.F) {
	f.Add("roleArn", []byte("\x0b\x0aAssumeRole\x01\x0f\xe2\x80\xa8<&>\xff"))
	f.Add("a\u2028\x01\"\\<b>\xc0", []byte{11, 3, 1, 'k', 14, 4, 1, 1, 'x', 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x29, 7, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Add("", []byte{11, 5, 0, 9, 1, 0xff, 16, 3, 2, '<', '>', 1, 0xc3, 0, 17, 3, 1, 11, 2, 1, 'a', 10, 2, 1, 'b', 3})
	f.Fuzz(func(t *testing.T, s string, data []byte) {
		g := &valueGen{data: data}
		m := g.mapOf(0)
		checkAppendMap(t, m)
		m[s] = s
		checkAppendMap(t, m)
		checkAppendMap(t, map[string]any{"v": g.value(0), s: []any{s, g.value(0)}})
	})
}

// TestMarshalByteIdentical: a record is byte for byte what encoding/json
// writes for Event without HTML escaping, except inside the free-form maps,
// which are what json.Marshal writes for them (escaped) as they always
// were. (The samples keep \b, \f and HTML out of the fixed fields and of
// webIdFederationData, which Marshal writes differently.)
func TestMarshalByteIdentical(t *testing.T) {
	evs := append(sampleEvents(), assumeRoleEvent(assumeRoleResult()))
	deep := NewServiceEvent(t0, "sts.amazonaws.com", "Deep", "123456789012", map[string]any{
		"list": []any{1.5, 1e-9, -2e21, []string{"x<y", "\u2029"}, []map[string]any{{"k": nil}}, map[string]any{}},
		"date": Date(t0), "time": Time(t0), "html": "<&>", "nothing": nil,
	})
	deep.RequestParameters = map[string]any{}
	deep.ResponseElements = map[string]any{"\xffkey": "\xfevalue", "b\x08\x0c": "\x08\x0c"}
	deep.AdditionalEventData = map[string]any{"float": 0.000001, "big": 123456789012345678.0}
	evs = append(evs, deep)
	mapType := reflect.TypeFor[map[string]any]()
	rawType := reflect.TypeFor[json.RawMessage]()
	et := reflect.TypeFor[Event]()
	fields := make([]reflect.StructField, et.NumField())
	for i := range fields {
		fields[i] = et.Field(i)
		if fields[i].Type == mapType {
			fields[i].Type = rawType
		}
	}
	rt := reflect.StructOf(fields)
	for _, e := range evs {
		// The event with its maps swapped for json.Marshal's encoding of
		// them: a raw message is written as it is.
		rv := reflect.New(rt).Elem()
		ev := reflect.ValueOf(e).Elem()
		for i, f := range fields {
			if f.Type != rawType {
				rv.Field(i).Set(ev.Field(i))
				continue
			}
			m := ev.Field(i).Interface().(map[string]any)
			if len(m) == 0 && strings.Contains(f.Tag.Get("json"), ",omitempty") {
				continue
			}
			mb, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			rv.Field(i).SetBytes(mb)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rv.Interface()); err != nil {
			t.Fatal(err)
		}
		got, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Errorf("Marshal(%s):\n got %s\nwant %s", e.EventName, got, w)
		}
	}
}

// The AssumeRole result as internal/sts declares it, mirrored (tags
// included) so these tests do not depend on the STS package.
type (
	benchCredentials struct {
		AccessKeyID     string    `xml:"AccessKeyId" json:"AccessKeyId"`
		SecretAccessKey string    `xml:"SecretAccessKey"`
		SessionToken    string    `xml:"SessionToken"`
		Expiration      time.Time `xml:"Expiration"`
	}
	benchAssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId" json:"AssumedRoleId"`
		Arn           string
	}
	benchAssumeRoleOutput struct {
		Credentials      *benchCredentials
		AssumedRoleUser  *benchAssumedRoleUser
		PackedPolicySize *int   `xml:",omitempty" json:",omitempty"`
		SourceIdentity   string `xml:",omitempty" json:",omitempty"`
	}
)

func assumeRoleResult() *benchAssumeRoleOutput {
	return &benchAssumeRoleOutput{
		Credentials: &benchCredentials{
			AccessKeyID:     "ASIAQWERTYUIOPASDFGH",
			SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			SessionToken:    "AQoDYXdzEJr1K8e2fQ6Zf3F0dW5rLXNlc3Npb24tdG9rZW4tdGhhdC1pcy1sb25nLWVub3VnaC10by1iZS1yZWFsaXN0aWM=",
			Expiration:      t0.Add(time.Hour),
		},
		AssumedRoleUser: &benchAssumedRoleUser{
			AssumedRoleID: "AROA3XFRBF535PLBIFPI4:bench-session",
			Arn:           "arn:aws:sts::123456789012:assumed-role/deploy/bench-session",
		},
	}
}

// assumeRoleEvent builds the event the edge emits for a successful
// AssumeRole by an IAM user, responseElements included.
func assumeRoleEvent(result any) *Event {
	ev := NewAPICall(t0, "8f7c1f0e-4b7e-4a51-9a40-0c8e8f1d2a3b", "192.0.2.10", "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.17", "123456789012")
	ev.EventSource, ev.EventName, ev.AWSRegion = "sts.amazonaws.com", "AssumeRole", "us-east-1"
	ev.APIVersion = "2011-06-15"
	ev.UserIdentity = IdentityOf(&identity.Principal{
		Type: identity.IAMUser, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/ci",
		UserID: "AIDAJQABLZS4A3QDU576Q", UserName: "ci", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
	})
	ev.RequestParameters = map[string]any{
		"roleArn":         "arn:aws:iam::123456789012:role/deploy",
		"roleSessionName": "bench-session",
		"durationSeconds": int64(3600),
	}
	ev.Resources = []Resource{{ARN: "arn:aws:iam::123456789012:role/deploy", AccountID: "123456789012", Type: "AWS::IAM::Role"}}
	ev.TLSDetails = &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.com"}
	ev.ResponseElements = Elements(result)
	return ev
}

// BenchmarkMarshalAssumeRoleEvent is the audit work of one AssumeRole on
// the request path: responseElements from the result, then the record.
func BenchmarkMarshalAssumeRoleEvent(b *testing.B) {
	result := assumeRoleResult()
	b.Run("Elements", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if Elements(result) == nil {
				b.Fatal("no elements")
			}
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		ev := assumeRoleEvent(result)
		b.ReportAllocs()
		for b.Loop() {
			buf, err := ev.marshalPooled()
			if err != nil {
				b.Fatal(err)
			}
			releaseBuf(buf)
		}
	})
	b.Run("ElementsAndMarshal", func(b *testing.B) {
		ev := assumeRoleEvent(result)
		b.ReportAllocs()
		for b.Loop() {
			ev.ResponseElements = Elements(result)
			buf, err := ev.marshalPooled()
			if err != nil {
				b.Fatal(err)
			}
			releaseBuf(buf)
		}
	})
}
