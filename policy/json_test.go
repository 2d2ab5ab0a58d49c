package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func (v *jvalue) toAny() any {
	switch v.kind {
	case jBool:
		return v.b
	case jNumber:
		return json.Number(v.str)
	case jString:
		return v.str
	case jArray:
		l := []any{}
		for i := range v.arr {
			l = append(l, v.arr[i].toAny())
		}
		return l
	case jObject:
		m := map[string]any{}
		for i := range v.obj {
			m[v.obj[i].name] = v.obj[i].val.toAny()
		}
		return m
	}
	return nil
}

// checkJSON compares decodeJSON with encoding/json on doc.
func checkJSON(t *testing.T, doc string) {
	got, err := decodeJSON(doc)
	valid := json.Valid([]byte(doc))
	if err != nil {
		if valid && !errors.Is(err, errDupKey) && !errors.Is(err, errTooDeep) {
			t.Fatalf("decodeJSON(%q) = %v, but encoding/json accepts it", doc, err)
		}
		return
	}
	if !valid {
		t.Fatalf("decodeJSON(%q) accepted what encoding/json rejects", doc)
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.toAny()); diff != "" {
		t.Fatalf("decodeJSON(%q) differs from encoding/json (-want +got):\n%s", doc, diff)
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`, ` {"a" : [1, "b", {"c": null}] } `,
		`"\u00e9\ud83d\ude00\n\t\"\\\/"`, `"\ud800"`, `"\ud800\u0041"`, "\"\xff\"", `"é"`,
		`{"a":1,"a":2}`, `01`, `1.`, `.5`, `-`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `"\x"`, "\"\x01\"", `tru`, `nul`, `[`, `{`, `"abc`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}`,
	} {
		checkJSON(t, doc)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"a":[1,2.5e3,"x\u00e9",true,false,null,{}]}`)
	f.Add(`"\ud83d\ude00\ud800"`)
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 4096 {
			return
		}
		checkJSON(t, doc)
	})
}
