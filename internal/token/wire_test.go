package token

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// fill sets every field of the session to a value derived from s, by
// reflection, so a field added to identity.Session and forgotten by
// appendWire makes TestAppendWire fail.
func fill(t testing.TB, s string, n int, at time.Time) identity.Session {
	t.Helper()
	var sess identity.Session
	v := reflect.ValueOf(&sess).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Bool:
			f.SetBool(n%2 == 1)
		case reflect.Int:
			f.SetInt(int64(n))
		case reflect.Slice:
			switch f.Type().Elem() {
			case reflect.TypeFor[string]():
				f.Set(reflect.ValueOf([]string{s, "b" + s}))
			case reflect.TypeFor[identity.Tag]():
				f.Set(reflect.ValueOf([]identity.Tag{{Key: s, Value: s + "v"}, {Key: "", Value: ""}}))
			default:
				t.Fatalf("identity.Session.%s: slice of %s is new to appendWire", v.Type().Field(i).Name, f.Type().Elem())
			}
		case reflect.Struct:
			switch f.Type() {
			case reflect.TypeFor[time.Time]():
				f.Set(reflect.ValueOf(at))
			default:
				if v.Type().Field(i).Tag.Get("json") != "-" {
					t.Fatalf("identity.Session.%s: type %s is new to appendWire", v.Type().Field(i).Name, f.Type())
				}
			}
		default:
			t.Fatalf("identity.Session.%s: kind %s is new to appendWire", v.Type().Field(i).Name, f.Kind())
		}
	}
	return sess
}

func checkWire(t testing.TB, w *wire) {
	t.Helper()
	want, err := json.Marshal(w)
	if err != nil {
		if canAppendWire(w) {
			t.Fatalf("json.Marshal fails (%v) where appendWire would encode", err)
		}
		return
	}
	if !canAppendWire(w) {
		return
	}
	if got := appendWire(nil, w); !bytes.Equal(got, want) {
		t.Fatalf("appendWire =\n%s\nwant (json.Marshal)\n%s", got, want)
	}
}

// TestAppendWire holds the hand-written encoder to encoding/json's bytes:
// every field set, every field empty, and strings that need escaping.
func TestAppendWire(t *testing.T) {
	at := time.Date(2026, 12, 7, 13, 0, 0, 123456789, time.UTC)
	for _, s := range []string{"", "plain", `q"b\s`, "<a>&", "ctl\x00\x01\b\f\n\r\t\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad\xff\xfeutf8", "\xed\xa0\x80"} {
		for n := range 3 {
			w := wire{Secret: s, Session: fill(t, s, n, at)}
			checkWire(t, &w)
		}
	}
	checkWire(t, &wire{})
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+30*60), time.FixedZone("y", -7*3600)}
	for _, z := range zones {
		w := wire{Secret: "s", Session: fill(t, "v", 1, at.In(z))}
		checkWire(t, &w)
	}
}

// FuzzAppendWire feeds both encoders arbitrary strings and times.
func FuzzAppendWire(f *testing.F) {
	f.Add("secret", "arn:aws:iam::123456789012:role/x", int64(1765112400), 0, 1)
	f.Add("\x00<>&\u2028", "\xff", int64(-62135596800), 3600, 2)
	f.Fuzz(func(t *testing.T, sec, s string, unix int64, off, n int) {
		at := time.Unix(unix, int64(n)).In(time.FixedZone("z", off%(48*3600)))
		w := wire{Secret: sec, Session: fill(t, s, n, at)}
		checkWire(t, &w)
	})
}

// BenchmarkSeal is one token's sealing, as AssumeRole does it.
func BenchmarkSeal(b *testing.B) {
	at := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	k := newKeyring(b, newStore(b), &fakeClock{t: at})
	s := identity.Session{Issuer: "AssumeRole", AccountID: "123456789012", PrincipalID: "AROAEXAMPLE", RoleARN: "arn:aws:iam::123456789012:role/bench",
		RoleName: "bench", RoleID: "AROAEXAMPLE", SessionName: "bench", IssuedAt: at, Expires: at.Add(time.Hour), Region: "us-east-1", TokenVersion: 2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("ASIAEXAMPLE", &s); err != nil {
			b.Fatal(err)
		}
	}
}
