package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestBackupRestoreUnderLoad backs up a running server's store while
// writers keep creating users, restores the backup into an empty data
// directory and finds every user acknowledged before the backup started.
// A restore without the deployment's master key cannot open the secrets:
// with another key it is refused.
func TestBackupRestoreUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	srv := startBinary(t, bin, dataDir, freeAddr(t))
	root := readRootCredentials(t, filepath.Join(dataDir, "root-credentials"))
	c := iam.NewFromConfig(clientConfig(srv.url, root))

	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				name := fmt.Sprintf("bk-%d-%05d", w, i)
				if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(base, "backup.db")
	out, err := exec.Command(bin, "backup", "--data-dir", dataDir, "--to", backup).CombinedOutput()
	if err != nil {
		t.Fatalf("castellan backup: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond) // the writers keep going after it
	stop.Store(true)
	wg.Wait()
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", fi, err)
	}
	_ = srv.cmd.Process.Kill()
	_ = srv.cmd.Wait()

	// Another master key: refused, and nothing left behind.
	wrong := filepath.Join(base, "wrong")
	cmd := exec.Command(bin, "restore", "--from", backup, "--data-dir", wrong)
	cmd.Env = append(os.Environ(), "CASTELLAN_MASTER_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "master key") {
		t.Errorf("restore with another master key: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(wrong, "castellan.db")); err == nil {
		t.Errorf("a refused restore left its store behind")
	}

	restored := filepath.Join(base, "restored")
	if err := os.MkdirAll(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "restore", "--from", backup, "--data-dir", restored).CombinedOutput(); err != nil {
		t.Fatalf("castellan restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "restore", "--from", backup, "--data-dir", restored).CombinedOutput(); err == nil {
		t.Errorf("a second restore over a store succeeded:\n%s", out)
	}
	srv = startBinary(t, bin, restored, freeAddr(t))
	c = iam.NewFromConfig(clientConfig(srv.url, root)) // the root key came back with the store
	have := map[string]bool{}
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			have[aws.ToString(u.UserName)] = true
		}
	}
	lost := 0
	for _, n := range before {
		if !have[n] {
			lost++
		}
	}
	t.Logf("%d users acknowledged before the backup, %d in the restored store, %d lost", len(before), len(have), lost)
	if lost > 0 {
		t.Errorf("%d users acknowledged before the backup are missing from the restore", lost)
	}
}
