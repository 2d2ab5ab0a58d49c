package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator without its IfExists suffix and set
// qualifier.
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
	numOps
)

var opNames = [numOps]string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
	"DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
	"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}

type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

func (o opKind) family() family {
	switch {
	case o <= opStringNotLike:
		return famString
	case o <= opNumericGreaterThanEquals:
		return famNumeric
	case o <= opDateGreaterThanEquals:
		return famDate
	case o == opBool:
		return famBool
	case o == opBinaryEquals:
		return famBinary
	case o <= opNotIPAddress:
		return famIP
	case o <= opArnNotLike:
		return famArn
	}
	return famNull
}

// negated reports operators that are true when no value matches (and when
// the key is absent).
func (o opKind) negated() bool {
	switch o {
	case opStringNotEquals, opStringNotEqualsIgnoreCase, opStringNotLike, opNumericNotEquals,
		opDateNotEquals, opNotIPAddress, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

// positive returns the operator whose negation o is.
func (o opKind) positive() opKind {
	switch o {
	case opStringNotEquals:
		return opStringEquals
	case opStringNotEqualsIgnoreCase:
		return opStringEqualsIgnoreCase
	case opStringNotLike:
		return opStringLike
	case opNumericNotEquals:
		return opNumericEquals
	case opDateNotEquals:
		return opDateEquals
	case opNotIPAddress:
		return opIPAddress
	case opArnNotEquals:
		return opArnEquals
	case opArnNotLike:
		return opArnLike
	}
	return o
}

// Set qualifiers.
const (
	setNone uint8 = iota
	setForAll
	setForAny
)

type operator struct {
	op       opKind
	ifExists bool
	set      uint8
}

func (o operator) family() family { return o.op.family() }

// parseOperator parses a condition operator such as
// "ForAnyValue:StringLikeIfExists". Names compare case-insensitively.
func parseOperator(name string) (operator, bool) {
	var o operator
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch {
		case strings.EqualFold(q, "ForAllValues"):
			o.set = setForAll
		case strings.EqualFold(q, "ForAnyValue"):
			o.set = setForAny
		default:
			return o, false
		}
		name = rest
	}
	if len(name) > 8 && strings.EqualFold(name[len(name)-8:], "IfExists") {
		o.ifExists = true
		name = name[:len(name)-8]
	}
	for i, n := range opNames {
		if strings.EqualFold(n, name) {
			o.op = opKind(i)
			if o.op == opNull && (o.ifExists || o.set != setNone) {
				return o, false
			}
			return o, true
		}
	}
	return o, false
}

// condition is one key of one operator block.
type condition struct {
	opName string // as written
	operator
	key         string // lower case
	keyRaw      string
	vals        []cval
	multivalued bool // the key is one of AWS's multivalued keys
}

// cval is a compiled condition value.
type cval struct {
	raw string
	pat pattern // string and ARN operators
	num float64
	t   time.Time
	ip  netip.Prefix
	bin string // BinaryEquals: the decoded bytes
	b   bool   // Null: true tests absence
	ok  bool   // the value parsed for its operator
}

func compileCondition(opName string, o operator, key string, vals []string, vars bool) condition {
	c := condition{opName: opName, operator: o, key: strings.ToLower(key), keyRaw: key}
	c.multivalued = multivaluedKey(c.key)
	for _, v := range vals {
		cv := cval{raw: v, ok: true}
		switch o.family() {
		case famString:
			pos := o.op.positive()
			cv.pat = compilePattern(v, pos == opStringLike, vars)
		case famArn:
			cv.pat = compilePattern(v, true, vars)
		case famNumeric:
			f, err := strconv.ParseFloat(v, 64)
			cv.num, cv.ok = f, err == nil
		case famDate:
			cv.t, cv.ok = parseDate(v)
		case famIP:
			cv.ip, cv.ok = parsePrefix(v)
		case famBinary:
			b, err := base64.StdEncoding.DecodeString(v)
			cv.bin, cv.ok = string(b), err == nil
		case famBool:
			cv.b = strings.EqualFold(v, "true")
			cv.ok = cv.b || strings.EqualFold(v, "false")
		case famNull:
			cv.b = strings.EqualFold(v, "true")
		}
		c.vals = append(c.vals, cv)
	}
	return c
}

// parsePrefix parses an IpAddress value: a CIDR block or a bare address
// (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseDate parses a date condition value: whole seconds since the epoch,
// or ISO 8601 (YYYY[-MM[-DD]][Thh[:mm[:ss[.fff]]]][Z|±hh[[:]mm]], the T in
// either case). It does not allocate.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && !(i == 0 && s[i] == '-' && len(s) > 1) {
			digits = false
			break
		}
	}
	if digits {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	i := 0
	num := func(min, max int) (int, bool) {
		st := i
		v := 0
		for i < len(s) && i-st < max && s[i] >= '0' && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
		}
		return v, i-st >= min
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	year, ok := num(4, 9)
	if !ok {
		return time.Time{}, false
	}
	if neg {
		year = -year
	}
	month, day, hour, minute, sec, nsec := 1, 1, 0, 0, 0, 0
	if i < len(s) && s[i] == '-' {
		i++
		if month, ok = num(2, 2); !ok || month < 1 || month > 12 {
			return time.Time{}, false
		}
		if i < len(s) && s[i] == '-' {
			i++
			if day, ok = num(2, 2); !ok || day < 1 || day > 31 {
				return time.Time{}, false
			}
		}
	}
	if i < len(s) && (s[i] == 'T' || s[i] == 't') {
		i++
		if hour, ok = num(1, 2); !ok || hour > 24 {
			return time.Time{}, false
		}
		if i < len(s) && s[i] == ':' {
			i++
			if minute, ok = num(2, 2); !ok || minute > 59 {
				return time.Time{}, false
			}
			if i < len(s) && s[i] == ':' {
				i++
				if sec, ok = num(2, 2); !ok || sec > 60 {
					return time.Time{}, false
				}
				if i < len(s) && (s[i] == '.' || s[i] == ',') {
					i++
					st := i
					scale := 100000000
					for i < len(s) && s[i] >= '0' && s[i] <= '9' {
						nsec += int(s[i]-'0') * scale
						scale /= 10
						i++
					}
					if i == st {
						return time.Time{}, false
					}
				}
			}
		}
	}
	offset := 0
	if i < len(s) {
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := 1
			if s[i] == '-' {
				sign = -1
			}
			i++
			oh, ok := num(2, 2)
			if !ok {
				return time.Time{}, false
			}
			om := 0
			if i < len(s) && s[i] == ':' {
				i++
				if om, ok = num(2, 2); !ok {
					return time.Time{}, false
				}
			} else if i < len(s) {
				if om, ok = num(2, 2); !ok {
					return time.Time{}, false
				}
			}
			offset = sign * (oh*3600 + om*60)
		}
	}
	if i != len(s) {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// eval evaluates the condition against the request context.
func (c *condition) eval(e *evaluator) bool {
	vals, present := e.values(c.key)
	if present && len(vals) == 0 {
		present = false
	}
	if c.op == opNull {
		for _, v := range c.vals {
			if v.b != present {
				return true
			}
		}
		return false
	}
	if !present {
		e.missing(c.keyRaw)
		switch {
		case c.set == setForAny:
			// ForAnyValue needs a value, even with IfExists (AWS
			// answers "no identity-based policy allows" there).
			return false
		case c.ifExists, c.set == setForAll:
			return true
		}
		return c.op.negated()
	}
	if c.set == setNone && c.multivalued {
		// A multivalued key (aws:TagKeys, …) needs ForAllValues or
		// ForAnyValue; a plain operator never matches it.
		return false
	}
	neg := c.op.negated()
	if neg {
		// A negated operator whose policy value has an unresolvable
		// variable makes the statement invalid: the condition is false.
		e.unresolved = false
		r := c.evalPresent(e, vals, neg)
		return r && !e.unresolved
	}
	return c.evalPresent(e, vals, neg)
}

func (c *condition) evalPresent(e *evaluator, vals []string, neg bool) bool {
	switch c.set {
	case setForAll:
		for _, rv := range vals {
			if c.anyValue(e, rv) == neg {
				return false
			}
		}
		return true
	case setForAny:
		for _, rv := range vals {
			if c.anyValue(e, rv) != neg {
				return true
			}
		}
		return false
	}
	// A key without a set qualifier: a positive operator matches when
	// any request value matches; a negated one when none does.
	for _, rv := range vals {
		if c.anyValue(e, rv) {
			return !neg
		}
	}
	return neg
}

// anyValue reports whether request value rv matches any policy value under
// the positive form of the operator.
func (c *condition) anyValue(e *evaluator, rv string) bool {
	op := c.op.positive()
	switch op.family() {
	case famString, famArn:
		for i := range c.vals {
			if e.matchValue(&c.vals[i].pat, op, rv) {
				return true
			}
		}
	case famNumeric:
		f, err := strconv.ParseFloat(rv, 64)
		if err != nil {
			return false
		}
		for i := range c.vals {
			v := &c.vals[i]
			if v.ok && cmpOK(op-opNumericEquals, compareFloat(f, v.num)) {
				return true
			}
		}
	case famDate:
		t, ok := e.date(rv)
		if !ok {
			return false
		}
		for i := range c.vals {
			v := &c.vals[i]
			if v.ok && cmpOK(op-opDateEquals, t.Compare(v.t)) {
				return true
			}
		}
	case famBool:
		for i := range c.vals {
			if c.vals[i].ok && strings.EqualFold(rv, c.vals[i].raw) {
				return true
			}
		}
	case famBinary:
		// The policy holds base64; the request value may be the raw bytes
		// or their base64 text.
		for i := range c.vals {
			if rv == c.vals[i].raw || (c.vals[i].ok && rv == c.vals[i].bin) {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(rv)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.vals {
			if c.vals[i].ok && c.vals[i].ip.Contains(a) {
				return true
			}
		}
	}
	return false
}

// cmpOK interprets a comparison result for the relation rel, counted from
// the family's Equals operator: Equals, NotEquals, LessThan,
// LessThanEquals, GreaterThan, GreaterThanEquals.
func cmpOK(rel opKind, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp != 0
	case 2:
		return cmp < 0
	case 3:
		return cmp <= 0
	case 4:
		return cmp > 0
	case 5:
		return cmp >= 0
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// multivaluedKey reports the global condition keys that AWS documents as
// multivalued (key is lower case). Service-specific multivalued keys are
// not known here; requests carrying several values for other keys are
// matched value by value.
func multivaluedKey(key string) bool {
	switch key {
	case "aws:tagkeys", "aws:calledvia", "aws:principalservicenameslist",
		"aws:principalorgpaths", "aws:resourceorgpaths", "aws:sourceorgpaths":
		return true
	}
	// Web identity "amr" (authentication methods) claims, e.g.
	// cognito-identity.amazonaws.com:amr.
	return strings.HasSuffix(key, ":amr")
}

// date parses a request date value, remembering the last one: policies
// often test the same key (aws:CurrentTime, aws:TokenIssueTime) many times.
func (e *evaluator) date(v string) (time.Time, bool) {
	if e.dateOK && v == e.dateRaw {
		return e.dateVal, true
	}
	t, ok := parseDate(v)
	if ok {
		e.dateRaw, e.dateVal, e.dateOK = v, t, true
	}
	return t, ok
}
