package policy

// Compiled patterns mark their wildcards with bytes that never occur in
// valid UTF-8, so that a literal '*' or '?' (from the ${*} and ${?} escapes,
// or from a substituted policy variable) can sit next to real wildcards in
// the same byte string.
const (
	mStar  = 0xFF // matches any sequence of characters, including none
	mQuest = 0xFE // matches exactly one character
)

type byteseq interface{ ~string | ~[]byte }

// Match reports whether s matches the IAM wildcard pattern p, in which '*'
// matches any run of characters (including none) and '?' exactly one
// character. With fold, ASCII letters compare case-insensitively (as for
// actions); otherwise the comparison is exact (as for resources).
//
// Match never backtracks: its cost is O(len(p)+len(s)) for typical patterns
// and at most O(len(p)·len(s)) for pathological ones such as "*a*a*a*…b".
func Match(p, s string, fold bool) bool {
	var buf [maxVarBuf]byte
	cp := append(buf[:0], p...)
	for i, c := range cp {
		switch c {
		case '*':
			cp[i] = mStar
		case '?':
			cp[i] = mQuest
		}
	}
	return glob(cp, s, fold)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// runeLen returns the byte length of the UTF-8 sequence starting at s[i],
// treating invalid bytes as one character each.
func runeLen[S byteseq](s S, i int) int {
	c := s[i]
	n := 1
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		n = 2
	case c&0xF0 == 0xE0:
		n = 3
	case c&0xF8 == 0xF0:
		n = 4
	default:
		return 1
	}
	for k := 1; k < n; k++ {
		if i+k >= len(s) || s[i+k]&0xC0 != 0x80 {
			return 1
		}
	}
	return n
}

func indexStar[P byteseq](p P, from int) int {
	for i := from; i < len(p); i++ {
		if p[i] == mStar {
			return i
		}
	}
	return -1
}

// chunkAt matches the star-free pattern chunk against s at offset k and
// returns the offset just past the match.
func chunkAt[P, S byteseq](chunk P, s S, k int, fold bool) (int, bool) {
	for i := 0; i < len(chunk); i++ {
		if k >= len(s) {
			return 0, false
		}
		c := chunk[i]
		if c == mQuest {
			k += runeLen(s, k)
			continue
		}
		d := s[k]
		if c != d && (!fold || lower(c) != lower(d)) {
			return 0, false
		}
		k++
	}
	return k, true
}

// chunkSuffix matches the star-free chunk against the end of s[from:],
// walking backwards.
func chunkSuffix[P, S byteseq](chunk P, s S, from int, fold bool) bool {
	k := len(s)
	for i := len(chunk) - 1; i >= 0; i-- {
		if k <= from {
			return false
		}
		c := chunk[i]
		if c == mQuest {
			k--
			for n := 0; n < 3 && k > from && s[k]&0xC0 == 0x80; n++ {
				k--
			}
			continue
		}
		k--
		d := s[k]
		if c != d && (!fold || lower(c) != lower(d)) {
			return false
		}
	}
	return true
}

// glob matches a compiled pattern: the pattern is cut at its stars; the
// first piece must match a prefix, the last a suffix, and each middle piece
// is matched at its leftmost position after the previous one, which is
// optimal for star patterns and needs no backtracking.
func glob[P, S byteseq](p P, s S, fold bool) bool {
	return globFrom(p, s, fold, 0)
}

// globFrom is glob for a pattern and subject whose first k bytes are known
// to match literally.
func globFrom[P, S byteseq](p P, s S, fold bool, k int) bool {
	star := indexStar(p, k)
	if star < 0 {
		end, ok := chunkAt(p[k:], s, k, fold)
		return ok && end == len(s)
	}
	j, ok := chunkAt(p[k:star], s, k, fold)
	if !ok {
		return false
	}
	i := star + 1
	for {
		next := indexStar(p, i)
		if next < 0 {
			return chunkSuffix(p[i:], s, j, fold)
		}
		if next == i {
			i++
			continue
		}
		chunk := p[i:next]
		found := false
		c0 := chunk[0]
		for k := j; k < len(s); k++ {
			// Cheap first-byte filter before the full comparison.
			if d := s[k]; c0 != mQuest && c0 != d && (!fold || lower(c0) != lower(d)) {
				continue
			}
			if end, ok := chunkAt(chunk, s, k, fold); ok {
				j, found = end, true
				break
			}
		}
		if !found {
			return false
		}
		i = next + 1
	}
}

// matchARN matches a resource ARN against a compiled resource pattern.
// When the pattern has all six ARN fields, each of the first five
// colon-separated fields is matched on its own (a wildcard does not cross a
// colon there), as AWS does; the resource field is the rest of the string.
func matchARN[P, S byteseq](p P, s S) bool {
	if len(p) == 1 && p[0] == mStar {
		return true
	}
	// Fast path: the first five fields are literal (the usual case), so
	// compare them as bytes and glob only the resource field.
	colons := 0
	for h := 0; h < len(p); h++ {
		c := p[h]
		if c == mStar || c == mQuest {
			break
		}
		if c == ':' {
			colons++
			if colons == 5 {
				h++
				if len(s) < h {
					return false
				}
				for i := 0; i < h; i++ {
					if p[i] != s[i] {
						return false
					}
				}
				return glob(p[h:], s[h:], false)
			}
		}
	}
	if countColons(p) < 5 {
		return glob(p, s, false)
	}
	pi, si := 0, 0
	for f := 0; f < 5; f++ {
		pe := indexColon(p, pi)
		se := indexColon(s, si)
		if se < 0 {
			return false
		}
		if !glob(p[pi:pe], s[si:se], false) {
			return false
		}
		pi, si = pe+1, se+1
	}
	return glob(p[pi:], s[si:], false)
}

func countColons[P byteseq](p P) int {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == ':' {
			n++
		}
	}
	return n
}

func indexColon[P byteseq](p P, from int) int {
	for i := from; i < len(p); i++ {
		if p[i] == ':' {
			return i
		}
	}
	return -1
}
