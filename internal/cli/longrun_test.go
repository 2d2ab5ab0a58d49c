package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/castellan-sts/castellan/internal/sdktest"

	"github.com/castellan-sts/castellan/internal/config"
)

// TestCredentialsServeNeverExpires calls GetCallerIdentity over and over
// through `credentials serve` while its 4-second sessions expire and are
// replaced; no call may see ExpiredToken. It runs 5 seconds by default and
// 60 seconds with CASTELLAN_TOOLKIT_LONG=1 (skipped with -short).
func TestCredentialsServeNeverExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	length := 5 * time.Second
	if os.Getenv("CASTELLAN_TOOLKIT_LONG") == "1" {
		length = 60 * time.Second
	}
	h := newHome(t)
	s := newServer(t, func(c *config.Config) { c.MinSessionDuration = time.Second })
	h.profile("src", s.root, "region = us-east-1", "endpoint_url = "+s.url)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var logs strings.Builder
	done := make(chan int, 1)
	go func() {
		code := Main(ctx, []string{"credentials", "serve", "--profile", "src", "--duration", "4s"},
			IO{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &syncWriter{w: &logs}, Getenv: os.Getenv})
		pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	n := 0
	for n < 5 && sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok {
			t.Setenv(k, strings.Trim(v, "'"))
			n++
		}
	}
	go io.Copy(io.Discard, pr)

	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retryer = sdktest.Retryer
	client := sts.NewFromConfig(cfg)
	keys := map[string]bool{}
	calls := 0
	deadline := time.Now().Add(length)
	for time.Now().Before(deadline) {
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("call %d at %s: %v", calls, time.Now().Format(time.RFC3339Nano), err)
		}
		if !strings.HasSuffix(aws.ToString(out.Arn), ":root") {
			t.Fatalf("caller %s", aws.ToString(out.Arn))
		}
		c, _ := cfg.Credentials.Retrieve(ctx)
		keys[c.AccessKeyID] = true
		calls++
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	// 4s sessions replaced at half-life: a new one every ~2 s.
	if min := int(length/(2*time.Second)) - 1; len(keys) < min {
		t.Errorf("%d sessions in %v, want at least %d (refresh ahead not working?)", len(keys), length, min)
	}
	if !strings.Contains(logs.String(), "refreshing ahead") {
		t.Errorf("no refresh notice in the log:\n%s", logs.String())
	}
	t.Logf("%d calls, %d sessions, no expired token", calls, len(keys))
}
