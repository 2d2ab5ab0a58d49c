// Command crash is Castellan's crash campaign (make crash): it runs the
// real binary on a SQLite data directory, drives a mixed IAM and STS load
// against it, kills it with SIGKILL at a random moment, restarts it on the
// same directory and checks what survived:
//
//   - lost: an acknowledged write missing from the store, or a session
//     issued before the crash that no longer verifies;
//   - unaudited: a change present in the store with no event for it in the
//     audit files or in LookupEvents (success, or OutcomeUnknown when the
//     client got no answer), or an acknowledged call without its success
//     event;
//   - phantom: a success event for a change that is not in the store;
//   - corrupt: an audit line that is not a whole record, a file not ending
//     in a newline, or PRAGMA integrity_check not ok.
//
// It prints one table row per store and exits 1 when any count is not 0.
// It is a main package, so go test ./... does not run it.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/castellan-sts/castellan/internal/sdktest"
	_ "modernc.org/sqlite"
)

func main() {
	iters := flag.Int("iterations", envInt("CRASH_ITERATIONS", 50), "kill -9 rounds")
	workers := flag.Int("workers", 8, "concurrent clients")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed; replays the kill moments)")
	bin := flag.String("bin", "", "castellan binary (default: built from ./cmd/castellan)")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed on success)")
	verbose := flag.Bool("v", false, "print each iteration")
	flag.Parse()
	ctx := context.Background()
	c := &campaign{workers: *workers, verbose: *verbose, rng: rand.New(rand.NewPCG(*seed, 18))}
	fmt.Printf("crash campaign: %d iterations, %d workers, seed %d\n", *iters, *workers, *seed)
	var err error
	if c.dir = *dir; c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "castellan-crash-"); err != nil {
			fatal(err)
		}
	}
	if c.bin = *bin; c.bin == "" {
		c.bin = filepath.Join(c.dir, "castellan")
		if out, err := exec.Command("go", "build", "-o", c.bin, "./cmd/castellan").CombinedOutput(); err != nil {
			fatal(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	start := time.Now()
	if err := c.run(ctx, *iters); err != nil {
		// The round's server may still run: a campaign that stops early must
		// not leave it behind holding the data dir and a port.
		if c.srv != nil {
			c.kill()
		}
		fmt.Fprintf(os.Stderr, "crash: %v (work directory %s)\n", err, c.dir)
		os.Exit(2)
	}
	fmt.Printf("\n%-8s %10s %14s %6s %10s %8s %8s %10s\n", "store", "iterations", "acknowledged", "lost", "unaudited", "phantom", "corrupt", "unknown")
	fmt.Printf("%-8s %10d %14d %6d %10d %8d %8d %10d\n", "sqlite", *iters, c.acked, c.lost, c.unaudited, c.phantom, c.corrupt, c.unknown)
	fmt.Printf("(%s; unknown = calls in flight at the kill, on the trail as OutcomeUnknown or with their outcome)\n", time.Since(start).Round(time.Second))
	if c.lost+c.unaudited+c.phantom+c.corrupt > 0 {
		fmt.Printf("FAIL (seed %d, work directory %s kept)\n", *seed, c.dir)
		os.Exit(1)
	}
	if *dir == "" {
		os.RemoveAll(c.dir)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "crash:", err)
	os.Exit(2)
}

type campaign struct {
	bin, dir string
	workers  int
	verbose  bool
	rng      *rand.Rand

	srv     *server
	root    aws.Credentials
	account string
	policy  string // ARN of the managed policy AttachRolePolicy attaches
	role    string // ARN of the role AssumeRole assumes

	acked, lost, unaudited, phantom, corrupt, unknown int
}

// server is one run of the binary.
type server struct {
	cmd *exec.Cmd
	url string
}

func (c *campaign) dataDir() string { return filepath.Join(c.dir, "data") }

func (c *campaign) start() error {
	logf, err := os.OpenFile(filepath.Join(c.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", c.dataDir(), "--log-level", "warn")
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
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
	case u := <-ready:
		c.srv = &server{cmd: cmd, url: u}
		return nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return errors.New("server did not start (see serve.log)")
	}
}

func (c *campaign) kill() {
	_ = c.srv.cmd.Process.Kill()
	_ = c.srv.cmd.Wait()
}

func (c *campaign) cfg(creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(c.srv.url),
		Retryer:      sdktest.Retryer,
		HTTPClient:   &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
}

// setup starts the first server and creates what every round uses.
func (c *campaign) setup(ctx context.Context) error {
	if err := c.start(); err != nil {
		return err
	}
	root, err := readRoot(filepath.Join(c.dataDir(), "root-credentials"))
	if err != nil {
		return err
	}
	c.root = root
	id, err := sts.NewFromConfig(c.cfg(root)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	c.account = aws.ToString(id.Account)
	cl := iam.NewFromConfig(c.cfg(root))
	p, err := cl.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("crash-policy"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)})
	if err != nil {
		return err
	}
	c.policy = aws.ToString(p.Policy.Arn)
	r, err := cl.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("crash-assume"), AssumeRolePolicyDocument: aws.String(c.trust())})
	if err != nil {
		return err
	}
	c.role = aws.ToString(r.Role.Arn)
	return nil
}

func (c *campaign) trust() string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + c.account + `:root"},"Action":"sts:AssumeRole"}]}`
}

// Outcome of one step as the client saw it.
const (
	notTried = iota
	acked
	noAnswer // an error: the server died, or refused; either way unknown
)

// user is one worker's unit of work: a user and everything made for it,
// in order, with what the client saw of each step.
type user struct {
	name string
	step [nSteps]int
	key  string // the access key id CreateAccessKey returned
}

const (
	sCreateUser = iota
	sCreateAccessKey
	sUpdateAccessKey
	sPutUserPolicy
	sCreateRole
	sAttachRolePolicy
	sAssumeRole
	sGetCallerIdentity
	nSteps
)

var stepNames = [nSteps]string{"CreateUser", "CreateAccessKey", "UpdateAccessKey", "PutUserPolicy", "CreateRole", "AttachRolePolicy", "AssumeRole", "GetCallerIdentity"}

func (c *campaign) run(ctx context.Context, iters int) error {
	if err := c.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	for it := range iters {
		users, sessions, err := c.load(ctx, it)
		if err != nil {
			return fmt.Errorf("iteration %d: %w", it, err)
		}
		if err := c.start(); err != nil {
			return fmt.Errorf("iteration %d restart: %w", it, err)
		}
		if err := c.check(ctx, it, users, sessions); err != nil {
			return fmt.Errorf("iteration %d check: %w", it, err)
		}
	}
	c.kill()
	return nil
}

// load runs the workers until a random moment, kills the server there and
// returns what the workers did.
func (c *campaign) load(ctx context.Context, it int) ([]*user, []aws.Credentials, error) {
	cl := iam.NewFromConfig(c.cfg(c.root))
	st := sts.NewFromConfig(c.cfg(c.root))
	var (
		mu       sync.Mutex
		users    []*user
		sessions []aws.Credentials
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := range c.workers {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				u := &user{name: fmt.Sprintf("c%03d-w%02d-%05d", it, w, i)}
				mu.Lock()
				users = append(users, u)
				mu.Unlock()
				if creds, ok := c.work(ctx, cl, st, u); ok {
					mu.Lock()
					if len(sessions) < 32 {
						sessions = append(sessions, creds)
					}
					mu.Unlock()
				}
			}
		})
	}
	killAt := time.Duration(300+c.rng.IntN(1700)) * time.Millisecond
	if c.rng.IntN(3) == 0 {
		// Rotate the token keyring in the middle of the load.
		at := time.Duration(c.rng.IntN(int(killAt/time.Millisecond))) * time.Millisecond
		go func() {
			time.Sleep(at)
			_ = exec.Command(c.bin, "keys", "rotate", "--data-dir", c.dataDir()).Run()
		}()
	}
	time.Sleep(killAt)
	c.kill()
	stop.Store(true)
	wg.Wait()
	return users, sessions, nil
}

// work runs u's steps in order until one fails.
func (c *campaign) work(ctx context.Context, cl *iam.Client, st *sts.Client, u *user) (aws.Credentials, bool) {
	var sess aws.Credentials
	got := false
	do := func(s int, f func() error) bool {
		if err := f(); err != nil {
			u.step[s] = noAnswer
			return false
		}
		u.step[s] = acked
		return true
	}
	n := aws.String(u.name)
	_ = do(sCreateUser, func() error { _, err := cl.CreateUser(ctx, &iam.CreateUserInput{UserName: n}); return err }) &&
		do(sCreateAccessKey, func() error {
			out, err := cl.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: n})
			if err == nil {
				u.key = aws.ToString(out.AccessKey.AccessKeyId)
			}
			return err
		}) &&
		do(sUpdateAccessKey, func() error {
			_, err := cl.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: n, AccessKeyId: aws.String(u.key), Status: iamtypes.StatusTypeInactive})
			return err
		}) &&
		do(sPutUserPolicy, func() error {
			_, err := cl.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: n, PolicyName: aws.String("inline"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
			return err
		}) &&
		do(sCreateRole, func() error {
			_, err := cl.CreateRole(ctx, &iam.CreateRoleInput{RoleName: n, AssumeRolePolicyDocument: aws.String(c.trust())})
			return err
		}) &&
		do(sAttachRolePolicy, func() error {
			_, err := cl.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: n, PolicyArn: aws.String(c.policy)})
			return err
		}) &&
		do(sAssumeRole, func() error {
			out, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(c.role), RoleSessionName: n})
			if err == nil {
				sess = aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
					SessionToken: aws.ToString(out.Credentials.SessionToken)}
				got = true
			}
			return err
		}) &&
		do(sGetCallerIdentity, func() error { _, err := st.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); return err })
	return sess, got
}

// event is what the checks read of a record.
type event struct {
	EventID           string         `json:"eventID"`
	EventName         string         `json:"eventName"`
	ErrorCode         string         `json:"errorCode"`
	RequestParameters map[string]any `json:"requestParameters"`
	ResponseElements  map[string]any `json:"responseElements"`
}

func (e *event) param(k string) string { v, _ := e.RequestParameters[k].(string); return v }

// trail indexes events by name and the user or role they name: ok holds
// successes, unknown OutcomeUnknown events.
type trail struct {
	ok, unknown map[string]int
	okKeys      map[string]bool // access key ids of successful CreateAccessKey
}

func newTrail() *trail {
	return &trail{ok: map[string]int{}, unknown: map[string]int{}, okKeys: map[string]bool{}}
}

func (t *trail) add(e *event) {
	subject := e.param("userName")
	if subject == "" {
		subject = e.param("roleName")
	}
	if subject == "" {
		subject = e.param("roleSessionName")
	}
	k := e.EventName + " " + subject
	switch e.ErrorCode {
	case "":
		t.ok[k]++
		if e.EventName == "CreateAccessKey" {
			if ak, ok := e.ResponseElements["accessKey"].(map[string]any); ok {
				id, _ := ak["accessKeyId"].(string)
				t.okKeys[id] = true
			}
		}
	case "OutcomeUnknown":
		t.unknown[k]++
	}
}

// has reports whether the trail shows the change (success or unknown).
func (t *trail) has(name, subject string) bool {
	k := name + " " + subject
	return t.ok[k]+t.unknown[k] > 0
}

// readFiles reads every audit file; each line must be a whole record and
// each file must end with a newline (the torn tail of a crash is cut at
// restart).
func (c *campaign) readFiles() (*trail, int, error) {
	dir := filepath.Join(c.dataDir(), "audit")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	t := newTrail()
	corrupt := 0
	for _, de := range ents {
		if !strings.HasPrefix(de.Name(), "audit-") || !strings.HasSuffix(de.Name(), ".jsonl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			return nil, 0, err
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			fmt.Printf("  corrupt: %s does not end with a newline\n", de.Name())
			corrupt++
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			var e event
			if err := json.Unmarshal([]byte(line), &e); err != nil || e.EventID == "" {
				fmt.Printf("  corrupt: %s line %d is not a record: %.80s\n", de.Name(), i+1, line)
				corrupt++
				continue
			}
			t.add(&e)
		}
	}
	return t, corrupt, nil
}

// lookup reads, through LookupEvents, every event that names u.
func lookup(ctx context.Context, ct *cloudtrail.Client, name string, t *trail) error {
	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String(name)}}}
	for {
		page, err := ct.LookupEvents(ctx, in)
		for attempt := 1; err != nil && attempt < 3 && strings.Contains(err.Error(), "use of closed network connection"); attempt++ {
			// A known client-side race of the SDK's transport against a
			// loopback server that answers at once (see test/e2e's
			// lookupPage): the answer was complete; ask again.
			page, err = ct.LookupEvents(ctx, in)
		}
		if err != nil {
			return err
		}
		for _, ev := range page.Events {
			var e event
			if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &e); err != nil {
				return fmt.Errorf("LookupEvents returned a torn record: %w", err)
			}
			t.add(&e)
		}
		if page.NextToken == nil {
			return nil
		}
		in.NextToken = page.NextToken
	}
}

// check compares the store, the files and LookupEvents after a restart.
func (c *campaign) check(ctx context.Context, it int, users []*user, sessions []aws.Credentials) error {
	cl := iam.NewFromConfig(c.cfg(c.root))
	ct := cloudtrail.NewFromConfig(c.cfg(c.root))
	files, corrupt, err := c.readFiles()
	if err != nil {
		return err
	}
	ok, err := integrity(filepath.Join(c.dataDir(), "castellan.db"))
	if err != nil {
		return err
	}
	if !ok {
		corrupt++
	}
	var lost, unaudited, phantom, acks, unknown int
	report := func(kind *int, format string, a ...any) {
		*kind++
		fmt.Printf("  iteration %d: "+format+"\n", append([]any{it}, a...)...)
	}
	for _, u := range users {
		for s := range nSteps {
			switch u.step[s] {
			case acked:
				if s != sGetCallerIdentity && s != sAssumeRole {
					acks++
				}
			case noAnswer:
				unknown++
			}
		}
		if u.step[sCreateUser] == notTried {
			continue
		}
		looked := newTrail()
		if err := lookup(ctx, ct, u.name, looked); err != nil {
			return fmt.Errorf("LookupEvents %s: %w", u.name, err)
		}
		// What the store holds for u.
		_, err := cl.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(u.name)})
		userExists := err == nil
		if err != nil && !isNoSuchEntity(err) {
			return fmt.Errorf("GetUser %s: %w", u.name, err)
		}
		var keys []iamtypes.AccessKeyMetadata
		var policies []string
		roleExists, attached := false, false
		if userExists {
			lk, err := cl.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.name)})
			if err != nil {
				return err
			}
			keys = lk.AccessKeyMetadata
			lp, err := cl.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(u.name)})
			if err != nil {
				return err
			}
			policies = lp.PolicyNames
		}
		if _, err := cl.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(u.name)}); err == nil {
			roleExists = true
			la, err := cl.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(u.name)})
			if err != nil {
				return err
			}
			attached = len(la.AttachedPolicies) > 0
		} else if !isNoSuchEntity(err) {
			return err
		}
		inactive := false
		for _, k := range keys {
			inactive = inactive || k.Status == iamtypes.StatusTypeInactive
		}
		present := [nSteps]bool{
			sCreateUser: userExists, sCreateAccessKey: len(keys) > 0, sUpdateAccessKey: inactive,
			sPutUserPolicy: len(policies) > 0, sCreateRole: roleExists, sAttachRolePolicy: attached,
		}
		for s := sCreateUser; s <= sAttachRolePolicy; s++ {
			name := stepNames[s]
			if u.step[s] == acked && !present[s] {
				report(&lost, "lost: acknowledged %s %s is not in the store", name, u.name)
			}
			if u.step[s] == acked && s == sCreateAccessKey && !keyIn(keys, u.key) {
				report(&lost, "lost: acknowledged access key of %s is not in the store", u.name)
			}
			for src, t := range map[string]*trail{"files": files, "LookupEvents": looked} {
				if present[s] && !t.has(name, u.name) {
					report(&unaudited, "unaudited: %s %s committed but has no event in the %s", name, u.name, src)
				}
				if u.step[s] == acked && t.ok[name+" "+u.name] == 0 {
					report(&unaudited, "unaudited: acknowledged %s %s has no success event in the %s", name, u.name, src)
				}
				if !present[s] && t.ok[name+" "+u.name] > 0 {
					report(&phantom, "phantom: %s %s has a success event in the %s but is not in the store", name, u.name, src)
				}
			}
		}
		for _, k := range keys {
			if files.okKeys[aws.ToString(k.AccessKeyId)] || files.unknown["CreateAccessKey "+u.name] > 0 {
				continue
			}
			report(&unaudited, "unaudited: access key of %s has no CreateAccessKey event", u.name)
		}
		if u.step[sAssumeRole] == acked && files.ok["AssumeRole "+u.name] == 0 {
			report(&unaudited, "unaudited: acknowledged AssumeRole %s has no event", u.name)
		}
	}
	// Sessions issued before the crash still verify.
	for _, s := range sessions {
		if _, err := sts.NewFromConfig(c.cfg(s)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			report(&lost, "lost: a session issued before the crash no longer verifies: %v", err)
		}
	}
	acks += len(sessions)
	c.acked += acks
	c.lost += lost
	c.unaudited += unaudited
	c.phantom += phantom
	c.corrupt += corrupt
	c.unknown += unknown
	if c.verbose {
		fmt.Printf("iteration %3d: %d users, %d acknowledged writes, %d in flight at the kill, lost %d, unaudited %d, phantom %d, corrupt %d\n",
			it, len(users), acks, unknown, lost, unaudited, phantom, corrupt)
	}
	return nil
}

func keyIn(keys []iamtypes.AccessKeyMetadata, id string) bool {
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == id {
			return true
		}
	}
	return false
}

func isNoSuchEntity(err error) bool {
	var e *iamtypes.NoSuchEntityException
	return errors.As(err, &e)
}

// integrity runs PRAGMA integrity_check on the database (the server has
// it open; a second connection reads a consistent snapshot).
func integrity(path string) (bool, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return false, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		return false, err
	}
	if res != "ok" {
		fmt.Printf("  corrupt: integrity_check: %s\n", res)
	}
	return res == "ok", nil
}

// readRoot reads the root key from a shared-credentials file.
func readRoot(path string) (aws.Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return aws.Credentials{}, err
	}
	var c aws.Credentials
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, fmt.Errorf("%s: no root key", path)
	}
	return c, nil
}
