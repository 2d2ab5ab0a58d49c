package gateway

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig("gw.yaml", []byte(`
routes:
  - name: orders
    upstream: http://127.0.0.1:9000
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Routes) != 1 {
		t.Fatalf("got %d routes, want 1", len(cfg.Routes))
	}
	r := cfg.Routes[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"PathPrefix", r.PathPrefix, "/"},
		{"Service", r.Service, DefaultService},
		{"Stage", r.Stage, DefaultStage},
		{"Action", r.Action, DefaultAction},
		{"Resource", r.Resource, DefaultResource},
		{"Payload", r.Payload, PayloadSigned},
		{"MaxBody", r.MaxBody, int64(DefaultMaxBody)},
		{"MaxClockSkew", r.MaxClockSkew, DefaultMaxClockSkew},
		{"APIID", r.APIID, "orders"},
		{"Upstream", r.Upstream.String(), "http://127.0.0.1:9000"},
		{"ForwardCredentials", r.ForwardCredentials, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseConfigEveryField(t *testing.T) {
	cfg, err := ParseConfig("gw.yaml", []byte(`
routes:
  - name: files
    hosts: [files.example.com, "*.files.example.com"]
    path_prefix: /bucket/
    methods: [get, PUT]
    upstream: https://upstream.example.com/base
    strip_prefix: true
    service: s3
    api_id: abc123
    stage: prod
    action: s3:GetObject
    resource: "arn:aws:s3:::bucket{path}"
    payload: streaming
    max_body: 2MiB
    max_clock_skew: 15m
    forward_credentials: true
    resource_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: "s3:GetObject"
          Resource: "*"
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Routes[0]
	if got := strings.Join(r.Methods, ","); got != "GET,PUT" {
		t.Errorf("Methods = %s, want GET,PUT (upper-cased)", got)
	}
	if len(r.Hosts) != 2 || r.PathPrefix != "/bucket/" || !r.StripPrefix || r.Service != "s3" || r.APIID != "abc123" ||
		r.Stage != "prod" || r.Action != "s3:GetObject" || r.Payload != PayloadStreaming || r.MaxBody != 2<<20 ||
		r.MaxClockSkew != 15*time.Minute || !r.ForwardCredentials || r.ResourcePolicy == nil {
		t.Errorf("route not parsed as written: %+v", r)
	}
}

// TestParseConfigProblems holds each refusal with its line, and that every
// problem of a file is reported at once.
func TestParseConfigProblems(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"empty file", ``, []string{"gw.yaml:0: no routes"}},
		{"not a mapping", `- a`, []string{"gw.yaml:1: want a mapping with a routes list"}},
		{"unknown top-level field", "routes:\n  - name: a\nextra: 1\n", []string{`gw.yaml:3: unknown field "extra"`}},
		{"empty routes", "routes: []\n", []string{"gw.yaml:1: routes: want a non-empty list"}},
		{"route not a mapping", "routes:\n  - just-a-string\n", []string{"gw.yaml:2: routes[0]: want a mapping"}},
		{"missing name", "routes:\n  - path_prefix: /a\n", []string{"routes[0].name: required"}},
		{"duplicate name", "routes:\n  - name: a\n  - name: a\n", []string{`gw.yaml:3: routes[1].name "a": already used by the route on line 2`}},
		{"field twice", "routes:\n  - name: a\n    stage: x\n    stage: y\n", []string{"gw.yaml:4: routes[0].stage: given twice"}},
		{"unknown route field", "routes:\n  - name: a\n    colour: blue\n", []string{`gw.yaml:3: routes[0]: unknown field "colour"`}},
		{"bad host wildcard", "routes:\n  - name: a\n    hosts: [\"a*.example.com\"]\n", []string{"want an exact host or *.suffix"}},
		{"bad host wildcard without dot", "routes:\n  - name: a\n    hosts: [\"*example.com\"]\n", []string{"want an exact host or *.suffix"}},
		{"path prefix without slash", "routes:\n  - name: a\n    path_prefix: api\n", []string{`path_prefix "api": must start with /`}},
		{"bad method", "routes:\n  - name: a\n    methods: [FETCH]\n", []string{`methods "FETCH": not an HTTP method`}},
		{"methods not a list", "routes:\n  - name: a\n    methods: GET\n", []string{"routes[0].methods: want a list"}},
		{"empty list entry", "routes:\n  - name: a\n    methods: [\"\"]\n", []string{"want non-empty strings"}},
		{"upstream scheme", "routes:\n  - name: a\n    upstream: ftp://x\n", []string{"want an http:// or https:// URL without query"}},
		{"upstream query", "routes:\n  - name: a\n    upstream: http://x/?a=1\n", []string{"want an http:// or https:// URL without query"}},
		{"upstream without host", "routes:\n  - name: a\n    upstream: http:///path\n", []string{"want an http:// or https:// URL without query"}},
		{"bad bool", "routes:\n  - name: a\n    strip_prefix: maybe\n", []string{"routes[0].strip_prefix: want true or false"}},
		{"empty service", "routes:\n  - name: a\n    service: \"\"\n", []string{"routes[0].service: must not be empty"}},
		{"action without colon", "routes:\n  - name: a\n    action: Invoke\n", []string{`action "Invoke": want service:Action`}},
		{"action empty part", "routes:\n  - name: a\n    action: \"execute-api:\"\n", []string{"want service:Action"}},
		{"unknown template variable", "routes:\n  - name: a\n    resource: \"arn:{user}\"\n", []string{"unknown variable {user}"}},
		{"unclosed template", "routes:\n  - name: a\n    resource: \"arn:{path\"\n", []string{"unclosed {"}},
		{"bad payload", "routes:\n  - name: a\n    payload: chunked\n", []string{`payload "chunked": want signed, unsigned-allowed or streaming`}},
		{"zero size", "routes:\n  - name: a\n    max_body: 0\n", []string{"want a positive size"}},
		{"size over the cap", "routes:\n  - name: a\n    max_body: 2GiB\n", []string{"at most 1073741824 bytes"}},
		{"size overflow", "routes:\n  - name: a\n    max_body: 9223372036854775807GiB\n", []string{"at most 1073741824 bytes"}},
		{"skew zero", "routes:\n  - name: a\n    max_clock_skew: 0s\n", []string{"want a duration above 0 and at most 24h"}},
		{"skew too long", "routes:\n  - name: a\n    max_clock_skew: 25h\n", []string{"want a duration above 0 and at most 24h"}},
		{"bad policy", "routes:\n  - name: a\n    resource_policy: \"{not json\"\n", []string{"gw.yaml:3: routes[0].resource_policy:"}},
		{"every problem at once", "routes:\n  - name: a\n    payload: x\n  - stage: y\n", []string{"gw.yaml:3: routes[0].payload", "routes[1].name: required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig("gw.yaml", []byte(c.file))
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseConfigRouteLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("routes:\n")
	for i := 0; i <= maxRoutes; i++ {
		b.WriteString("  - name: r")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\n")
	}
	if _, err := ParseConfig("gw.yaml", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "at most 1000 routes") {
		t.Fatalf("%d routes: err = %v, want the route limit", maxRoutes+1, err)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"10MiB", 10 << 20, true},
		{"512KiB", 512 << 10, true},
		{"1GiB", 1 << 30, true},
		{"1GB", 1e9, true},
		{"3MB", 3e6, true},
		{"7KB", 7e3, true},
		{"100B", 100, true},
		{" 4 MiB ", 4 << 20, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1", 0, false},
		{"1.5MiB", 0, false},
		{"2GiB", 0, false},
		{"1073741825", 0, false},
		{"10TiB", 0, false},
	}
	for _, c := range cases {
		got, err := parseSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestMaskAccount(t *testing.T) {
	cases := []struct{ in, want string }{
		{"arn:aws:execute-api:us-east-1:123456789012:abc/default/GET/x", "arn:aws:execute-api:us-east-1:********9012:abc/default/GET/x"},
		{"arn:aws:execute-api:us-east-1:12345:abc/default/GET/x", "arn:aws:execute-api:us-east-1:12345:abc/default/GET/x"},
		{"arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket/key"},
		{"not an arn", "not an arn"},
	}
	for _, c := range cases {
		if got := maskAccount(c.in); got != c.want {
			t.Errorf("maskAccount(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzParseConfig holds that the route file parser never panics and that
// whatever it accepts is a usable route set.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("routes:\n  - name: a\n    upstream: http://127.0.0.1:1\n"))
	f.Add([]byte("routes:\n  - name: a\n    max_body: 1GiB\n    resource: \"arn:{path}\"\n    resource_policy: '{\"Version\":\"2012-10-17\",\"Statement\":[]}'\n"))
	f.Add([]byte("routes: [{name: a, hosts: ['*.x'], methods: [get]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxConfigBytes {
			return
		}
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			return
		}
		if len(cfg.Routes) == 0 || len(cfg.Routes) > maxRoutes {
			t.Fatalf("accepted %d routes", len(cfg.Routes))
		}
		for _, r := range cfg.Routes {
			if r.Name == "" || r.APIID == "" || !strings.HasPrefix(r.PathPrefix, "/") || r.MaxBody <= 0 || r.MaxBody > maxMaxBody || r.MaxClockSkew <= 0 {
				t.Fatalf("accepted an unusable route: %+v", r)
			}
		}
	})
}
