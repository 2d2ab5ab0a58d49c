package protocol

import (
	"flag"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/castellan-sts/castellan/internal/awserr"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustModel(t testing.TB, name string) *Model {
	t.Helper()
	m, err := LoadModel(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidateMessages(t *testing.T) {
	sts := mustModel(t, "sts")
	iam := mustModel(t, "iam")
	tests := []struct {
		name  string
		model *Model
		op    string
		query string
		want  string // "" = valid
	}{
		{"valid assume role", sts, "AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/demo&RoleSessionName=s1", ""},
		// Recorded from AWS (vectors/aws-recorded/localstack sts snapshot).
		{"session name pattern", sts, "AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/demo&RoleSessionName=Session1:2",
			`1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"missing required", sts, "AssumeRole", "RoleSessionName=s1",
			"1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"two errors", sts, "AssumeRole", "RoleSessionName=s1&DurationSeconds=100",
			"2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; " +
				"Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"session name length", sts, "AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/demo&RoleSessionName=s",
			"1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"enum", iam, "UpdateAccessKey", "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Sleeping",
			"1 validation error detected: Value 'Sleeping' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"nested tag", iam, "CreateUser", "UserName=bob&Tags.member.1.Key=&Tags.member.1.Value=v",
			"2 validation errors detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				`Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"unicode escape pattern", sts, "AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/demo&RoleSessionName=s1&Policy=%7B%7D", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.model.Validate(tc.op, NewParams(v))
			got := ""
			if err != nil {
				e, ok := awserr.As(err)
				if !ok || e.Code != awserr.ValidationError {
					t.Fatalf("Validate = %v, want ValidationError", err)
				}
				got = e.Message
			}
			if got != tc.want {
				t.Errorf("Validate(%s, %q)\n got %q\nwant %q", tc.op, tc.query, got, tc.want)
			}
		})
	}
}

type tag struct{ Key, Value string }

type decodeTarget struct {
	UserName string
	Path     *string
	Duration *int32 `query:"DurationSeconds"`
	Flag     bool
	Tags     []tag
	ARNs     []string `query:"PolicyArns"`
	When     time.Time
	Blob     []byte
	Ctx      map[string]string
	Empty    []string
	Ignored  string `query:"-"`
}

func TestDecode(t *testing.T) {
	v, _ := url.ParseQuery("UserName=alice&Path=%2Fa%2F&DurationSeconds=900&Flag=true&Tags.member.1.Key=k1&Tags.member.1.Value=v1" +
		"&Tags.member.2.Key=k2&Tags.member.2.Value=&PolicyArns.member.1=arn1&When=2026-11-26T10:00:00Z&Blob=aGk%3D" +
		"&Ctx.entry.1.key=a&Ctx.entry.1.value=b&Empty=&Ignored=x")
	var got decodeTarget
	if err := Decode(NewParams(v), &got); err != nil {
		t.Fatal(err)
	}
	path, d := "/a/", int32(900)
	want := decodeTarget{UserName: "alice", Path: &path, Duration: &d, Flag: true,
		Tags: []tag{{"k1", "v1"}, {"k2", ""}}, ARNs: []string{"arn1"}, When: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		Blob: []byte("hi"), Ctx: map[string]string{"a": "b"}, Empty: []string{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}
	var bad decodeTarget
	v2, _ := url.ParseQuery("DurationSeconds=abc")
	if err := Decode(NewParams(v2), &bad); err == nil {
		t.Error("Decode(DurationSeconds=abc) = nil, want error")
	}
}

// TestErrorGolden pins the bytes of every error form.
func TestErrorGolden(t *testing.T) {
	e := awserr.New(awserr.InvalidClientTokenID)
	tests := []struct {
		name string
		kind Kind
		err  *awserr.Error
	}{
		{"query-invalid-client-token-id.xml", Query, e},
		{"query-json-invalid-client-token-id.json", QueryJSON, e},
		{"json-invalid-client-token-id.json", JSON, e},
		{"json-expired-token.json", JSON, awserr.New(awserr.ExpiredToken)},
		{"query-escaping.xml", Query, awserr.Errorf(awserr.ValidationError, "Value '<a&b>' is bad")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, tc.kind, "https://sts.amazonaws.com/doc/2011-06-15/", "11111111-2222-4333-8444-555555555555", tc.err)
			got := []byte(w.Result().Status + "\n" + "Content-Type: " + w.Header().Get("Content-Type") + "\n" +
				"x-amzn-ErrorType: " + w.Header().Get("x-amzn-ErrorType") + "\n\n" + w.Body.String() + "\n")
			path := filepath.Join("testdata", "golden", tc.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("golden mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type gciResult struct {
	UserID  string `xml:"UserId" json:"UserId"`
	Account string
	Arn     string
}

func TestQueryResultGolden(t *testing.T) {
	for _, kind := range []Kind{Query, QueryJSON} {
		w := httptest.NewRecorder()
		if err := WriteQueryResult(w, kind, "https://sts.amazonaws.com/doc/2011-06-15/", "GetCallerIdentity", "11111111-2222-4333-8444-555555555555",
			&gciResult{"123456789012", "123456789012", "arn:aws:iam::123456789012:root"}); err != nil {
			t.Fatal(err)
		}
		name := map[Kind]string{Query: "result-gci.xml", QueryJSON: "result-gci.json"}[kind]
		got := []byte(w.Body.String() + "\n")
		path := filepath.Join("testdata", "golden", name)
		if *update {
			_ = os.WriteFile(path, got, 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// FuzzParams feeds arbitrary query strings through indexing, validation
// and decoding: nothing may panic or loop.
func FuzzParams(f *testing.F) {
	f.Add("Action=AssumeRole&RoleArn=x&Tags.member.1.Key=a&Tags.member.1.Value=b")
	f.Add("Tags.member.999.Key=a&Tags.member.1=x&Tags=")
	f.Add("PolicyArns.member.1.arn=%ZZ&DurationSeconds=99999999999999999999")
	sts := mustModel(f, "sts")
	iam := mustModel(f, "iam")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		p := NewParams(v)
		_ = sts.Validate("AssumeRole", p)
		_ = iam.Validate("CreateUser", p)
		var d decodeTarget
		_ = Decode(p, &d)
	})
}
