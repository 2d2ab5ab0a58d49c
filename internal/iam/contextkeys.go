package iam

import (
	"encoding/json"
	"encoding/xml"
	"strings"

	"github.com/castellan-sts/castellan/policy"
)

// keySet collects the context keys policies use (GetContextKeysFor*):
// condition keys and, in 2012-10-17 documents, policy variables, in order
// of first appearance and without case-insensitive duplicates.
type keySet struct {
	seen map[string]bool
	keys []string
}

func (ks *keySet) add(k string) {
	k = strings.TrimSpace(k)
	if k == "" {
		return
	}
	lk := strings.ToLower(k)
	if ks.seen == nil {
		ks.seen = map[string]bool{}
	}
	if !ks.seen[lk] {
		ks.seen[lk] = true
		ks.keys = append(ks.keys, k)
	}
}

func (ks *keySet) list() []string {
	if ks.keys == nil {
		return []string{}
	}
	return ks.keys
}

// addPolicy adds the keys of a compiled (hence valid) document.
func (ks *keySet) addPolicy(p *policy.Policy) {
	doc, err := decodeOrdered(json.NewDecoder(strings.NewReader(p.Text())))
	if err != nil {
		return // cannot happen for a parsed policy
	}
	top, _ := doc.(jsonObject)
	vars := p.Version() == policy.Version2012
	for _, st := range asList(top.get("Statement")) {
		stmt, _ := st.(jsonObject)
		for _, kv := range stmt {
			switch kv.key {
			case "Resource", "NotResource":
				if vars {
					for _, r := range asList(kv.value) {
						s, _ := r.(string)
						ks.addVariables(s)
					}
				}
			case "Condition":
				ops, _ := kv.value.(jsonObject)
				for _, op := range ops {
					keys, _ := op.value.(jsonObject)
					for _, k := range keys {
						ks.add(k.key)
						if vars {
							for _, v := range asList(k.value) {
								if s, ok := v.(string); ok {
									ks.addVariables(s)
								}
							}
						}
					}
				}
			}
		}
	}
}

// addVariables adds the keys of the ${key} and ${key, 'default'}
// variables in s; the escapes ${*}, ${?} and ${$} are not keys.
func (ks *keySet) addVariables(s string) {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return
		}
		v := s[:j]
		s = s[j+1:]
		if v == "*" || v == "?" || v == "$" {
			continue
		}
		if k, _, ok := strings.Cut(v, ","); ok {
			v = k
		}
		ks.add(v)
	}
}

// jsonObject is a JSON object with its members in document order.
type jsonObject []jsonMember

type jsonMember struct {
	key   string
	value any
}

func (o jsonObject) get(key string) any {
	for _, m := range o {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// asList returns v as a list: a single value is a list of one.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// decodeOrdered decodes one JSON value, keeping object members in order:
// objects become jsonObject, arrays []any, scalars what json.Decoder.Token
// returns.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := jsonObject{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{k, v})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, nil
}

// memberList is an optional list in a result: left out when empty (use
// with `xml:",omitempty"`), otherwise written as <member> elements.
type memberList[T any] []T

// MarshalXML writes the items as <member> elements of start.
func (l memberList[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Member []T `xml:"member"`
	}{l}, start)
}
