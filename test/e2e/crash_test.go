package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/castellan-sts/castellan/internal/sdktest"

	"github.com/castellan-sts/castellan/internal/audit"
)

// binaryServer is the real castellan binary serving on a loopback port.
type binaryServer struct {
	cmd  *exec.Cmd
	url  string
	logs *os.File
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "castellan")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/castellan").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startBinary(t *testing.T, bin, dataDir, addr string) *binaryServer {
	t.Helper()
	logs, err := os.OpenFile(filepath.Join(filepath.Dir(dataDir), "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir)
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &binaryServer{cmd: cmd, logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logs.Close() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "castellan listening on "); ok {
				ready <- u
			}
		}
	}()
	select {
	case s.url = <-ready:
	case <-time.After(30 * time.Second):
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("server did not start:\n%s", b)
	}
	return s
}

func clientConfig(url string, creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(url),
		Retryer:      sdktest.Retryer,
		// Its own transport: httptest servers of other tests close the
		// default transport's idle connections when they stop.
		HTTPClient: &http.Client{Timeout: time.Minute, Transport: &http.Transport{}},
	}
}

// TestAuditCrash kills the server with SIGKILL during a burst of mutating
// calls; after a restart every acknowledged call has exactly one event, no
// event is duplicated and no audit line is torn.
func TestAuditCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	srv := startBinary(t, bin, dataDir, addr)
	root := readRootCredentials(t, filepath.Join(dataDir, "root-credentials"))
	c := iam.NewFromConfig(clientConfig(srv.url, root))

	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				name := fmt.Sprintf("crash-%02d-%04d", w, i)
				_, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
				if err != nil {
					if stop.Load() {
						return
					}
					continue
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				n.Add(1)
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for n.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// SIGKILL mid-burst: the workers have calls in flight.
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	_ = srv.cmd.Wait()
	wg.Wait()
	mu.Lock()
	ackedNames := append([]string(nil), acked...)
	mu.Unlock()
	if len(ackedNames) < 50 {
		t.Fatalf("only %d calls acknowledged before the kill", len(ackedNames))
	}
	t.Logf("%d CreateUser calls acknowledged before SIGKILL", len(ackedNames))

	srv = startBinary(t, bin, dataDir, freeAddr(t))
	ct := cloudtrail.NewFromConfig(clientConfig(srv.url, root))
	count := map[string]int{}
	ids := map[string]bool{}
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}},
	}
	for {
		page, err := lookupPage(ct, in)
		if err != nil {
			b, _ := os.ReadFile(srv.logs.Name())
			t.Fatalf("%v\nserver log:\n%s", err, b)
		}
		for _, ev := range page.Events {
			var r record
			if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &r); err != nil {
				t.Fatalf("torn record: %v", err)
			}
			if ids[r.EventID] {
				t.Errorf("event %s returned twice", r.EventID)
			}
			ids[r.EventID] = true
			if r.ErrorCode == "" {
				count[r.RequestParameters["userName"].(string)]++
			}
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	for _, name := range ackedNames {
		if count[name] != 1 {
			t.Errorf("acknowledged CreateUser %s has %d events, want 1", name, count[name])
		}
	}
	for name, k := range count {
		if k > 1 {
			t.Errorf("CreateUser %s has %d successful events", name, k)
		}
	}

	// The files: every line whole, every event id once.
	files, err := audit.Files(filepath.Join(dataDir, "audit"))
	if err != nil || len(files) == 0 {
		t.Fatalf("audit files: %v, %v", files, err)
	}
	seen := map[string]bool{}
	fileAcked := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends with a torn line", f)
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Errorf("%s line %d is not a record: %v", f, i+1, err)
				continue
			}
			if seen[r.EventID] {
				t.Errorf("%s: event %s written twice", f, r.EventID)
			}
			seen[r.EventID] = true
			if r.EventName == "CreateUser" && r.ErrorCode == "" {
				fileAcked[r.RequestParameters["userName"].(string)]++
			}
		}
	}
	for _, name := range ackedNames {
		if fileAcked[name] != 1 {
			t.Errorf("acknowledged CreateUser %s has %d events in the files, want 1", name, fileAcked[name])
		}
	}
}
