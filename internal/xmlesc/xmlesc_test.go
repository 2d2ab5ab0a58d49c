package xmlesc

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestAppend: the text decodes to what encoding/xml's escaping decodes to,
// and the entities are AWS's.
func TestAppend(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`Value '<a&b>' is "bad"`, "Value &apos;&lt;a&amp;b&gt;&apos; is &quot;bad&quot;"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr&#xD;"},
		{"ctl\x01\x1f", "ctl\uFFFD\uFFFD"},
		{"bad utf8 \xff\xfe", "bad utf8 \uFFFD\uFFFD"},
		{"caf\u00e9 \U0001F600", "caf\u00e9 \U0001F600"},
	} {
		if got := string(Append(nil, tc.in)); got != tc.want {
			t.Errorf("Append(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzAppend: whatever the input, the output is well-formed XML text that
// decodes as encoding/xml's escaping of the same input does.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"a<b", "\x00\x01", "\xff", "\r\n", "'\"&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		if err := xml.EscapeText(&want, []byte(s)); err != nil {
			t.Skip()
		}
		decode := func(text string) string {
			var v struct {
				V string `xml:",chardata"`
			}
			if err := xml.Unmarshal([]byte("<x>"+text+"</x>"), &v); err != nil {
				t.Fatalf("%q does not parse: %v", text, err)
			}
			return v.V
		}
		if got, w := decode(string(Append(nil, s))), decode(want.String()); got != w {
			t.Errorf("Append(%q) decodes to %q, encoding/xml's to %q", s, got, w)
		}
	})
}
