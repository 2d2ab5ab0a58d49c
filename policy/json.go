package policy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// jkind is the JSON type of a jvalue.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is a decoded JSON value that keeps object member order, so that
// validation reports the first error in document order, and rejects
// duplicate member names.
type jvalue struct {
	kind jkind
	str  string // string, or the number's text
	b    bool
	arr  []jvalue
	obj  []jmember
	// start and end are the byte offsets of an object's braces.
	start, end int
}

type jmember struct {
	name string
	val  jvalue
}

var errDupKey = errors.New("duplicate key")

// decodeJSON decodes exactly one JSON value from doc.
func decodeJSON(doc string) (jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return jvalue{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jvalue{}, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxJSONDepth {
		return jvalue{}, errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return jvalue{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jvalue{kind: jNull}, nil
	case bool:
		return jvalue{kind: jBool, b: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, str: string(t)}, nil
	case string:
		return jvalue{kind: jString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := jvalue{kind: jArray, arr: []jvalue{}}
			for dec.More() {
				e, err := decodeValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return jvalue{}, err
			}
			return v, nil
		case '{':
			v := jvalue{kind: jObject, obj: []jmember{}, start: int(dec.InputOffset()) - 1}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, err
				}
				name, ok := kt.(string)
				if !ok {
					return jvalue{}, errors.New("bad key")
				}
				for _, m := range v.obj {
					if m.name == name {
						return jvalue{}, errDupKey
					}
				}
				e, err := decodeValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.obj = append(v.obj, jmember{name, e})
			}
			if _, err := dec.Token(); err != nil {
				return jvalue{}, err
			}
			v.end = int(dec.InputOffset()) - 1
			return v, nil
		}
	}
	return jvalue{}, errors.New("unexpected token")
}

// get returns the member named name of an object.
func (v *jvalue) get(name string) (*jvalue, bool) {
	for i := range v.obj {
		if v.obj[i].name == name {
			return &v.obj[i].val, true
		}
	}
	return nil, false
}

// scalarText returns the text of a string, number or boolean value.
func (v *jvalue) scalarText() (string, bool) {
	switch v.kind {
	case jString, jNumber:
		return v.str, true
	case jBool:
		if v.b {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
