package sigv4

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clientVector is one request captured from a real AWS client.
type clientVector struct {
	Client      string `json:"client"`
	Case        string `json:"case"`
	Credentials struct {
		AccessKeyID     string  `json:"access_key_id"`
		SecretAccessKey string  `json:"secret_access_key"`
		SessionToken    *string `json:"session_token"`
	} `json:"credentials"`
	Region     string `json:"region"`
	Service    string `json:"service"`
	CapturedAt string `json:"captured_at"`
	RawHead    string `json:"raw_head"`
	Body       string `json:"body"`
	URL        string `json:"url"`
}

func loadClientVectors(t testing.TB) []clientVector {
	root := vectorsPath(t, "clients")
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []clientVector
	for _, f := range files {
		var v clientVector
		if err := json.Unmarshal([]byte(readFile(t, f)), &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if v.RawHead == "" {
			continue
		}
		vs = append(vs, v)
	}
	if len(vs) != 160 {
		t.Fatalf("loaded %d client vectors, want 160", len(vs))
	}
	return vs
}

// serverRequest parses the captured bytes exactly as net/http's server does.
func (v clientVector) serverRequest(t testing.TB) *http.Request {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(v.RawHead + v.Body)))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	return r
}

func (v clientVector) verifier(t testing.TB) *Verifier {
	src := mapSource{v.Credentials.AccessKeyID: {secret: v.Credentials.SecretAccessKey}}
	if v.Credentials.SessionToken != nil {
		src[v.Credentials.AccessKeyID] = testKey{secret: v.Credentials.SecretAccessKey, token: *v.Credentials.SessionToken}
	}
	return &Verifier{
		Credentials: src,
		AllowRegion: func(r string) bool { return r == "us-east-1" || r == "eu-west-1" },
		Now:         fixedClock(mustAmzDate(t, v.CapturedAt)),
	}
}

// TestClients verifies every request captured from the aws CLI, boto3, the
// JavaScript SDK v3 and aws-sdk-go-v2, with the clock at captured_at. IAM
// requests from eu-west-1 are scoped to eu-west-1, which is allowed here.
func TestClients(t *testing.T) {
	for _, v := range loadClientVectors(t) {
		t.Run(v.Client+"/"+v.Case, func(t *testing.T) {
			r := v.serverRequest(t)
			res, err := v.verifier(t).Verify(context.Background(), r, v.Service, []byte(v.Body))
			if err != nil {
				var e *Error
				if errorsAs(err, &e) {
					t.Fatalf("Verify = %v\ncanonical request:\n%s", err, e.CanonicalRequest)
				}
				t.Fatalf("Verify = %v", err)
			}
			if res.AccessKeyID != v.Credentials.AccessKeyID || res.Region != v.Region || res.Service != v.Service {
				t.Errorf("Result = %+v", res)
			}
			wantPresigned := strings.Contains(v.URL, "X-Amz-Signature=")
			if res.Presigned != wantPresigned {
				t.Errorf("Presigned = %v, want %v", res.Presigned, wantPresigned)
			}
			if v.Credentials.SessionToken != nil && res.SessionToken != *v.Credentials.SessionToken {
				t.Errorf("SessionToken = %q", res.SessionToken)
			}

			// The wrong service, and a wrong secret, are refused.
			_, err = v.verifier(t).Verify(context.Background(), v.serverRequest(t), "ec2", []byte(v.Body))
			wantErr(t, err, CodeSignatureDoesNotMatch, "Credential should be scoped to correct service: 'ec2'. ")
			vf := v.verifier(t)
			vf.Credentials = mapSource{v.Credentials.AccessKeyID: {secret: "not-the-secret"}}
			_, err = vf.Verify(context.Background(), v.serverRequest(t), v.Service, []byte(v.Body))
			wantErr(t, err, CodeSignatureDoesNotMatch, msgSignatureMismatch)
			if v.Body != "" {
				_, err = v.verifier(t).Verify(context.Background(), v.serverRequest(t), v.Service, []byte(v.Body+"&x=1"))
				wantErr(t, err, CodeSignatureDoesNotMatch, msgSignatureMismatch)
			}
		})
	}
}

// TestDocsExamples verifies the worked examples of the AWS documentation
// (IAM with non-S3 rules, S3 with S3 rules) and checks their canonical
// requests byte for byte.
func TestDocsExamples(t *testing.T) {
	p := filepath.Join(vectorsPath(t, "sigv4", "aws-docs-examples"), "aws-docs-examples.json")
	var doc struct {
		SigningKeyDerivation []struct {
			SecretAccessKey, Date, Region, Service, SigningKeyHex string
		}
		Cases []struct {
			ID                                        string
			Credentials                               struct{ AccessKeyID, SecretAccessKey string }
			Region                                    string
			Service                                   string
			AmzDate                                   string
			Mode                                      string
			Request                                   string
			CanonicalRequest, StringToSign, Signature string
			Authorization                             string
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.SigningKeyDerivation {
		if got := hexString(SigningKey(k.SecretAccessKey, k.Date, k.Region, k.Service)); got != k.SigningKeyHex {
			t.Errorf("SigningKey(%s) = %s, want %s", k.Date, got, k.SigningKeyHex)
		}
	}
	if len(doc.Cases) != 8 {
		t.Fatalf("%d cases, want 8", len(doc.Cases))
	}
	for _, c := range doc.Cases {
		t.Run(c.ID, func(t *testing.T) {
			s3 := c.Service == "s3"
			rr := parseRaw(t, c.Request)
			if c.Mode == "header" {
				rr.headers = append(rr.headers, [2]string{"Authorization", c.Authorization})
			}
			r := rr.httpRequest(t)
			v := &Verifier{
				Credentials: mapSource{c.Credentials.AccessKeyID: {secret: c.Credentials.SecretAccessKey}},
				Now:         fixedClock(mustAmzDate(t, c.AmzDate)),
				S3:          s3,
			}
			res, err := v.Verify(context.Background(), r, c.Service, rr.body)
			if err != nil {
				var e *Error
				if errorsAs(err, &e) {
					t.Fatalf("Verify = %v\ncanonical request:\n%s\nwant:\n%s", err, e.CanonicalRequest, c.CanonicalRequest)
				}
				t.Fatalf("Verify = %v", err)
			}
			if res.Presigned != (c.Mode == "query") {
				t.Errorf("Presigned = %v", res.Presigned)
			}
			// White-box: the canonical request the verifier built.
			r = rr.httpRequest(t)
			var sh string
			if c.Mode == "query" {
				pq, _ := ParsePresigned(r.URL.RawQuery)
				sh = pq.SignedHeaders
			} else {
				a, _ := ParseAuthorization(rr.headerValue("Authorization"), true)
				sh = a.SignedHeaders
			}
			ph := hashHex(rr.body)
			if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
				ph = h
			} else if s3 && c.Mode == "query" {
				ph = unsignedPayload
			}
			if got := CanonicalRequest(r, sh, ph, s3, c.Mode == "query"); got != c.CanonicalRequest {
				t.Errorf("canonical request:\n%s\nwant:\n%s", got, c.CanonicalRequest)
			}
		})
	}
}

func (rr rawRequest) headerValue(name string) string {
	for _, h := range rr.headers {
		if strings.EqualFold(h[0], name) {
			return strings.TrimLeft(h[1], " ")
		}
	}
	return ""
}
