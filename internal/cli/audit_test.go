package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/castellan-sts/castellan/internal/sdktest"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
)

// runCLI runs castellan with args and returns its stdout, failing on a
// non-zero exit.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, IO{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("castellan %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// TestAuditCommands drives audit lookup/tail, sessions list and report
// credentials against the store of a running server.
func TestAuditCommands(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer func() { srv.Close(); a.Close() }()
	raw, err := os.ReadFile(filepath.Join(cfg.DataDir, "root-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`aws_access_key_id = (\S+)`).FindSubmatch(raw)
	sec := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(raw)
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Retryer: sdktest.Retryer,
		Credentials: credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: string(id[1]), SecretAccessKey: string(sec[1])}}}
	ctx := context.Background()
	if _, err := iam.NewFromConfig(awsCfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("cli-user")}); err != nil {
		t.Fatal(err)
	}
	gst, err := sts.NewFromConfig(awsCfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	dd := "--data-dir=" + cfg.DataDir

	// The store trails the (acknowledging) audit file by up to the
	// auditor's linger; another process reading it waits that long at most.
	var out string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out = runCLI(t, "audit", "lookup", dd, "--event-name", "GetSessionToken", "--output", "json")
		if out != "" {
			break
		}
	}
	out = runCLI(t, "audit", "lookup", dd, "--event-name", "CreateUser", "--output", "json")
	var rec struct {
		EventName         string         `json:"eventName"`
		RequestParameters map[string]any `json:"requestParameters"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); err != nil || rec.EventName != "CreateUser" || rec.RequestParameters["userName"] != "cli-user" {
		t.Errorf("audit lookup --output json = %q (%v)", out, err)
	}
	if out := runCLI(t, "audit", "lookup", dd, "--username", "root"); !strings.Contains(out, "CreateUser") || !strings.HasPrefix(out, "TIME") {
		t.Errorf("audit lookup table:\n%s", out)
	}
	if out := runCLI(t, "audit", "tail", dd, "-n", "2"); len(strings.Split(strings.TrimSpace(out), "\n")) != 3 {
		t.Errorf("audit tail -n 2:\n%s", out)
	}

	akid := aws.ToString(gst.Credentials.AccessKeyId)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out = runCLI(t, "sessions", "list", dd, "--output", "json")
		if strings.Contains(out, akid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions list never showed %s:\n%s", akid, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var s struct {
		AccessKeyID, PrincipalArn, IssuedBy, State string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &s); err != nil || s.IssuedBy != "GetSessionToken" || s.State != "active" || !strings.HasSuffix(s.PrincipalArn, ":root") {
		t.Errorf("sessions list = %q (%v)", out, err)
	}

	rows, err := csv.NewReader(strings.NewReader(runCLI(t, "report", "credentials", dd))).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[0]) != 22 || rows[1][0] != "<root_account>" || rows[2][0] != "cli-user" {
		t.Errorf("report credentials = %v (%v)", rows, err)
	}
}
