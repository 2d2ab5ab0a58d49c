package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/sigv4"
)

// call is one measured operation: the requests one connection sends for
// one op (CreateUser+DeleteUser is a pair, the others a single request).
type call struct {
	name string
	// short is the call's column label.
	short string
	// op returns the requests of one op on connection conn, signed at now.
	op func(t *target, conn int, now time.Time) ([][]byte, error)
}

const (
	stsVersion = "2011-06-15"
	iamVersion = "2010-05-08"
	benchRole  = "bench"
	benchUser  = "benchuser"
)

// sdkHeaders are the headers aws-sdk-go-v2 adds to a query-protocol POST
// (their size is part of what the server parses).
var sdkHeaders = map[string]string{
	"Content-Type":          "application/x-www-form-urlencoded",
	"Amz-Sdk-Invocation-Id": "0b8b2b4c-6e36-4b5e-9a0a-3d2d6f1e2f11",
	"Amz-Sdk-Request":       "attempt=1; max=3",
	"User-Agent":            "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sts#1.52.0",
}

func single(service string, params func(t *target, conn int) url.Values) func(*target, int, time.Time) ([][]byte, error) {
	return func(t *target, conn int, now time.Time) ([][]byte, error) {
		r, err := signed(t, service, params(t, conn).Encode(), now)
		if err != nil {
			return nil, err
		}
		return [][]byte{r}, nil
	}
}

// calls are the operations bench-e2e measures, in table order.
var calls = []call{
	{name: "GetCallerIdentity", short: "gci", op: single("sts", func(*target, int) url.Values {
		return url.Values{"Action": {"GetCallerIdentity"}, "Version": {stsVersion}}
	})},
	{name: "AssumeRole", short: "ar", op: single("sts", func(t *target, _ int) url.Values {
		return url.Values{"Action": {"AssumeRole"}, "Version": {stsVersion},
			"RoleArn": {"arn:aws:iam::" + t.acct + ":role/" + benchRole}, "RoleSessionName": {"bench"}}
	})},
	{name: "GetSessionToken", short: "gst", op: single("sts", func(*target, int) url.Values {
		return url.Values{"Action": {"GetSessionToken"}, "Version": {stsVersion}}
	})},
	{name: "GetUser", short: "getuser", op: single("iam", func(*target, int) url.Values {
		return url.Values{"Action": {"GetUser"}, "Version": {iamVersion}, "UserName": {benchUser}}
	})},
	{name: "CreateUser+DeleteUser", short: "cud", op: func(t *target, conn int, now time.Time) ([][]byte, error) {
		name := fmt.Sprintf("bench-cd-%d", conn)
		c, err := signed(t, "iam", url.Values{"Action": {"CreateUser"}, "Version": {iamVersion}, "UserName": {name}}.Encode(), now)
		if err != nil {
			return nil, err
		}
		d, err := signed(t, "iam", url.Values{"Action": {"DeleteUser"}, "Version": {iamVersion}, "UserName": {name}}.Encode(), now)
		return [][]byte{c, d}, err
	}},
}

// signed returns the wire bytes of a query-protocol POST of body, signed
// with the target's root key. The bare server gets a GetCallerIdentity
// signed with a made-up key, so its requests are the same size.
func signed(t *target, service, body string, now time.Time) ([]byte, error) {
	host := "127.0.0.1"
	if len(t.procs) > 0 {
		host = t.procs[0].addr
	}
	r, err := http.NewRequest(http.MethodPost, "http://"+host+"/", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range sdkHeaders {
		r.Header.Set(k, v)
	}
	creds := t.creds
	if t.assumer.AccessKeyID != "" && strings.HasPrefix(body, "Action=AssumeRole&") {
		creds = t.assumer
	}
	if t.bare {
		creds = sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	}
	if err := sigv4.Sign(r, []byte(body), creds, "us-east-1", service, now); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// do sends one request to the target's first node and returns the body,
// failing unless it answers 200.
func do(t *target, service string, params url.Values) ([]byte, error) {
	raw, err := signed(t, service, params.Encode(), time.Now())
	if err != nil {
		return nil, err
	}
	c, err := net.Dial("tcp", t.procs[0].addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(raw); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", params.Get("Action"), resp.StatusCode, out)
	}
	return out, nil
}

var accountRE = regexp.MustCompile(`<Account>(\d{12})</Account>`)

// setup creates what the calls need: the user "bench-assumer" with a key
// and the right to assume roles (AWS refuses AssumeRole to the root), the
// role "bench" trusting it, and the user "benchuser".
func setup(t *target) error {
	out, err := do(t, "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {stsVersion}})
	if err != nil {
		return err
	}
	m := accountRE.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("%s: no account in GetCallerIdentity's answer", t.name)
	}
	t.acct = string(m[1])
	if _, err := do(t, "iam", url.Values{"Action": {"CreateUser"}, "Version": {iamVersion}, "UserName": {benchAssumer}}); err != nil {
		return err
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	if _, err := do(t, "iam", url.Values{"Action": {"PutUserPolicy"}, "Version": {iamVersion}, "UserName": {benchAssumer}, "PolicyName": {"assume"}, "PolicyDocument": {allow}}); err != nil {
		return err
	}
	out, err = do(t, "iam", url.Values{"Action": {"CreateAccessKey"}, "Version": {iamVersion}, "UserName": {benchAssumer}})
	if err != nil {
		return err
	}
	id, sec := keyIDRE.FindSubmatch(out), secretRE.FindSubmatch(out)
	if id == nil || sec == nil {
		return fmt.Errorf("%s: no key in CreateAccessKey's answer", t.name)
	}
	t.assumer = sigv4.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + t.acct + `:user/` + benchAssumer + `"},"Action":"sts:AssumeRole"}]}`
	if _, err := do(t, "iam", url.Values{"Action": {"CreateRole"}, "Version": {iamVersion}, "RoleName": {benchRole}, "AssumeRolePolicyDocument": {trust}}); err != nil {
		return err
	}
	_, err = do(t, "iam", url.Values{"Action": {"CreateUser"}, "Version": {iamVersion}, "UserName": {benchUser}})
	return err
}

// benchAssumer is the user that assumes the bench role.
const benchAssumer = "bench-assumer"

var (
	keyIDRE  = regexp.MustCompile(`<AccessKeyId>([A-Z0-9]+)</AccessKeyId>`)
	secretRE = regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`)
)

// result is one measured run of one call on one target.
type result struct {
	ops     int
	elapsed time.Duration
	cpu     time.Duration
	lat     []time.Duration // per op, sorted
}

func (r result) rps() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// cpuPerOp is the server's CPU per op in microseconds.
func (r result) cpuPerOp() float64 {
	return float64(r.cpu.Microseconds()) / float64(r.ops)
}

func (r result) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(int(q*float64(len(r.lat))), len(r.lat)-1)]
}

// settle is how long CPU keeps being counted after the load stops: work
// that trails the responses (the audit store lane gathers for up to
// 100 ms) belongs to the run that caused it.
const settle = 200 * time.Millisecond

// drive runs c against t on conns keep-alive connections for d, spread
// over the target's nodes, and measures it.
func drive(ctx context.Context, t *target, c call, conns int, d time.Duration) (result, error) {
	return drivePaced(ctx, t, c, conns, d, 0)
}

// drivePaced is drive with each connection starting at most one op per
// pace (0: closed loop, as fast as the server answers).
func drivePaced(ctx context.Context, t *target, c call, conns int, d, pace time.Duration) (result, error) {
	now := time.Now()
	seqs := make([][][]byte, conns)
	for i := range conns {
		s, err := c.op(t, i, now)
		if err != nil {
			return result{}, err
		}
		seqs[i] = s
	}
	addrs := t.addrs()
	dialed := make([]net.Conn, conns)
	for i := range conns {
		nc, err := net.Dial("tcp", addrs[i%len(addrs)])
		if err != nil {
			return result{}, err
		}
		defer nc.Close()
		dialed[i] = nc
	}
	cpu0, err := t.cpu()
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lats := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range conns {
		wg.Go(func() { lats[i], errs[i] = loop(ctx, dialed[i], seqs[i], pace) })
	}
	wg.Wait()
	elapsed := time.Since(begin)
	time.Sleep(settle)
	cpu1, err := t.cpu()
	if err != nil {
		return result{}, err
	}
	for _, err := range errs {
		if err != nil {
			return result{}, fmt.Errorf("%s %s: %w", t.name, c.name, err)
		}
	}
	var r result
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	sortDurations(r.lat)
	r.ops, r.elapsed, r.cpu = len(r.lat), elapsed, cpu1-cpu0
	if r.ops == 0 {
		return result{}, fmt.Errorf("%s %s: no op completed", t.name, c.name)
	}
	return r, nil
}

// loop sends seq over nc until ctx ends, one whole sequence per op (at
// most one per pace when pace > 0), returning each op's latency; any
// answer but 200 is an error.
func loop(ctx context.Context, nc net.Conn, seq [][]byte, pace time.Duration) ([]time.Duration, error) {
	br := bufio.NewReaderSize(nc, 16<<10)
	lat := make([]time.Duration, 0, 4096)
	for ctx.Err() == nil {
		t0 := time.Now()
		for _, req := range seq {
			if _, err := nc.Write(req); err != nil {
				return lat, err
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return lat, err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return lat, fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
			}
		}
		lat = append(lat, time.Since(t0))
		if wait := time.Until(t0.Add(pace)); pace > 0 && wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
	return lat, nil
}
