package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/config"
)

// mountTmpfs mounts a tmpfs of the given size on a fresh directory, or
// skips the test when this process may not mount (not root, no
// CAP_SYS_ADMIN, a container without it).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "castellan-diskfull", dir).CombinedOutput()
	if err != nil {
		t.Skipf("the disk-full test mounts a small tmpfs and may not here (it needs root or CAP_SYS_ADMIN): mount: %v: %s", err, strings.TrimSpace(string(out)))
	}
	// Registered after TempDir's removal, so it runs before it; and before
	// the server's own cleanup? No: the server is started later, so it is
	// closed first (cleanups run last-in first-out).
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a filler file in dir until the filesystem is full and
// returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v, want ENOSPC", dir, err)
			}
			return path
		}
	}
}

// TestDiskFull runs the server with its data directory (SQLite and audit
// files), or only its audit directory, on a small tmpfs and fills it up:
//   - every write acknowledged before or while the disk is full is there
//     after it has space again;
//   - mutating calls fail closed with 503 ServiceUnavailable (never a 500,
//     never an acknowledged write without its event), /readyz says not
//     ready and castellan_audit_write_errors_total counts the failures;
//   - reads and signature checks of cached keys keep working;
//   - once the filler is removed the server accepts writes again by
//     itself, without a restart, and nothing is corrupt (PRAGMA
//     integrity_check, every audit line whole, every acknowledged write
//     has its success event).
func TestDiskFull(t *testing.T) {
	reliabilityOnly(t)
	for _, tc := range []struct {
		name     string
		auditDir bool // only the audit directory is on the tmpfs
	}{
		{"data dir", false},
		{"audit dir", true},
	} {
		t.Run(tc.name, func(t *testing.T) { runDiskFull(t, tc.auditDir) })
	}
}

func runDiskFull(t *testing.T, auditOnly bool) {
	ctx := context.Background()
	mnt := mountTmpfs(t, "16m")
	var auditDir string
	e := newEnv(t, func(c *config.Config) {
		if auditOnly {
			c.Audit.Dir = filepath.Join(mnt, "audit")
		} else {
			c.DataDir = filepath.Join(mnt, "data")
		}
		auditDir = c.AuditDir()
	})
	ia := e.iam(e.root)
	var acked []string
	create := func(name string) error {
		_, err := ia.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		if err == nil {
			acked = append(acked, name)
		}
		return err
	}
	for i := range 20 {
		if err := create(fmt.Sprintf("before-%02d", i)); err != nil {
			t.Fatalf("CreateUser before the disk is full: %v", err)
		}
	}
	// A user with a key, used (so cached) before the disk fills.
	ko, err := ia.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("before-00")})
	if err != nil {
		t.Fatal(err)
	}
	user := aws.Credentials{AccessKeyID: *ko.AccessKey.AccessKeyId, SecretAccessKey: *ko.AccessKey.SecretAccessKey}
	if _, err := e.sts(user).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	filler := fillDisk(t, mnt)
	// The first writes may still fit (a page the audit file or SQLite's
	// WAL already holds); within a few the disk is full for good. Each one
	// either succeeds (and must survive) or fails closed.
	refused := 0
	for i := 0; i < 500 && refused < 5; i++ {
		err := create(fmt.Sprintf("full-%03d", i))
		if err == nil {
			refused = 0
			continue
		}
		code, status := awsCode(err)
		if code != "ServiceUnavailable" || status != http.StatusServiceUnavailable {
			t.Fatalf("CreateUser on a full disk: %v (code %q, status %d), want 503 ServiceUnavailable", err, code, status)
		}
		refused++
	}
	if refused < 5 {
		t.Fatalf("500 CreateUser calls on a full disk: the last ones succeeded, want them refused")
	}
	t.Logf("%d writes acknowledged in all, %d refused in a row on the full disk", len(acked), refused)
	// Other mutating calls and credential issuing fail closed too.
	if _, err := ia.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("before-01")}); err == nil {
		t.Error("CreateAccessKey on a full disk succeeded, want 503 ServiceUnavailable")
	} else if code, status := awsCode(err); code != "ServiceUnavailable" || status != 503 {
		t.Errorf("CreateAccessKey on a full disk: %v, want 503 ServiceUnavailable", err)
	}
	// Reads and signature checks keep working.
	if _, err := ia.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("before-05")}); err != nil {
		t.Errorf("GetUser on a full disk: %v", err)
	}
	if _, err := ia.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers on a full disk: %v", err)
	}
	if _, err := e.sts(user).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with a cached key on a full disk: %v", err)
	}
	if _, err := e.sts(e.root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity as root on a full disk: %v", err)
	}
	if code := e.readyz(t); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk = %d, want 503", code)
	}
	if m := e.metricsText(t); !strings.Contains(m, `castellan_audit_write_errors_total{sink="file"}`) {
		t.Errorf("/metrics on a full disk has no castellan_audit_write_errors_total{sink=\"file\"}")
	}

	// Space again: the server resumes by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	for {
		err := create(fmt.Sprintf("after-%03d", len(acked)))
		if err == nil {
			break
		}
		if code, _ := awsCode(err); code != "ServiceUnavailable" {
			t.Fatalf("CreateUser after space was freed: %v, want success or ServiceUnavailable", err)
		}
		if time.Since(freed) > 15*time.Second {
			t.Fatalf("15 s after space was freed CreateUser still fails: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("writes accepted again %v after space was freed", time.Since(freed).Round(time.Millisecond))
	waitFor(t, func() bool { return e.readyz(t) == http.StatusOK })
	for i := range 10 {
		if err := create(fmt.Sprintf("after-x%02d", i)); err != nil {
			t.Fatalf("CreateUser after recovery: %v", err)
		}
	}

	// Nothing acknowledged is lost, nothing is corrupt, everything is
	// audited.
	have := map[string]bool{}
	p := iam.NewListUsersPaginator(ia, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			have[*u.UserName] = true
		}
	}
	for _, n := range acked {
		if !have[n] {
			t.Errorf("lost: acknowledged user %s is not in the store", n)
		}
	}
	if err := e.app.Close(); err != nil { // flushes the trail
		t.Logf("closing: %v", err)
	}
	checkIntegrity(t, filepath.Join(e.dataDir, "castellan.db"))
	events := auditedCreates(t, auditDir)
	for _, n := range acked {
		if !events[n] {
			t.Errorf("unaudited: acknowledged CreateUser %s has no success event in the files", n)
		}
	}
}

// readyz returns /readyz's status code.
func (e *env) readyz(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// checkIntegrity runs PRAGMA integrity_check on a SQLite database.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want ok", res)
	}
}

// auditedCreates reads every audit file in dir (each line must be a whole
// record, each file must end with a newline) and returns the user names
// of successful CreateUser events.
func auditedCreates(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := audit.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("corrupt: %s does not end with a newline", f)
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			ev, err := audit.ParseRecord([]byte(line))
			if err != nil {
				t.Errorf("corrupt: %s line %d: %v", f, i+1, err)
				continue
			}
			if ev == nil || ev.EventName != "CreateUser" || ev.ErrorCode != "" {
				continue
			}
			if n, _ := ev.RequestParameters["userName"].(string); n != "" {
				got[n] = true
			}
		}
	}
	return got
}
