package protocol

import "sort"

// SensitiveNames returns the names of the members, anywhere in the model,
// whose shape botocore marks sensitive (Password, PrivateKey,
// SAMLAssertion, WebIdentityToken …), sorted. The edge redacts parameters
// of these names wherever request data is kept; the names, not the
// operations, decide, because a refused request's action may be unknown.
func (m *Model) SensitiveNames() []string {
	seen := map[string]bool{}
	for _, sh := range m.shapes {
		for _, mem := range sh.Members {
			if mem.Shape != nil && mem.Shape.Sensitive {
				seen[mem.Name] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SensitiveMembers returns, for operation op, the query keys of its input
// members marked sensitive, descending into structures and the first
// element of lists (Foo.member.1.Bar), up to depth levels.
func (m *Model) SensitiveMembers(op string) []string {
	o := m.Operations[op]
	if o == nil || o.Input == nil {
		return nil
	}
	var out []string
	var walk func(sh *Shape, prefix string, depth int)
	walk = func(sh *Shape, prefix string, depth int) {
		if depth > 6 {
			return
		}
		for _, mem := range sh.Members {
			k := prefix + mem.Name
			switch {
			case mem.Shape.Sensitive:
				out = append(out, k)
			case mem.Shape.Type == "structure":
				walk(mem.Shape, k+".", depth+1)
			case mem.Shape.Type == "list" && mem.Shape.Member != nil && mem.Shape.Member.Type == "structure":
				walk(mem.Shape.Member, k+".member.1.", depth+1)
			}
		}
	}
	walk(o.Input, "", 0)
	return out
}
