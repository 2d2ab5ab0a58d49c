package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/jackc/pgx/v5"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/store/postgres/pgtest"
)

// multiNodeStore returns a store URL on the test PostgreSQL server
// (CASTELLAN_TEST_POSTGRES, or a private cluster started by pgtest) whose
// search_path is a fresh schema (dropped at the end).
func multiNodeStore(t *testing.T) string {
	t.Helper()
	base := pgtest.URL(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "e2e_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to the test PostgreSQL server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// e2eStores maps data dirs to their PostgreSQL store URL when the whole
// suite runs on PostgreSQL (CASTELLAN_E2E_STORE=postgres): a server
// restarted on a data dir finds its store again.
var e2eStores sync.Map

// e2ePostgresStore returns the store URL of dataDir, a fresh schema the
// first time.
func e2ePostgresStore(t *testing.T, dataDir string) string {
	if u, ok := e2eStores.Load(dataDir); ok {
		return u.(string)
	}
	u := multiNodeStore(t)
	e2eStores.Store(dataDir, u)
	return u
}

// startNode runs one server on cfg (its own data dir) with the shared clock.
func startNode(t *testing.T, cfg config.Config, clk *clock) *env {
	t.Helper()
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: log, Now: clk.Now})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &env{t: t, app: a, srv: srv, clock: clk, dataDir: cfg.DataDir, storeURL: cfg.StoreURL,
		root: readRootCredentials(t, filepath.Join(cfg.DataDir, "root-credentials"))}
}

// tokenKeyID returns the keyring key id a session token was sealed with
// (token format: version byte, 4-byte key id, …).
func tokenKeyID(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(raw) < 5 {
		t.Fatalf("malformed session token")
	}
	return hex.EncodeToString(raw[1:5])
}

// TestMultiNode runs two servers on one PostgreSQL store with the same
// master key. Both nodes' clocks are frozen, so their caches never expire
// by age: every cross-node effect below comes from the change
// notifications (or from the store itself).
func TestMultiNode(t *testing.T) {
	storeURL := multiNodeStore(t)
	ctx := context.Background()
	mk := make([]byte, 32)
	rand.Read(mk)
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.StoreURL = storeURL
	cfg.MasterKey = base64.StdEncoding.EncodeToString(mk)
	cfg.AccountID = "123456789012"

	clk := &clock{}
	clk.Set(time.Now().UTC().Truncate(time.Second))
	a := startNode(t, cfg, clk)
	b := startNode(t, cfg, clk)
	if a.root != b.root {
		t.Fatalf("nodes publish different root keys: %s and %s", a.root.AccessKeyID, b.root.AccessKeyID)
	}

	gci := func(e *env, c aws.Credentials) (*sts.GetCallerIdentityOutput, error) {
		return e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}

	// A key created through node A works on node B.
	if _, err := a.iam(a.root).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	ko, err := a.iam(a.root).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := aws.Credentials{AccessKeyID: *ko.AccessKey.AccessKeyId, SecretAccessKey: *ko.AccessKey.SecretAccessKey}
	out, err := gci(b, alice)
	if err != nil {
		t.Fatalf("B: GetCallerIdentity with a key created on A: %v", err)
	}
	if want := "arn:aws:iam::123456789012:user/alice"; aws.ToString(out.Arn) != want {
		t.Errorf("B: caller = %s, want %s", aws.ToString(out.Arn), want)
	}

	// A session token issued by A verifies on B.
	st, err := a.sts(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	gen1 := tempCreds(st.Credentials)
	if _, err := gci(b, gen1); err != nil {
		t.Fatalf("B: GetCallerIdentity with a session token from A: %v", err)
	}

	// Keys rotated (castellan keys rotate, against the shared store): both
	// nodes reload; tokens of both generations verify on B.
	admin, err := app.OpenAdmin(ctx, config.Config{DataDir: a.dataDir, StoreURL: storeURL, MasterKey: cfg.MasterKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := admin.Keyring.Rotate(ctx)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	var gen2 aws.Credentials
	waitFor(t, func() bool {
		st, err := a.sts(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		gen2 = tempCreds(st.Credentials)
		return tokenKeyID(t, gen2.SessionToken) == newKey
	})
	if tokenKeyID(t, gen1.SessionToken) == newKey {
		t.Fatal("the first token was sealed with the new key")
	}
	// B learns of the new key from its own notification, independently of A.
	waitFor(t, func() bool { _, err := gci(b, gen2); return err == nil })
	if _, err := gci(b, gen1); err != nil {
		t.Errorf("B: GetCallerIdentity with a first-generation token from A: %v", err)
	}
	// B seals with the new key too.
	waitFor(t, func() bool {
		st, err := b.sts(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		return tokenKeyID(t, aws.ToString(st.Credentials.SessionToken)) == newKey
	})

	// Deactivated on A: B refuses the key on its next call once notified
	// (B's cache entry would otherwise live forever on the frozen clock).
	if _, err := gci(b, alice); err != nil {
		t.Fatalf("B: before deactivation: %v", err) // cached on B now
	}
	if _, err := a.iam(a.root).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeInactive,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := gci(b, alice); return err != nil })
	_, err = gci(b, alice)
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")

	// Reactivated on B: A accepts it again.
	if _, err := gci(a, alice); err == nil {
		t.Fatal("A: the deactivated key still works")
	}
	if _, err := b.iam(b.root).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("alice"), AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeActive,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := gci(a, alice); return err == nil })

	// A policy granted on A applies on B at once (B cached alice's policy
	// set when it refused her).
	if _, err := b.iam(alice).GetUser(ctx, &iam.GetUserInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("B: GetUser without a policy = %v, want AccessDenied", err)
	}
	if _, err := a.iam(a.root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("alice"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`),
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := b.iam(alice).GetUser(ctx, &iam.GetUserInput{}); return err == nil })

	// A session revoked through the shared store is refused by both nodes.
	admin, err = app.OpenAdmin(ctx, config.Config{DataDir: a.dataDir, StoreURL: storeURL, MasterKey: cfg.MasterKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = admin.RevokeKey(ctx, gen2.AccessKeyID)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*env{a, b} {
		waitFor(t, func() bool { _, err := gci(e, gen2); return err != nil })
	}
	if _, err := gci(b, gen1); err != nil {
		t.Errorf("B: an unrevoked session: %v", err)
	}
}

// TestMultiNodeConcurrentBootstrap: nodes started together on an empty
// store agree on one account and one root key.
func TestMultiNodeConcurrentBootstrap(t *testing.T) {
	storeURL := multiNodeStore(t)
	mk := make([]byte, 32)
	rand.Read(mk)
	const nodes = 3
	var wg sync.WaitGroup
	apps := make([]*app.App, nodes)
	errs := make([]error, nodes)
	dirs := make([]string, nodes)
	for i := range nodes {
		dirs[i] = t.TempDir()
		cfg := config.Default()
		cfg.Addr = "127.0.0.1:0"
		cfg.DataDir = dirs[i]
		cfg.StoreURL = storeURL
		cfg.MasterKey = base64.StdEncoding.EncodeToString(mk)
		wg.Go(func() { apps[i], errs[i] = app.New(context.Background(), cfg, app.Options{}) })
	}
	wg.Wait()
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: app.New: %v", i, errs[i])
		}
		defer apps[i].Close()
	}
	first := readRootCredentials(t, filepath.Join(dirs[0], "root-credentials"))
	for i := 1; i < nodes; i++ {
		if got := apps[i].AccountID(); got != apps[0].AccountID() {
			t.Errorf("node %d: account %s, node 0: %s", i, got, apps[0].AccountID())
		}
		if got := readRootCredentials(t, filepath.Join(dirs[i], "root-credentials")); got != first {
			t.Errorf("node %d publishes root key %s, node 0 %s", i, got.AccessKeyID, first.AccessKeyID)
		}
	}
	keys, err := apps[0].Store().ListAccessKeys(context.Background(), apps[0].AccountID(), "")
	if err != nil || len(keys) != 1 {
		t.Errorf("root keys after a concurrent bootstrap: %d (%v), want 1", len(keys), err)
	}
}
