package policy

// MatchCost returns an upper bound on the wildcard matching work of
// deciding one request against p, in units of about one byte comparison,
// when the values matched (action, resource, condition values) are at most
// valueLen characters long. Callers that let requests bring their own
// documents, such as a policy simulator, multiply it by the number of
// decisions to bound a request's work before doing it.
//
// Matching is linear in pattern and value, except for a piece between two
// stars that holds a '?' between literals: that costs the value's length ×
// ⌈n/64⌉ word operations for a piece of n characters (see [Match]).
func (p *Policy) MatchCost(valueLen int) int {
	cost := 0
	add := func(pt *pattern) {
		if pt.any || pt.prefixOnly || (!pt.wild && pt.segs == nil) {
			cost += len(pt.raw) + 1 // one comparison of the prefix or text
			return
		}
		// A table-driven search reads the pattern and the value, about
		// 4 units a byte each.
		cost += 4 * (len(pt.raw) + valueLen)
		text := pt.text
		if pt.segs != nil {
			text = ""
			for _, s := range pt.segs {
				text += s.text
			}
		}
		cost += gappedCost(text, valueLen)
	}
	for i := range p.stmts {
		s := &p.stmts[i]
		for j := range s.actions {
			add(&s.actions[j])
		}
		for j := range s.resources {
			add(&s.resources[j])
		}
		for j := range s.conds {
			for k := range s.conds[j].vals {
				add(&s.conds[j].vals[k].pat)
			}
		}
	}
	return cost
}

// shiftAndStepCost is the measured cost of one Shift-And step per word of
// state, in the units of MatchCost.
const shiftAndStepCost = 3

// gappedCost is the Shift-And work of the pieces of the compiled pattern
// text that indexGapped searches with the automaton.
func gappedCost(text string, valueLen int) int {
	cost := 0
	for i := 0; i < len(text); {
		next := indexStar(text, i)
		if next < 0 {
			break
		}
		if i > 0 { // a piece between two stars
			core := text[i:next]
			for len(core) > 0 && core[0] == mQuest {
				core = core[1:]
			}
			for len(core) > 0 && core[len(core)-1] == mQuest {
				core = core[:len(core)-1]
			}
			if len(core) > shortChunk && indexQuest(core) >= 0 {
				n := min(runeCount(core), valueLen)
				cost += valueLen * ((n + 63) / 64) * shiftAndStepCost
			}
		}
		i = next + 1
	}
	return cost
}
