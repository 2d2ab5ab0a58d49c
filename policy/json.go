package policy

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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

var (
	errJSON     = errors.New("invalid JSON")
	errDupKey   = errors.New("duplicate key")
	errTooDeep  = errors.New("JSON nested too deeply")
	errTrailing = errors.New("trailing data")
)

// decodeJSON decodes exactly one JSON value (RFC 8259) from doc. Strings
// are decoded as encoding/json does: invalid UTF-8 and unpaired surrogates
// become U+FFFD, so decoded text is always valid UTF-8.
func decodeJSON(doc string) (jvalue, error) {
	d := jdecoder{s: doc}
	v, err := d.value(0)
	if err != nil {
		return jvalue{}, err
	}
	d.space()
	if d.i != len(d.s) {
		return jvalue{}, errTrailing
	}
	return v, nil
}

type jdecoder struct {
	s string
	i int
}

func (d *jdecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jdecoder) value(depth int) (jvalue, error) {
	if depth > maxJSONDepth {
		return jvalue{}, errTooDeep
	}
	d.space()
	if d.i >= len(d.s) {
		return jvalue{}, errJSON
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		return jvalue{kind: jString, str: s}, err
	case c == 't':
		return jvalue{kind: jBool, b: true}, d.literal("true")
	case c == 'f':
		return jvalue{kind: jBool}, d.literal("false")
	case c == 'n':
		return jvalue{kind: jNull}, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		n, err := d.number()
		return jvalue{kind: jNumber, str: n}, err
	}
	return jvalue{}, errJSON
}

func (d *jdecoder) literal(lit string) error {
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return errJSON
	}
	d.i += len(lit)
	return nil
}

func (d *jdecoder) object(depth int) (jvalue, error) {
	v := jvalue{kind: jObject, obj: []jmember{}, start: d.i}
	d.i++ // {
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		v.end = d.i
		d.i++
		return v, nil
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return jvalue{}, errJSON
		}
		name, err := d.str()
		if err != nil {
			return jvalue{}, err
		}
		for _, m := range v.obj {
			if m.name == name {
				return jvalue{}, errDupKey
			}
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return jvalue{}, errJSON
		}
		d.i++
		e, err := d.value(depth + 1)
		if err != nil {
			return jvalue{}, err
		}
		v.obj = append(v.obj, jmember{name, e})
		d.space()
		if d.i >= len(d.s) {
			return jvalue{}, errJSON
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			v.end = d.i
			d.i++
			return v, nil
		default:
			return jvalue{}, errJSON
		}
	}
}

func (d *jdecoder) array(depth int) (jvalue, error) {
	v := jvalue{kind: jArray, arr: []jvalue{}}
	d.i++ // [
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return v, nil
	}
	for {
		e, err := d.value(depth + 1)
		if err != nil {
			return jvalue{}, err
		}
		v.arr = append(v.arr, e)
		d.space()
		if d.i >= len(d.s) {
			return jvalue{}, errJSON
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return v, nil
		default:
			return jvalue{}, errJSON
		}
	}
}

func (d *jdecoder) number() (string, error) {
	st := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case digits() == 0:
		return "", errJSON
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", errJSON
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", errJSON
		}
	}
	return d.s[st:d.i], nil
}

// str decodes a string starting at the opening quote.
func (d *jdecoder) str() (string, error) {
	d.i++ // "
	st := d.i
	// Fast path: plain ASCII-or-valid-UTF-8 text without escapes.
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			s := d.s[st:d.i]
			d.i++
			return s, nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.slowStr(st)
		}
		d.i++
	}
	return "", errJSON
}

func (d *jdecoder) slowStr(st int) (string, error) {
	var b strings.Builder
	b.WriteString(d.s[st:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), nil
		case c < 0x20:
			return "", errJSON
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", errJSON
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", errJSON
				}
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					save := d.i
					if strings.HasPrefix(d.s[d.i:], `\u`) {
						d.i += 2
						if x, ok := d.hex4(); ok {
							if dec := utf16.DecodeRune(r, x); dec != utf8.RuneError {
								r2 = dec
							} else {
								d.i = save
							}
						} else {
							return "", errJSON
						}
					}
					r = r2
				}
				b.WriteRune(r)
			default:
				return "", errJSON
			}
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			b.WriteRune(r) // invalid bytes become U+FFFD
			d.i += size
		}
	}
	return "", errJSON
}

func (d *jdecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	d.i += 4
	return r, true
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
