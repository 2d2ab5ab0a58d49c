package sigv4

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	suiteKeyID  = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteDate   = "20150830T123600Z"
)

// suiteCase is one aws-c-auth v4 case (or botocore case) in one form.
type suiteCase struct {
	name      string
	dir       string
	s3        bool   // normalize: false
	omitToken bool   // token added after signing
	signed    string // signed request text
	creq, sts string // expected canonical request and string to sign
	signature string // expected signature ("" if only in the request)
	presigned bool
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// awsCAuthCases loads every aws-c-auth v4 case, header and query form.
func awsCAuthCases(t testing.TB) []suiteCase {
	root := vectorsPath(t, "sigv4", "aws-c-auth", "aws-signing-test-suite", "v4")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []suiteCase
	for _, d := range dirs {
		dir := filepath.Join(root, d.Name())
		var ctx struct {
			Normalize        bool   `json:"normalize"`
			OmitSessionToken bool   `json:"omit_session_token"`
			Region           string `json:"region"`
			Service          string `json:"service"`
			Timestamp        string `json:"timestamp"`
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "context.json"))), &ctx); err != nil {
			t.Fatal(err)
		}
		if ctx.Region != "us-east-1" || ctx.Service != "service" || ctx.Timestamp != "2015-08-30T12:36:00Z" {
			t.Fatalf("%s: unexpected context %+v", d.Name(), ctx)
		}
		for _, form := range []string{"header", "query"} {
			cases = append(cases, suiteCase{
				name:      d.Name() + "/" + form,
				dir:       dir,
				s3:        !ctx.Normalize,
				omitToken: ctx.OmitSessionToken,
				signed:    readFile(t, filepath.Join(dir, form+"-signed-request.txt")),
				creq:      readFile(t, filepath.Join(dir, form+"-canonical-request.txt")),
				sts:       readFile(t, filepath.Join(dir, form+"-string-to-sign.txt")),
				signature: strings.TrimSpace(readFile(t, filepath.Join(dir, form+"-signature.txt"))),
				presigned: form == "query",
			})
		}
	}
	if len(cases) != 76 {
		t.Fatalf("loaded %d aws-c-auth v4 vectors, want 76", len(cases))
	}
	return cases
}

// botocoreCases loads every botocore (2015 suite) case.
func botocoreCases(t testing.TB) []suiteCase {
	root := vectorsPath(t, "sigv4", "botocore", "aws4_testsuite")
	var cases []suiteCase
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sreq") {
			return err
		}
		base := strings.TrimSuffix(p, ".sreq")
		rel, _ := filepath.Rel(root, base)
		// The .authz file is authoritative: upstream's
		// get-vanilla-with-session-token.sreq carries get-vanilla's
		// signature, while its .authz matches its .creq and .sts.
		authz := strings.TrimSpace(readFile(t, base+".authz"))
		lines := strings.Split(readFile(t, p), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Authorization:") {
				lines[i] = "Authorization: " + authz
			}
		}
		cases = append(cases, suiteCase{
			name:      "botocore/" + filepath.ToSlash(filepath.Dir(rel)),
			dir:       filepath.Dir(p),
			signed:    strings.Join(lines, "\n"),
			signature: authz[strings.LastIndex(authz, "=")+1:],
			creq:      readFile(t, base+".creq"),
			sts:       readFile(t, base+".sts"),
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 34 {
		t.Fatalf("loaded %d botocore vectors, want 34", len(cases))
	}
	return cases
}

func allSuiteCases(t testing.TB) []suiteCase {
	return append(awsCAuthCases(t), botocoreCases(t)...)
}

func suiteVerifier(s3 bool, now time.Time) *Verifier {
	return &Verifier{
		Credentials: mapSource{suiteKeyID: {secret: suiteSecret}},
		AllowRegion: func(r string) bool { return r == "us-east-1" },
		Now:         fixedClock(now),
		S3:          s3,
	}
}

// suiteRequest parses the signed request text. For S3-rules presigned cases it
// adds an (unsigned) X-Amz-Content-Sha256 of the empty body: aws-c-auth signs
// the body hash where S3 would expect UNSIGNED-PAYLOAD.
func (c suiteCase) request(t testing.TB, text string) (*http.Request, []byte) {
	rr := parseRaw(t, text)
	r := rr.httpRequest(t)
	if c.s3 && c.presigned {
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	}
	return r, rr.body
}

// TestSuiteCanonical checks, white-box, that the canonical request, string to
// sign and signature equal the suite's files byte for byte.
func TestSuiteCanonical(t *testing.T) {
	for _, c := range allSuiteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			rr := parseRaw(t, c.signed)
			r := rr.httpRequest(t)
			var signedHeaders, sig string
			if c.presigned {
				p, ok := ParsePresigned(r.URL.RawQuery)
				if !ok {
					t.Fatal("not presigned")
				}
				signedHeaders, sig = p.SignedHeaders, p.Signature
				if c.omitToken {
					r.URL.RawQuery = removeParam(r.URL.RawQuery, "X-Amz-Security-Token")
				}
			} else {
				a, err := ParseAuthorization(r.Header.Get("Authorization"), true)
				if err != nil {
					t.Fatal(err)
				}
				signedHeaders, sig = a.SignedHeaders, a.Signature
			}
			ph := hashHex(rr.body)
			if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
				ph = v
			}
			creq := CanonicalRequest(r, signedHeaders, ph, c.s3, c.presigned)
			if creq != c.creq {
				t.Fatalf("canonical request:\n%s\nwant:\n%s", creq, c.creq)
			}
			sts := StringToSign(suiteDate, "us-east-1", "service", creq)
			if sts != c.sts {
				t.Fatalf("string to sign:\n%s\nwant:\n%s", sts, c.sts)
			}
			got := Signature(SigningKey(suiteSecret, "20150830", "us-east-1", "service"), sts)
			if got != sig || c.signature != "" && got != c.signature {
				t.Fatalf("signature = %s, want %s (%s)", got, sig, c.signature)
			}
		})
	}
}

func removeParam(q, name string) string {
	var out []string
	for _, p := range strings.Split(q, "&") {
		if !strings.HasPrefix(p, name+"=") {
			out = append(out, p)
		}
	}
	return strings.Join(out, "&")
}

// TestSuiteVerify verifies every signed suite request, and tampered copies of
// it fail with the right code and exact message.
func TestSuiteVerify(t *testing.T) {
	now := mustAmzDate(t, suiteDate)
	for _, c := range allSuiteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			r, body := c.request(t, c.signed)
			res, err := suiteVerifier(c.s3, now).Verify(ctx, r, "service", body)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if res.AccessKeyID != suiteKeyID || res.Region != "us-east-1" || res.Service != "service" ||
				!res.SigningTime.Equal(now) || res.Presigned != c.presigned || res.Principal != suiteKeyID {
				t.Errorf("Result = %+v", res)
			}
			for _, tc := range tamperings(t, c) {
				t.Run(tc.name, func(t *testing.T) {
					r, body := c.request(t, tc.text)
					if tc.body != nil {
						body = tc.body
					}
					_, err := suiteVerifier(c.s3, now.Add(tc.shift)).Verify(ctx, r, "service", body)
					wantErr(t, err, tc.code, tc.msg)
				})
			}
		})
	}
}

type tampering struct {
	name      string
	text      string
	body      []byte
	shift     time.Duration
	code, msg string
}

func tamperings(t testing.TB, c suiteCase) []tampering {
	text := c.signed
	mismatch := func(name, text string) tampering {
		return tampering{name: name, text: text, code: CodeSignatureDoesNotMatch, msg: msgSignatureMismatch}
	}
	sep := "/" // credential separator as it appears in the text
	if c.presigned {
		sep = "%2F"
	}
	cred := suiteKeyID + sep + "20150830" + sep + "us-east-1" + sep + "service" + sep + "aws4_request"
	scoped := func(name, replacement, msg string) tampering {
		if !strings.Contains(text, cred) {
			t.Fatalf("credential %q not found", cred)
		}
		return tampering{name: name, text: strings.Replace(text, cred, replacement, 1), code: CodeSignatureDoesNotMatch, msg: msg}
	}
	sigAt := strings.Index(text, "Signature=") + len("Signature=")
	flipped := text[:sigAt] + string("10"[min(1, strings.IndexByte("0", text[sigAt])+1)]) + text[sigAt+1:]
	if flipped[sigAt] == text[sigAt] {
		flipped = text[:sigAt] + "f" + text[sigAt+1:]
	}
	out := []tampering{
		mismatch("signature-digit", flipped),
		mismatch("host-value", strings.Replace(text, "example.amazonaws.com", "example.amazonaws.org", 1)),
		scoped("scope-region", strings.Replace(cred, "us-east-1", "eu-west-9", 1),
			"Credential should be scoped to a valid region, not 'eu-west-9'. "),
		scoped("scope-service", strings.Replace(cred, sep+"service"+sep, sep+"sts"+sep, 1),
			"Credential should be scoped to correct service: 'service'. "),
		scoped("scope-terminator", strings.Replace(cred, "aws4_request", "x", 1),
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. "),
		scoped("scope-date", strings.Replace(cred, "20150830", "20150831", 1),
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."),
		{name: "clock+16m", text: text, shift: 16 * time.Minute, code: CodeSignatureDoesNotMatch,
			msg: "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"},
		{name: "clock-16m", text: text, shift: -16 * time.Minute, code: CodeSignatureDoesNotMatch,
			msg: "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)"},
	}
	if c.presigned && c.s3 {
		// S3 honours X-Amz-Expires (3600 s) instead of the skew window.
		out[6] = tampering{name: "clock+61m", text: text, shift: 61 * time.Minute, code: CodeAccessDenied, msg: msgRequestExpired}
	}
	// A signed header other than host and the date: change it, then drop it.
	lines := strings.Split(text, "\n")
	signed := signedHeaderNames(t, c, text)
	dropped := false
	for i, l := range lines[1:] {
		k, _, ok := strings.Cut(l, ":")
		lk := strings.ToLower(k)
		if !ok || lk == "host" || lk == "x-amz-date" || lk == "authorization" || !signed[lk] {
			continue
		}
		changed := append([]string(nil), lines...)
		changed[i+1] = l + "x"
		without := append(append([]string(nil), lines[:i+1]...), lines[i+2:]...)
		out = append(out,
			mismatch("change-"+lk, strings.Join(changed, "\n")),
			mismatch("drop-"+lk, strings.Join(without, "\n")))
		dropped = true
		break
	}
	if !dropped && c.presigned {
		// Only host is signed: drop the Host header.
		var kept []string
		for _, l := range lines {
			if !strings.HasPrefix(strings.ToLower(l), "host:") {
				kept = append(kept, l)
			}
		}
		out = append(out, mismatch("drop-host", strings.Join(kept, "\n")))
	}
	if !c.presigned {
		// Dropping the date header: AWS names it in IncompleteSignature.
		var auth string
		var kept []string
		for _, l := range lines {
			k, v, _ := strings.Cut(l, ":")
			switch strings.ToLower(k) {
			case "x-amz-date":
				continue
			case "authorization":
				auth = strings.TrimLeft(v, " ")
			}
			kept = append(kept, l)
		}
		out = append(out, tampering{name: "drop-x-amz-date", text: strings.Join(kept, "\n"), code: CodeIncompleteSignature,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth})
	}
	if len(c.signed) > 0 && strings.Contains(c.signed, "\n\n") && !c.presigned {
		if _, body, _ := strings.Cut(strings.ReplaceAll(c.signed, "\r\n", "\n"), "\n\n"); body != "" {
			out = append(out, tampering{name: "body", text: text, body: []byte(body + "x"),
				code: CodeSignatureDoesNotMatch, msg: msgSignatureMismatch})
		}
	}
	return out
}

func signedHeaderNames(t testing.TB, c suiteCase, text string) map[string]bool {
	rr := parseRaw(t, text)
	r := rr.httpRequest(t)
	var list string
	if c.presigned {
		p, _ := ParsePresigned(r.URL.RawQuery)
		list = p.SignedHeaders
	} else {
		a, _ := ParseAuthorization(r.Header.Get("Authorization"), true)
		list = a.SignedHeaders
	}
	m := map[string]bool{}
	for _, h := range strings.Split(list, ";") {
		m[h] = true
	}
	return m
}
