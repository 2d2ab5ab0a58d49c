package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/castellan-sts/castellan/policy"
)

// Payload says which x-amz-content-sha256 forms a route accepts.
type Payload string

// Payload modes.
const (
	// PayloadSigned accepts only a signed body: the hex SHA-256 of the body,
	// or no x-amz-content-sha256 header (then the body is hashed into the
	// canonical request).
	PayloadSigned Payload = "signed"
	// PayloadUnsignedAllowed also accepts UNSIGNED-PAYLOAD.
	PayloadUnsignedAllowed Payload = "unsigned-allowed"
	// PayloadStreaming also accepts aws-chunked bodies
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER],
	// STREAMING-UNSIGNED-PAYLOAD-TRAILER) and UNSIGNED-PAYLOAD.
	PayloadStreaming Payload = "streaming"
)

// Route is one entry of the gateway configuration file.
type Route struct {
	Name               string
	Hosts              []string
	PathPrefix         string
	Methods            []string
	Upstream           *url.URL // nil when the file gives none (only /authorize may use the route)
	StripPrefix        bool
	Service            string
	APIID              string
	Stage              string
	Action             string
	Resource           string // template
	ResourcePolicy     *policy.Policy
	Payload            Payload
	MaxBody            int64
	MaxClockSkew       time.Duration
	ForwardCredentials bool
}

// Config is a parsed gateway configuration file.
type Config struct {
	Routes []*Route
}

// File defaults (the contract of the configuration file).
const (
	DefaultService  = "execute-api"
	DefaultStage    = "default"
	DefaultAction   = "execute-api:Invoke"
	DefaultResource = "arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}{path}"
	// DefaultMaxBody is API Gateway's payload limit.
	DefaultMaxBody = 10 << 20
	// DefaultMaxClockSkew is API Gateway's signing window (not STS's 15m).
	DefaultMaxClockSkew = 5 * time.Minute
)

// LoadConfig reads and parses the configuration file at path. Every problem
// is reported in the one error, each prefixed with path:line.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("%s: the file is larger than %d bytes", path, maxConfigBytes)
	}
	return ParseConfig(path, b)
}

// ParseConfig parses a configuration file's contents; name prefixes the
// messages.
func ParseConfig(name string, data []byte) (*Config, error) {
	p := &parser{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg := &Config{}
	if len(doc.Content) == 0 {
		p.errf(&doc, "no routes: the file must have a routes list")
		return nil, p.err()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errf(root, "want a mapping with a routes list")
		return nil, p.err()
	}
	var routes *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "routes":
			routes = v
		default:
			p.errf(k, "unknown field %q (want routes)", k.Value)
		}
	}
	if routes == nil || routes.Kind != yaml.SequenceNode || len(routes.Content) == 0 {
		n := root
		if routes != nil {
			n = routes
		}
		p.errf(n, "routes: want a non-empty list of routes")
		return nil, p.err()
	}
	if len(routes.Content) > maxRoutes {
		p.errf(routes, "routes: at most %d routes", maxRoutes)
	}
	names := map[string]int{}
	for i, rn := range routes.Content {
		r := p.route(i, rn)
		if r == nil {
			continue
		}
		if r.Name != "" {
			if line, dup := names[r.Name]; dup {
				p.errf(rn, "routes[%d].name %q: already used by the route on line %d", i, r.Name, line)
			}
			names[r.Name] = rn.Line
		}
		cfg.Routes = append(cfg.Routes, r)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

type parser struct {
	name string
	errs []error
}

func (p *parser) errf(n *yaml.Node, format string, a ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, n.Line, fmt.Sprintf(format, a...)))
}

func (p *parser) err() error { return errors.Join(p.errs...) }

var validMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func (p *parser) route(i int, n *yaml.Node) *Route {
	at := fmt.Sprintf("routes[%d]", i)
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s: want a mapping", at)
		return nil
	}
	r := &Route{
		PathPrefix: "/", Service: DefaultService, Stage: DefaultStage, Action: DefaultAction,
		Resource: DefaultResource, Payload: PayloadSigned, MaxBody: DefaultMaxBody, MaxClockSkew: DefaultMaxClockSkew,
	}
	var policyNode *yaml.Node
	seen := map[string]bool{}
	str := func(k, v *yaml.Node) (string, bool) {
		if v.Kind != yaml.ScalarNode {
			p.errf(v, "%s.%s: want a string", at, k.Value)
			return "", false
		}
		return v.Value, true
	}
	list := func(k, v *yaml.Node) []string {
		if v.Kind != yaml.SequenceNode {
			p.errf(v, "%s.%s: want a list", at, k.Value)
			return nil
		}
		var out []string
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode || e.Value == "" {
				p.errf(e, "%s.%s: want non-empty strings", at, k.Value)
				continue
			}
			out = append(out, e.Value)
		}
		return out
	}
	boolean := func(k, v *yaml.Node) bool {
		b, err := strconv.ParseBool(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil {
			p.errf(v, "%s.%s: want true or false", at, k.Value)
		}
		return b
	}
	var upstream string
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		if seen[k.Value] {
			p.errf(k, "%s.%s: given twice", at, k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			r.Name, _ = str(k, v)
		case "hosts":
			r.Hosts = list(k, v)
			for _, h := range r.Hosts {
				if strings.Contains(h[min(1, len(h)):], "*") || (strings.HasPrefix(h, "*") && !strings.HasPrefix(h, "*.")) {
					p.errf(v, "%s.hosts %q: want an exact host or *.suffix", at, h)
				}
			}
		case "path_prefix":
			r.PathPrefix, _ = str(k, v)
			if !strings.HasPrefix(r.PathPrefix, "/") {
				p.errf(v, "%s.path_prefix %q: must start with /", at, r.PathPrefix)
			}
		case "methods":
			r.Methods = list(k, v)
			for x, m := range r.Methods {
				r.Methods[x] = strings.ToUpper(m)
				if !validMethods[r.Methods[x]] {
					p.errf(v, "%s.methods %q: not an HTTP method", at, m)
				}
			}
		case "upstream":
			upstream, _ = str(k, v)
			u, err := url.Parse(upstream)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				p.errf(v, "%s.upstream %q: want an http:// or https:// URL without query", at, upstream)
			} else {
				r.Upstream = u
			}
		case "strip_prefix":
			r.StripPrefix = boolean(k, v)
		case "service":
			r.Service, _ = str(k, v)
			if r.Service == "" {
				p.errf(v, "%s.service: must not be empty", at)
			}
		case "api_id":
			r.APIID, _ = str(k, v)
		case "stage":
			r.Stage, _ = str(k, v)
		case "action":
			r.Action, _ = str(k, v)
			if svc, act, ok := strings.Cut(r.Action, ":"); !ok || svc == "" || act == "" {
				p.errf(v, "%s.action %q: want service:Action", at, r.Action)
			}
		case "resource":
			r.Resource, _ = str(k, v)
			if err := checkTemplate(r.Resource); err != nil {
				p.errf(v, "%s.resource: %v", at, err)
			}
		case "resource_policy":
			policyNode = v
		case "payload":
			s, _ := str(k, v)
			switch Payload(s) {
			case PayloadSigned, PayloadUnsignedAllowed, PayloadStreaming:
				r.Payload = Payload(s)
			default:
				p.errf(v, "%s.payload %q: want signed, unsigned-allowed or streaming", at, s)
			}
		case "max_body":
			s, _ := str(k, v)
			b, err := parseSize(s)
			if err != nil {
				p.errf(v, "%s.max_body %q: %v", at, s, err)
			}
			r.MaxBody = b
		case "max_clock_skew":
			s, _ := str(k, v)
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 || d > 24*time.Hour {
				p.errf(v, "%s.max_clock_skew %q: want a duration above 0 and at most 24h", at, s)
			}
			r.MaxClockSkew = d
		case "forward_credentials":
			r.ForwardCredentials = boolean(k, v)
		default:
			p.errf(k, "%s: unknown field %q", at, k.Value)
		}
	}
	if r.Name == "" {
		p.errf(n, "%s.name: required", at)
	}
	if r.APIID == "" {
		r.APIID = r.Name
	}
	if policyNode != nil {
		r.ResourcePolicy = p.resourcePolicy(at, policyNode)
	}
	return r
}

// resourcePolicy compiles a route's resource policy, given as YAML or as a
// JSON string.
func (p *parser) resourcePolicy(at string, n *yaml.Node) *policy.Policy {
	var doc string
	if n.Kind == yaml.ScalarNode {
		doc = n.Value
	} else {
		var v any
		if err := n.Decode(&v); err != nil {
			p.errf(n, "%s.resource_policy: %v", at, err)
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			p.errf(n, "%s.resource_policy: %v", at, err)
			return nil
		}
		doc = string(b)
	}
	pol, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		p.errf(n, "%s.resource_policy: %v", at, err)
		return nil
	}
	return pol
}

// parseSize reads "10MiB", "512KiB", "1GB", "1048576".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			mult, num = u.mult, strings.TrimSpace(strings.TrimSuffix(num, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 10MiB")
	}
	if n > maxMaxBody/mult {
		return 0, fmt.Errorf("at most %d bytes", int64(maxMaxBody))
	}
	return n * mult, nil
}

var templateVars = map[string]bool{"region": true, "account": true, "api_id": true, "stage": true, "method": true, "path": true, "route": true}

func checkTemplate(t string) error {
	rest := t
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return fmt.Errorf("%q: unclosed {", t)
		}
		if v := rest[i+1 : i+j]; !templateVars[v] {
			return fmt.Errorf("%q: unknown variable {%s} (want region, account, api_id, stage, method, path, route)", t, v)
		}
		rest = rest[i+j+1:]
	}
}
