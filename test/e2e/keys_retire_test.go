package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/cli"
	"github.com/castellan-sts/castellan/internal/store"
)

// castellanCLI runs a castellan admin command against e's deployment (its
// data dir, and its store URL on PostgreSQL), isolated from the caller's
// CASTELLAN_* environment. It returns the exit code, stdout and stderr.
func (e *env) castellanCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	args = append(args, "--data-dir", e.dataDir)
	if e.storeURL != "" {
		args = append(args, "--store-url", e.storeURL)
	}
	getenv := func(k string) string {
		if strings.HasPrefix(k, "CASTELLAN_") {
			return ""
		}
		return os.Getenv(k)
	}
	var out, errb strings.Builder
	code := cli.Main(context.Background(), args, cli.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv})
	return code, out.String(), errb.String()
}

// waitWithin is waitFor with a longer bound: a SQLite node learns of a
// change made by another process at its next keyring reload (10 s).
func waitWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKeysRetireNow is the key-compromise drill: a session used once (so
// every authentication cache holds it) must be refused once the key that
// sealed it is retired with `castellan keys retire KEYID --now`, on the
// very next request after the node reloads its keyring; sessions sealed by
// other keys keep working; the retirement is audited.
func TestKeysRetireNow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gci := func(c aws.Credentials) error {
		_, err := e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	session := func() aws.Credentials {
		t.Helper()
		out, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		return tempCreds(out.Credentials)
	}
	reload := 15 * time.Second // keyringReloadInterval and slack

	gen1 := session()
	k1 := tokenKeyID(t, gen1.SessionToken)
	for range 2 { // the second call is served from the caches
		if err := gci(gen1); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
	}

	// Without --now nothing happens.
	if code, _, stderr := e.castellanCLI(t, "keys", "retire", k1); code == 0 || !strings.Contains(stderr, "--now") {
		t.Fatalf("keys retire without --now: exit %d, stderr %q; want a refusal naming --now", code, stderr)
	}
	if code, _, stderr := e.castellanCLI(t, "keys", "retire", "0badc0de", "--now"); code == 0 || !strings.Contains(stderr, "no such keyring key") {
		t.Fatalf("keys retire of an unknown key: exit %d, stderr %q", code, stderr)
	}
	if err := gci(gen1); err != nil {
		t.Fatalf("after refused retirements: %v", err)
	}

	// k1 is the primary: retiring it rotates first.
	code, stdout, stderr := e.castellanCLI(t, "keys", "retire", k1, "--now")
	if code != 0 {
		t.Fatalf("keys retire %s --now: exit %d: %s", k1, code, stderr)
	}
	if !strings.Contains(stdout, k1+" was the primary key: new primary key ") || !strings.Contains(stdout, "retired key "+k1) {
		t.Fatalf("keys retire output = %q", stdout)
	}
	k2 := strings.Fields(strings.SplitN(stdout, "new primary key ", 2)[1])[0]

	waitWithin(t, reload, "the cached session of the retired key refused", func() bool { return gci(gen1) != nil })
	apiError(t, gci(gen1), "InvalidClientTokenId", "The security token included in the request is invalid.")

	// New sessions are sealed by the new primary and work.
	var gen2 aws.Credentials
	waitWithin(t, reload, "sessions sealed by the new primary", func() bool {
		gen2 = session()
		return tokenKeyID(t, gen2.SessionToken) == k2
	})
	if err := gci(gen2); err != nil {
		t.Fatalf("session of the new primary: %v", err)
	}

	// A verify-only key: retired without a rotation; the primary's
	// sessions are untouched.
	code, stdout, stderr = e.castellanCLI(t, "keys", "rotate")
	if code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", code, stderr)
	}
	var gen3 aws.Credentials
	waitWithin(t, reload, "sessions sealed by the rotated key", func() bool {
		gen3 = session()
		return tokenKeyID(t, gen3.SessionToken) != k2
	})
	if err := gci(gen2); err != nil {
		t.Fatalf("k2's session after a rotation: %v", err)
	}
	code, stdout, stderr = e.castellanCLI(t, "keys", "retire", k2, "--now")
	if code != 0 || strings.Contains(stdout, "primary") {
		t.Fatalf("keys retire %s --now (not primary): exit %d, stdout %q, stderr %q", k2, code, stdout, stderr)
	}
	waitWithin(t, reload, "k2's session refused", func() bool { return gci(gen2) != nil })
	apiError(t, gci(gen2), "InvalidClientTokenId", "The security token included in the request is invalid.")
	if err := gci(gen3); err != nil {
		t.Fatalf("the primary's session after retiring k2: %v", err)
	}

	// Audited, with key ids only.
	page, err := e.app.Store().LookupAuditEvents(ctx, store.AuditQuery{Attribute: store.AuditEventName, Value: "KeyringKeyRetired", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("KeyringKeyRetired events = %d, want 2", len(page.Items))
	}
	var recs []string
	for _, ev := range page.Items {
		recs = append(recs, string(ev.Record))
	}
	all := strings.Join(recs, "\n")
	for _, want := range []string{`"keyId":"` + k1 + `"`, `"newPrimaryKeyId":"` + k2 + `"`, `"keyId":"` + k2 + `"`} {
		if !strings.Contains(all, want) {
			t.Errorf("audit records lack %s:\n%s", want, all)
		}
	}
}
