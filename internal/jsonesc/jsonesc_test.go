package jsonesc

import (
	"encoding/json"
	"strings"
	"testing"
)

var cases = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "\x00\x01\x1f\x7f",
	"\b\f\n\r\t", "é 漢 😀", "a\u2028b\u2029c", "\xff\xfe", "\xc0\x80", "ok\xe2\x82", "\ufeff",
}

// TestAppendHTMLIsEncodingJSON: AppendHTML is json.Marshal of a string.
func TestAppendHTMLIsEncodingJSON(t *testing.T) {
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := AppendHTML(nil, s); string(got) != string(want) {
			t.Errorf("AppendHTML(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestAppendHistoricalForm: Append differs from encoding/json only in
// leaving <, > and & as they are and writing \b and \f long.
func TestAppendHistoricalForm(t *testing.T) {
	for _, s := range cases {
		want, _ := json.Marshal(s)
		w := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\b`, `\u0008`, `\f`, `\u000c`).Replace(string(want))
		if got := Append(nil, s); string(got) != w {
			t.Errorf("Append(%q) = %s, want %s", s, got, w)
		}
		var back string
		if err := json.Unmarshal(Append(nil, s), &back); err != nil {
			t.Errorf("Append(%q) is not JSON: %v", s, err)
		}
	}
}

func FuzzAppendHTML(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendHTML([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendHTML(%q) = %s, want %s", s, got[1:], want)
		}
	})
}
