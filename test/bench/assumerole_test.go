package bench

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/sigv4"
)

// signedFor returns the bytes of a signed query-protocol POST with body.
func signedFor(b *testing.B, addr string, c sigv4.Credentials, service, body string) []byte {
	return wire(b, newSigned(b, addr, c, service, body, formHeaders))
}

// do sends one signed request and fails unless it answers 200; it returns
// the response body.
func do(b *testing.B, addr string, c sigv4.Credentials, service string, params url.Values) []byte {
	b.Helper()
	resp, err := http.DefaultClient.Do(newSigned(b, addr, c, service, params.Encode(), formHeaders))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %s", params.Get("Action"), resp.StatusCode, out)
	}
	return out
}

// assumer creates a user allowed sts:AssumeRole (AWS refuses AssumeRole to
// the root) and returns its key.
func assumer(b *testing.B, addr string, root sigv4.Credentials) sigv4.Credentials {
	b.Helper()
	iamCall := func(kv ...string) []byte {
		v := url.Values{"Version": {"2010-05-08"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return do(b, addr, root, "iam", v)
	}
	iamCall("Action", "CreateUser", "UserName", "bench-assumer")
	iamCall("Action", "PutUserPolicy", "UserName", "bench-assumer", "PolicyName", "assume",
		"PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	var out struct {
		Key struct {
			ID     string `xml:"AccessKeyId"`
			Secret string `xml:"SecretAccessKey"`
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal(iamCall("Action", "CreateAccessKey", "UserName", "bench-assumer"), &out); err != nil || out.Key.ID == "" {
		b.Fatalf("CreateAccessKey: %v", err)
	}
	return sigv4.Credentials{AccessKeyID: out.Key.ID, SecretAccessKey: out.Key.Secret}
}

// BenchmarkAssumeRoleHTTP compares AssumeRole (trust policy, sealing,
// response, durable audit and session index) with GetCallerIdentity on the
// same server, over loopback; the target is AssumeRole ≥ 0.25× the request
// rate of GetCallerIdentity ("ar/gci-rps").
//
// AssumeRole's response waits for its audit event's group commit (write
// and fsync of the audit file), so with few requests in flight its rate
// measures the disk's fsync latency, not the server: "conns=8" shows that,
// "conns=32" the rate the server sustains. The two calls take turns in
// short rounds (order alternating), so load from other processes falls on
// both alike.
func BenchmarkAssumeRoleHTTP(b *testing.B) {
	addr, creds, _ := startApp(b)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + "arn:aws:iam::" + accountOf(b, creds) + `:root"},"Action":"sts:AssumeRole"}]}`
	do(b, addr, creds, "iam", url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"bench"}, "AssumeRolePolicyDocument": {trust}})
	roleARN := "arn:aws:iam::" + accountOf(b, creds) + ":role/bench"
	gci := signedFor(b, addr, creds, "sts", gciBody)
	ar := signedFor(b, addr, assumer(b, addr, creds), "sts", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN}, "RoleSessionName": {"bench"}}.Encode())
	for _, conns := range []int{8, 32} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			serveProcs(b) // here: the testing package resets GOMAXPROCS for each run
			const rounds = 10
			per := max(b.N/rounds, 50)
			var gciT, arT time.Duration
			b.ResetTimer()
			alternate(rounds, func() { gciT += replay(b, addr, gci, 4*per, conns) }, func() { arT += replay(b, addr, ar, per, conns) })
			b.StopTimer()
			n := float64(rounds * per)
			b.ReportMetric(float64(gciT.Nanoseconds())/(4*n), "gci-ns/op")
			b.ReportMetric(float64(arT.Nanoseconds())/n, "ar-ns/op")
			b.ReportMetric(float64(gciT)/4/float64(arT), "ar/gci-rps")
		})
	}
}
