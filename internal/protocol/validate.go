package protocol

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/castellan-sts/castellan/internal/awserr"
)

// maxListItems bounds how many elements of a flattened list are read, so a
// request cannot make the server walk millions of indexes.
const maxListItems = 1000

// Validate checks query parameters against the operation's input shape and
// returns AWS's ValidationError ("1 validation error detected: Value 'x' at
// 'roleSessionName' failed to satisfy constraint: …") listing every
// violation, or nil. When the model's constraints hold, every member of
// the model's ARN shape (arnType) must then be a well-formed ARN: the
// service refuses one that is not with its own ValidationError (arnError)
// before anything else — authorisation included — looks at the request.
func (m *Model) Validate(op string, params *Params) error {
	o, ok := m.Operations[op]
	if !ok || o.Input == nil {
		return nil
	}
	v := validator{params: params, minOverride: m.minOverride}
	v.structure(o.Input, "", "")
	switch len(v.errs) {
	case 0:
		if v.badARN != nil {
			return arnError(m.Service, *v.badARN)
		}
		return nil
	case 1:
		return awserr.Errorf(awserr.ValidationError, "1 validation error detected: %s", v.errs[0])
	default:
		return awserr.Errorf(awserr.ValidationError, "%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))
	}
}

type validator struct {
	params      *Params
	minOverride map[string]float64
	errs        []string
	// badARN is the first arnType value that is not a well-formed ARN.
	badARN *string
}

// arnShape names the models' ARN string shape (both STS and IAM).
const arnShape = "arnType"

// WellFormedARN reports whether s has the form AWS's services parse:
// "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE" with a partition, a
// service and a resource (region and account may be empty; the resource
// may hold further colons). AWS refuses "nothing-valid-in-here",
// "arn::b:::x/y" (no partition), "arn:a::::x/y" (no service),
// "arn:a:::x/y" (too few parts) and "arn:a:a::acct:" (no resource), and
// accepts "arn:a:b:::x/y".
func WellFormedARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

// arnError is a service's refusal of a malformed ARN member: STS answers
// "<value> is invalid", IAM "Invalid ARN:  Could not be parsed!" (both
// ValidationError, 400, as AWS sends them).
func arnError(service, value string) error {
	if service == "sts" {
		return awserr.Errorf(awserr.ValidationError, "%s is invalid", value)
	}
	return awserr.Errorf(awserr.ValidationError, "Invalid ARN:  Could not be parsed!")
}

// lowerFirst renders a member name the way Coral names it in messages.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (v *validator) fail(s *Shape, value *string, path, constraint string) {
	var b strings.Builder
	b.WriteString("Value ")
	switch {
	case value == nil:
		b.WriteString("null ")
	case s.Sensitive:
	default:
		b.WriteString("'")
		b.WriteString(*value)
		b.WriteString("' ")
	}
	b.WriteString("at '")
	b.WriteString(path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(constraint)
	v.errs = append(v.errs, b.String())
}

func joinPath(path, name string) string {
	if path == "" {
		return lowerFirst(name)
	}
	return path + "." + lowerFirst(name)
}

// structure validates the members of s whose query keys start with prefix.
func (v *validator) structure(s *Shape, prefix, path string) {
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, mem := range s.Members {
		key := prefix + mem.Name
		p := joinPath(path, mem.Name)
		present := v.present(mem.Shape, key)
		if !present {
			if required[mem.Name] {
				v.fail(mem.Shape, nil, p, "Member must not be null")
			}
			continue
		}
		v.value(mem.Shape, key, p)
	}
}

// present reports whether any query key addresses this member.
func (v *validator) present(s *Shape, key string) bool {
	switch s.Type {
	case "structure", "list", "map":
		return v.params.Has(key) || v.params.HasPrefix(key)
	default:
		return v.params.Has(key)
	}
}

func (v *validator) value(s *Shape, key, path string) {
	switch s.Type {
	case "structure":
		v.structure(s, key+".", path)
	case "list":
		n := v.params.ListLen(key + ".member.")
		if s.Min != nil && float64(n) < *s.Min {
			v.fail(s, ptr(listString(v.params, key, n)), path, "Member must have length greater than or equal to "+num(*s.Min))
		}
		if s.Max != nil && float64(n) > *s.Max {
			v.fail(s, ptr(listString(v.params, key, n)), path, "Member must have length less than or equal to "+num(*s.Max))
		}
		for i := 1; i <= n && i <= maxListItems; i++ {
			ek := key + ".member." + strconv.Itoa(i)
			ep := path + "." + strconv.Itoa(i) + ".member"
			if v.present(s.Member, ek) {
				v.value(s.Member, ek, ep)
			}
		}
	case "map":
		n := v.params.ListLen(key + ".entry.")
		if s.Max != nil && float64(n) > *s.Max {
			v.fail(s, nil, path, "Member must have length less than or equal to "+num(*s.Max))
		}
	case "string":
		val := v.params.Get(key)
		n := float64(utf8.RuneCountInString(val))
		if s.Min != nil && n < *s.Min {
			v.fail(s, &val, path, "Member must have length greater than or equal to "+num(*s.Min))
		}
		if s.Max != nil && n > *s.Max {
			v.fail(s, &val, path, "Member must have length less than or equal to "+num(*s.Max))
		}
		if s.Pattern != nil && !s.Pattern.MatchString(val) {
			v.fail(s, &val, path, "Member must satisfy regular expression pattern: "+s.PatternS)
		}
		if len(s.Enum) > 0 && !contains(s.Enum, val) {
			v.fail(s, &val, path, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
		if s.Name == arnShape && v.badARN == nil && !WellFormedARN(val) {
			v.badARN = &val
		}
	case "integer", "long":
		val := v.params.Get(key)
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			v.fail(s, &val, path, "Member must be a number")
			return
		}
		min := s.Min
		if o, ok := v.minOverride[s.Name]; ok {
			min = &o
		}
		if min != nil && float64(n) < *min {
			v.fail(s, &val, path, "Member must have value greater than or equal to "+num(*min))
		}
		if s.Max != nil && float64(n) > *s.Max {
			v.fail(s, &val, path, "Member must have value less than or equal to "+num(*s.Max))
		}
	case "boolean":
		val := v.params.Get(key)
		if !strings.EqualFold(val, "true") && !strings.EqualFold(val, "false") {
			v.fail(s, &val, path, "Member must be a boolean")
		}
	}
}

func listString(params *Params, key string, n int) string {
	parts := make([]string, 0, n)
	for i := 1; i <= n && i <= maxListItems; i++ {
		parts = append(parts, params.Get(key+".member."+strconv.Itoa(i)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func ptr[T any](v T) *T { return &v }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
