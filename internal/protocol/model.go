package protocol

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The botocore service models (Apache-2.0, see models/LICENSE.txt and
// models/NOTICE) drive input validation, so constraint messages match AWS's
// for every operation without hand-written checks.
//
//go:embed models/*.json
var modelFS embed.FS

// Model is a parsed botocore service model: the operations and shapes that
// input validation needs.
type Model struct {
	Service    string
	Version    string
	XMLNS      string
	Operations map[string]*Operation
	shapes     map[string]*Shape
	// minOverride lowers the minimum of named integer shapes (for
	// --min-session-duration); nil for the model as AWS defines it.
	minOverride map[string]float64
}

// WithMin returns a copy of m in which the named integer shapes have the
// given minimum instead of the model's (shapes are shared, not copied).
func (m *Model) WithMin(min map[string]float64) *Model {
	c := *m
	c.minOverride = min
	return &c
}

// Operation is one operation of a model.
type Operation struct {
	Name   string
	Input  *Shape // nil when the operation takes no input
	Output string
}

// Shape is a botocore shape, reduced to what validation and decoding need.
type Shape struct {
	Name      string
	Type      string // structure, string, integer, long, boolean, list, map, timestamp, blob
	Required  []string
	Members   []Member // in model order
	Min, Max  *float64
	Pattern   *regexp.Regexp
	PatternS  string
	Enum      []string
	Sensitive bool
	Member    *Shape // list element
	Key, Val  *Shape // map entry
}

// Member is a structure member.
type Member struct {
	Name  string
	Shape *Shape
}

type rawModel struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		EndpointPref string `json:"endpointPrefix"`
		XMLNamespace string `json:"xmlNamespace"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input  *struct{ Shape string } `json:"input"`
		Output *struct {
			Shape string
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]json.RawMessage `json:"shapes"`
}

type rawShape struct {
	Type      string                  `json:"type"`
	Required  []string                `json:"required"`
	Min       *float64                `json:"min"`
	Max       *float64                `json:"max"`
	Pattern   string                  `json:"pattern"`
	Enum      []string                `json:"enum"`
	Sensitive bool                    `json:"sensitive"`
	Member    *struct{ Shape string } `json:"member"`
	Key       *struct{ Shape string } `json:"key"`
	Value     *struct{ Shape string } `json:"value"`
	// Members keeps model order through a custom decode below.
	Members orderedMembers `json:"members"`
}

type orderedMembers []struct{ Name, Shape string }

func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v struct {
			Shape string `json:"shape"`
		}
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, struct{ Name, Shape string }{k.(string), v.Shape})
	}
	return nil
}

var (
	modelsOnce sync.Once
	models     map[string]*Model
	modelsErr  error
)

// LoadModel returns the embedded model for a service (sts, iam, cloudtrail).
// Models are parsed once and shared read-only.
func LoadModel(service string) (*Model, error) {
	modelsOnce.Do(func() {
		models = map[string]*Model{}
		for _, n := range []string{"sts", "iam", "cloudtrail"} {
			m, err := parseModel(n)
			if err != nil {
				modelsErr = err
				return
			}
			models[n] = m
		}
	})
	if modelsErr != nil {
		return nil, modelsErr
	}
	m, ok := models[service]
	if !ok {
		return nil, fmt.Errorf("protocol: no model for service %q", service)
	}
	return m, nil
}

func parseModel(service string) (*Model, error) {
	b, err := modelFS.ReadFile("models/" + service + ".json")
	if err != nil {
		return nil, err
	}
	var raw rawModel
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("protocol: model %s: %w", service, err)
	}
	m := &Model{
		Service:    service,
		Version:    raw.Metadata.APIVersion,
		XMLNS:      raw.Metadata.XMLNamespace,
		Operations: map[string]*Operation{},
		shapes:     map[string]*Shape{},
	}
	var resolve func(name string) (*Shape, error)
	resolve = func(name string) (*Shape, error) {
		if s, ok := m.shapes[name]; ok {
			return s, nil
		}
		rm, ok := raw.Shapes[name]
		if !ok {
			return nil, fmt.Errorf("protocol: model %s: unknown shape %q", service, name)
		}
		var rs rawShape
		if err := json.Unmarshal(rm, &rs); err != nil {
			return nil, fmt.Errorf("protocol: model %s: shape %s: %w", service, name, err)
		}
		s := &Shape{Name: name, Type: rs.Type, Required: rs.Required, Min: rs.Min, Max: rs.Max, Enum: rs.Enum, Sensitive: rs.Sensitive, PatternS: rs.Pattern}
		m.shapes[name] = s // before recursing: shapes may be recursive
		if rs.Pattern != "" {
			s.Pattern = compileJavaPattern(rs.Pattern)
		}
		for _, mem := range rs.Members {
			ms, err := resolve(mem.Shape)
			if err != nil {
				return nil, err
			}
			s.Members = append(s.Members, Member{Name: mem.Name, Shape: ms})
		}
		if rs.Member != nil {
			if s.Member, err = resolve(rs.Member.Shape); err != nil {
				return nil, err
			}
		}
		if rs.Key != nil {
			if s.Key, err = resolve(rs.Key.Shape); err != nil {
				return nil, err
			}
			if s.Val, err = resolve(rs.Value.Shape); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	for name, op := range raw.Operations {
		o := &Operation{Name: name}
		if op.Input != nil {
			s, err := resolve(op.Input.Shape)
			if err != nil {
				return nil, err
			}
			o.Input = s
		}
		if op.Output != nil {
			o.Output = op.Output.Shape
		}
		m.Operations[name] = o
	}
	return m, nil
}

var javaUnicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// compileJavaPattern turns a model pattern (Java regex syntax, matched
// against the whole value) into RE2. Patterns RE2 cannot express (lookahead)
// yield nil and are not enforced.
func compileJavaPattern(p string) *regexp.Regexp {
	q := javaUnicodeEscape.ReplaceAllString(p, `\x{$1}`)
	re, err := regexp.Compile(`^(?:` + q + `)$`)
	if err != nil {
		return nil
	}
	return re
}
