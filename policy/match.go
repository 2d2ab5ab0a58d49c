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
// Match never backtracks. Its cost is O(len(p)+len(s)), except for a piece
// between two stars with a '?' between literals ("*a?b*"), which costs
// O(len(s)·⌈n/64⌉) for a piece of n characters (n is at most len(s)).
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
//
// Its cost is O(len(p)+len(s)) when no middle piece has a '?' between two
// literal characters; such a piece costs O(len(s)·⌈n/64⌉) with n its
// length in characters, at most the subject's (see indexGapped).
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
		if j, ok = indexChunk(p[i:next], s, j, fold); !ok {
			return false
		}
		i = next + 1
	}
}

// indexChunk finds the leftmost occurrence in s[j:] of a star-free chunk
// that sits between two stars and returns the offset just past it.
//
// A '?' at either end of the chunk commutes with the neighbouring star
// ("*?x" and "?*x" accept the same strings), so leading marks skip one
// character each before the search and trailing marks one each after it;
// only the core between the first and last literal is searched.
func indexChunk[P, S byteseq](chunk P, s S, j int, fold bool) (int, bool) {
	lo, hi := 0, len(chunk)
	for ; lo < hi && chunk[lo] == mQuest; lo++ {
		if j >= len(s) {
			return 0, false
		}
		j += runeLen(s, j)
	}
	trail := 0
	for ; hi > lo && chunk[hi-1] == mQuest; hi-- {
		trail++
	}
	if core := chunk[lo:hi]; len(core) > 0 {
		var ok bool
		if indexQuest(core) < 0 {
			j, ok = indexLiteral(core, s, j, fold)
		} else {
			j, ok = indexGapped(core, s, j, fold)
		}
		if !ok {
			return 0, false
		}
	}
	for ; trail > 0; trail-- {
		if j >= len(s) {
			return 0, false
		}
		j += runeLen(s, j)
	}
	return j, true
}

func indexQuest[P byteseq](p P) int {
	for i := 0; i < len(p); i++ {
		if p[i] == mQuest {
			return i
		}
	}
	return -1
}

// shortChunk is the length up to which a chunk is searched by trying each
// offset in turn: the cost is then at most shortChunk comparisons per
// subject byte, and no table is built.
const shortChunk = 16

func eqByte(c, d byte, fold bool) bool {
	return c == d || fold && lower(c) == lower(d)
}

// indexLiteral finds the leftmost occurrence in s[j:] of the wildcard-free
// lit and returns the offset just past it, in O(len(lit)+len(s)) (Knuth,
// Morris and Pratt). Folded comparison is an equivalence, so the failure
// table computed with it is valid.
func indexLiteral[P, S byteseq](lit P, s S, j int, fold bool) (int, bool) {
	m := len(lit)
	if m <= shortChunk {
		c0 := lit[0]
		for k := j; k+m <= len(s); k++ {
			if !eqByte(c0, s[k], fold) {
				continue
			}
			if end, ok := chunkAt(lit, s, k, fold); ok {
				return end, true
			}
		}
		return 0, false
	}
	if len(s)-j < m {
		return 0, false
	}
	// With fold, both sides are lowered, so the search compares bytes.
	pat := make([]byte, m)
	for i := range m {
		pat[i] = lit[i]
		if fold {
			pat[i] = lower(pat[i])
		}
	}
	fail := make([]int32, m)
	for i, q := 1, int32(0); i < m; i++ {
		for q > 0 && pat[i] != pat[q] {
			q = fail[q-1]
		}
		if pat[i] == pat[q] {
			q++
		}
		fail[i] = q
	}
	q := int32(0)
	for k := j; k < len(s); k++ {
		c := s[k]
		if fold {
			c = lower(c)
		}
		for q > 0 && c != pat[q] {
			q = fail[q-1]
		}
		if c == pat[q] {
			q++
		}
		if int(q) == m {
			return k + 1, true
		}
	}
	return 0, false
}

// indexGapped finds the leftmost occurrence in s[j:] of core, a chunk that
// starts and ends with a literal and has '?' marks inside, and returns the
// offset just past it.
//
// Matching with single-character wildcards is not known to be possible in
// linear time without fast convolutions, so long cores use the bit-parallel
// Shift-And automaton (Baeza-Yates and Gonnet) over characters: one pass
// over s costing ⌈n/64⌉ word operations per character for a core of n
// characters. A core longer than the rest of s cannot match and is
// rejected at once, so n is also at most the subject's length.
func indexGapped[P, S byteseq](core P, s S, j int, fold bool) (int, bool) {
	if len(s)-j < runeCount(core) {
		return 0, false
	}
	if len(core) <= shortChunk {
		c0 := core[0]
		for k := j; k < len(s); k++ {
			if !eqByte(c0, s[k], fold) {
				continue
			}
			if end, ok := chunkAt(core, s, k, fold); ok {
				return end, true
			}
		}
		return 0, false
	}
	a := newShiftAnd(core, fold)
	for k := j; k < len(s); {
		n := runeLen(s, k)
		if a.step(charKey(s, k, n, fold)) {
			return k + n, true
		}
		k += n
	}
	return 0, false
}

func runeCount[P byteseq](p P) int {
	n := 0
	for i := 0; i < len(p); i += runeLen(p, i) {
		n++
	}
	return n
}

// charKey identifies the character s[k:k+n] for comparison: its bytes
// packed into an integer (at most four), ASCII letters lowered with fold.
func charKey[S byteseq](s S, k, n int, fold bool) uint32 {
	if n == 1 {
		c := s[k]
		if fold {
			c = lower(c)
		}
		return uint32(c)
	}
	key := uint32(0)
	for i := 0; i < n; i++ {
		key = key<<8 | uint32(s[k+i])
	}
	return key
}

// shiftAnd is the Shift-And automaton of a chunk of n characters: bit i of
// state is set when the first i+1 characters match the text just read.
type shiftAnd struct {
	n     int
	state []uint64
	wild  []uint64 // positions holding '?'
	// A character's positions are kept as a bit set when it occurs more
	// often than the set has words, else as a list, so that one step costs
	// O(words) and the tables O(n) words whatever the chunk.
	sets       map[uint32][]uint64
	lists      map[uint32][]int32
	asciiSets  [128][]uint64 // the same, indexed directly for ASCII
	asciiLists [128][]int32
	next       []uint64
}

func newShiftAnd[P byteseq](core P, fold bool) *shiftAnd {
	var keys []uint32
	for i := 0; i < len(core); {
		if core[i] == mQuest {
			keys = append(keys, ^uint32(0))
			i++
			continue
		}
		n := runeLen(core, i)
		keys = append(keys, charKey(core, i, n, fold))
		i += n
	}
	words := (len(keys) + 63) / 64
	a := &shiftAnd{
		n:     len(keys),
		state: make([]uint64, words),
		wild:  make([]uint64, words),
		next:  make([]uint64, words),
		sets:  map[uint32][]uint64{},
		lists: map[uint32][]int32{},
	}
	count := map[uint32]int{}
	for _, k := range keys {
		count[k]++
	}
	for i, k := range keys {
		switch {
		case k == ^uint32(0):
			a.wild[i/64] |= 1 << (i % 64)
		case count[k] > words:
			set := a.sets[k]
			if set == nil {
				set = make([]uint64, words)
				a.sets[k] = set
			}
			set[i/64] |= 1 << (i % 64)
		default:
			a.lists[k] = append(a.lists[k], int32(i))
		}
	}
	for k := range uint32(128) {
		a.asciiSets[k], a.asciiLists[k] = a.sets[k], a.lists[k]
	}
	return a
}

// step feeds one text character and reports whether the whole chunk now
// matches, ending with it.
func (a *shiftAnd) step(key uint32) bool {
	var set []uint64
	var list []int32
	if key < 128 {
		set, list = a.asciiSets[key], a.asciiLists[key]
	} else {
		set, list = a.sets[key], a.lists[key]
	}
	carry := uint64(1)
	if set == nil {
		for w, v := range a.state {
			a.next[w] = (v<<1 | carry) & a.wild[w]
			carry = v >> 63
		}
	} else {
		for w, v := range a.state {
			a.next[w] = (v<<1 | carry) & (a.wild[w] | set[w])
			carry = v >> 63
		}
	}
	for _, i := range list {
		// Bit i of the shifted state is bit i-1 of the old one (or the
		// carried-in 1 for i = 0).
		if i == 0 || a.state[(i-1)/64]&(1<<((i-1)%64)) != 0 {
			a.next[i/64] |= 1 << (i % 64)
		}
	}
	a.state, a.next = a.next, a.state
	last := a.n - 1
	return a.state[last/64]&(1<<(last%64)) != 0
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
