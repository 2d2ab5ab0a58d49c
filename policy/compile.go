package policy

import (
	"slices"
	"strings"
)

// pattern is a compiled Action, Resource or string condition value.
// Wildcards are the marker bytes mStar and mQuest; literal '*' and '?' are
// themselves. A pattern with policy variables keeps its pieces in segs.
type pattern struct {
	raw    string
	text   string   // compiled text when segs is nil
	segs   []patSeg // non-nil when the pattern has policy variables
	any    bool     // the pattern is a lone "*"
	wild   bool     // text has a wildcard
	prefix string   // text before the first wildcard (fast rejection)
	// prefixOnly: the pattern is prefix followed by one '*' (the common
	// "iam:Get*", "arn:aws:s3:::bucket/*"), so a prefix match decides.
	prefixOnly bool
}

// patSeg is literal compiled text followed by an optional variable.
type patSeg struct {
	text   string
	key    string // lower-case condition key; "" for none
	keyRaw string
	def    string
	hasDef bool
}

// compilePattern compiles s. With wild, '*' and '?' are wildcards; with
// vars, ${…} policy variables and the ${*} ${?} ${$} escapes are recognised.
func compilePattern(s string, wild, vars bool) pattern {
	p := pattern{raw: s, any: wild && s == "*"}
	if !strings.ContainsAny(s, "*?$") {
		p.text, p.prefix = s, s
		return p
	}
	b := make([]byte, 0, len(s))
	emit := func(c byte) {
		if wild {
			switch c {
			case '*':
				c = mStar
			case '?':
				c = mQuest
			}
		}
		b = append(b, c)
	}
	for i := 0; i < len(s); i++ {
		if vars && s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end >= 0 {
				inner := strings.TrimSpace(s[i+2 : i+2+end])
				if seg, lit, ok := parseVariable(inner); ok {
					if lit != 0 {
						b = append(b, lit)
					} else {
						seg.text = string(b)
						b = b[:0]
						p.segs = append(p.segs, seg)
					}
					i += 2 + end
					continue
				}
			}
		}
		emit(s[i])
	}
	if p.segs != nil {
		p.segs = append(p.segs, patSeg{text: string(b)})
		return p
	}
	p.text = string(b)
	p.prefix = p.text
	for i := 0; i < len(p.text); i++ {
		if c := p.text[i]; c == mStar || c == mQuest {
			p.wild, p.prefix = true, p.text[:i]
			p.prefixOnly = c == mStar && i == len(p.text)-1
			break
		}
	}
	return p
}

// matchFold matches a compiled action pattern (ASCII case-insensitive).
func (p *pattern) matchFold(s string) bool {
	switch {
	case p.any:
		return true
	case !p.wild:
		return len(p.text) == len(s) && asciiEqualFold(p.text, s)
	case len(s) < len(p.prefix) || !asciiEqualFold(p.prefix, s[:len(p.prefix)]):
		return false
	case p.prefixOnly:
		return true
	}
	return globFrom(p.text, s, true, len(p.prefix))
}

func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// parseVariable parses the inside of ${…}: an escape (*, ?, $) or a key
// with an optional default value in single quotes (” is a quote).
func parseVariable(inner string) (seg patSeg, lit byte, ok bool) {
	switch inner {
	case "*", "?", "$":
		return patSeg{}, inner[0], true
	case "":
		return patSeg{}, 0, false
	}
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t'") {
		return patSeg{}, 0, false
	}
	seg.key, seg.keyRaw = strings.ToLower(key), key
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return patSeg{}, 0, false
		}
		body := def[1 : len(def)-1]
		var out strings.Builder
		for i := 0; i < len(body); i++ {
			if body[i] == '\'' {
				if i+1 < len(body) && body[i+1] == '\'' {
					out.WriteByte('\'')
					i++
					continue
				}
				return patSeg{}, 0, false
			}
			out.WriteByte(body[i])
		}
		seg.def, seg.hasDef = out.String(), true
	}
	return seg, 0, true
}

func compileStatement(s rawStatement, vars bool) statement {
	st := statement{deny: s.effect == "Deny", start: s.start, end: s.end}
	if s.sid != nil {
		st.sid = *s.sid
	}
	acts := s.action
	if s.hasNotAction {
		st.notAction, acts = true, s.notAction
	}
	for _, a := range acts {
		st.actions = append(st.actions, compilePattern(a, true, false))
		vendor, _, _ := strings.Cut(a, ":")
		if strings.ContainsAny(vendor, "*?") || vendor == a {
			st.anyVendor = true
			continue
		}
		vendor = strings.ToLower(vendor)
		if !slices.Contains(st.vendors, vendor) {
			st.vendors = append(st.vendors, vendor)
		}
	}
	if st.anyVendor {
		st.vendors = nil
	}
	res := s.resource
	switch {
	case s.hasNotResource:
		st.notResource, res = true, s.notResource
	case !s.hasResource:
		st.anyResource = true
	}
	for _, r := range res {
		st.resources = append(st.resources, compilePattern(r, true, vars))
	}
	switch {
	case s.principal != nil:
		st.principal = compilePrincipal(s.principal)
	case s.notPrincipal != nil:
		st.principal, st.notPrincipal = compilePrincipal(s.notPrincipal), true
	}
	if s.condition != nil {
		for _, blk := range s.condition.obj {
			op, ok := parseOperator(blk.name)
			if !ok {
				continue // an unknown operator with an empty block
			}
			for _, m := range blk.val.obj {
				st.conds = append(st.conds, compileCondition(blk.name, op, m.name, conditionValues(&m.val), vars))
			}
		}
	}
	return st
}
