package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/castellan-sts/castellan/internal/app"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

// The store the page benchmark runs on: the size of the issue's "done
// when" (10,000 users, 20,000 keys, 1,000,000 audit events).
const (
	benchUsers  = 10_000
	benchEvents = 1_000_000
	// benchBurst is how many events one simulated client call burst
	// makes: the same call, user and key within one second (an SDK
	// retry loop, a health check), as the audit store groups them.
	benchBurst = 16
)

func benchUser(i int) string   { return fmt.Sprintf("user-%05d", i) }
func benchKey(i, k int) string { return fmt.Sprintf("AKIABENCH%06d%01d", i, k) }

// benchEventNames are the calls of the seeded trail, most of them reads.
var benchEventNames = []struct{ name, source string }{
	{"GetCallerIdentity", "sts.amazonaws.com"}, {"GetCallerIdentity", "sts.amazonaws.com"},
	{"AssumeRole", "sts.amazonaws.com"}, {"GetUser", "iam.amazonaws.com"},
	{"ListUsers", "iam.amazonaws.com"}, {"ListAccessKeys", "iam.amazonaws.com"},
	{"GetSessionToken", "sts.amazonaws.com"}, {"ListRoles", "iam.amazonaws.com"},
}

// seedBenchStore fills the SQLite store of dataDir (bootstrapped by a
// first app.New) directly through the store: users and keys one insert
// each, the audit trail in large batches of CloudTrail records.
func seedBenchStore(b *testing.B, dataDir, account string, now time.Time) {
	b.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = dataDir
	mk, _, err := secret.LoadOrCreateMasterKey("", cfg.MasterKeyPath())
	if err != nil {
		b.Fatal(err)
	}
	box, err := secret.NewBox(mk)
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.Open(ctx, cfg.SQLitePath(), box, sqlite.WithSynchronousNormal())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(1, 19))
	day := 24 * time.Hour
	var uses []store.KeyUse
	for i := range benchUsers {
		uid := fmt.Sprintf("AIDABENCH%011d", i)
		created := now.Add(-time.Duration(200+rng.IntN(400)) * day)
		if err := st.CreateUser(ctx, store.User{AccountID: account, ID: uid, Name: benchUser(i), Path: "/", CreatedAt: created}); err != nil {
			b.Fatal(err)
		}
		for k := range 2 {
			id := benchKey(i, k)
			kc := created.Add(time.Duration(rng.IntN(180)) * day)
			status := store.KeyActive
			if k == 1 && i%3 == 0 {
				status = store.KeyInactive
			}
			if err := st.CreateAccessKey(ctx, store.AccessKey{AccountID: account, ID: id, UserID: uid, UserName: benchUser(i),
				Secret: secret.New(fmt.Sprintf("benchsecret%029d", i*2+k)), Status: status, CreatedAt: kc}, 2); err != nil {
				b.Fatal(err)
			}
			if rng.IntN(3) > 0 {
				uses = append(uses, store.KeyUse{AccessKeyID: id, At: now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour), Service: "sts", Region: "us-east-1"})
			}
		}
	}
	if err := st.RecordKeyUse(ctx, uses); err != nil {
		b.Fatal(err)
	}
	tUsers := time.Since(t0)
	// The trail: bursts spread evenly over the last 30 days, oldest first,
	// one in 40 of them refused.
	span := 30 * day
	bursts := benchEvents / benchBurst
	batch := make([]store.AuditEvent, 0, 8192)
	for n := range bursts {
		at := now.Add(-span + time.Duration(int64(span)/int64(bursts)*int64(n))).Truncate(time.Second)
		u := rng.IntN(benchUsers)
		key := benchKey(u, 0)
		call := benchEventNames[rng.IntN(len(benchEventNames))]
		errPart := ""
		if n%40 == 7 {
			call = struct{ name, source string }{"CreateUser", "iam.amazonaws.com"}
			errPart = `"errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::` + account + `:user/` + benchUser(u) +
				` is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::` + account + `:user/x because no identity-based policy allows the iam:CreateUser action",`
		}
		ro := call.name != "AssumeRole" && call.name != "CreateUser" && call.name != "GetSessionToken"
		for j := range benchBurst {
			id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", n, j, n%4096, j, n*benchBurst+j)
			rec := fmt.Sprintf(`{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDABENCH%011d","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"%s","userName":"%s"},`+
				`"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"10.0.%d.%d","userAgent":"aws-cli/2.22.0 md/command#%s",%s`+
				`"requestParameters":null,"responseElements":null,"requestID":"%08x-0000-4000-8000-%012x","eventID":"%s","readOnly":%t,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%s","eventCategory":"Management"}`,
				u, account, benchUser(u), account, key, benchUser(u), at.UTC().Format(time.RFC3339), call.source, call.name, u/256, u%256, call.name, errPart,
				n, j, id, ro, account)
			batch = append(batch, store.AuditEvent{ID: id, Time: at, Name: call.name, Source: call.source, Username: benchUser(u),
				AccessKeyID: key, ReadOnly: ro, Record: []byte(rec)})
		}
		if len(batch) >= 8000 || n == bursts-1 {
			if _, err := st.AppendAuditEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("seeded %d users and %d keys in %v, %d audit events in %v", benchUsers, 2*benchUsers, tUsers.Round(time.Millisecond),
		benchEvents, (time.Since(t0) - tUsers).Round(time.Millisecond))
}

// timings records each request's time in the server's handler, by page.
type timings struct {
	mu sync.Mutex
	d  map[string][]time.Duration
}

func (tm *timings) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		if page := r.Header.Get("X-Bench-Page"); page != "" {
			tm.mu.Lock()
			tm.d[page] = append(tm.d[page], time.Since(start))
			tm.mu.Unlock()
		}
	})
}

func (tm *timings) take(page string) []time.Duration {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	d := tm.d[page]
	delete(tm.d, page)
	return d
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// BenchmarkConsolePages measures the server time of every console page,
// signed in as the root, on a store with 10,000 users, 20,000 access keys
// and 1,000,000 audit events. Each sub-benchmark reports the page's p95
// and p50 server time (the time in the handler, without the client); the
// target is p95 ≤ 50 ms. Seeding takes a minute or so; run it alone with
//
//	go test -run '^$' -bench ConsolePages -benchtime 40x ./test/console/
func BenchmarkConsolePages(b *testing.B) {
	dir := b.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	boot := config.Default()
	boot.DataDir = dir
	a, err := app.New(context.Background(), boot, app.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	account := a.AccountID()
	a.Close()
	now := time.Now()
	seedBenchStore(b, dir, account, now)

	tm := &timings{d: map[string][]time.Duration{}}
	e := newEnvWrapped(b, tm.wrap, func(c *config.Config) { c.DataDir = dir })
	ctx := context.Background()
	root := e.iam(e.root)
	// A denied call of a read-only user, for the Why denied page, and a
	// group, role and policy for their pages.
	e.seedUser("reader", "Correct-horse-1", []string{"ReadOnly"}, false)
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		b.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.account + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		b.Fatal(err)
	}
	rk, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})
	if err != nil {
		b.Fatal(err)
	}
	reader := e.iam(aws.Credentials{AccessKeyID: *rk.AccessKey.AccessKeyId, SecretAccessKey: *rk.AccessKey.SecretAccessKey})
	if _, err := reader.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("not-allowed")}); err == nil {
		b.Fatal("the read-only user created a user")
	}
	if _, err := root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if _, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); err == nil {
			break
		} else if time.Now().After(deadline) {
			b.Fatalf("credential report: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	br := e.browser()
	br.loginRoot()
	// The denied event's links come from the audit page, as a person
	// would follow them.
	var denied *resp
	for deadline := time.Now().Add(30 * time.Second); ; {
		denied = br.get("/console/audit?key=Username&value=reader")
		if regexp.MustCompile(`/console/audit/why\?`).MatchString(denied.body) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	why := regexp.MustCompile(`href="(/console/audit/why\?[^"]+)"`).FindStringSubmatch(denied.body)
	ev := regexp.MustCompile(`href="(/console/audit/event\?[^"]+)"`).FindStringSubmatch(denied.body)
	if why == nil || ev == nil {
		b.Fatalf("no denied event of reader on the audit page:\n%s", denied.body)
	}
	unescape := func(s string) string { return regexp.MustCompile(`&amp;`).ReplaceAllString(s, "&") }
	since := now.Add(-3 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")
	until := now.Add(-2 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")
	pages := []struct{ name, path string }{
		{"dashboard", "/console/"},
		{"users", "/console/users"},
		{"users-sorted", "/console/users?sort=keyage"},
		{"users-filtered", "/console/users?filter=user-0999"},
		{"user", "/console/users/" + benchUser(5000)},
		{"groups", "/console/groups"},
		{"group", "/console/groups/ops"},
		{"roles", "/console/roles"},
		{"role", "/console/roles/deploy"},
		{"policies", "/console/policies"},
		{"policies-aws", "/console/policies?scope=AWS"},
		{"policy", "/console/policy?arn=" + url.QueryEscape("arn:aws:iam::"+e.account+":policy/ReadOnly")},
		{"sessions", "/console/sessions"},
		{"audit", "/console/audit"},
		{"audit-user", "/console/audit?key=Username&value=" + benchUser(5000)},
		{"audit-key", "/console/audit?key=AccessKeyId&value=" + benchKey(5000, 0)},
		{"audit-rare-name", "/console/audit?key=EventName&value=CreateUser"},
		{"audit-time-range", "/console/audit?start=" + since + "&end=" + until},
		{"event", unescape(ev[1])},
		{"why-denied", unescape(why[1])},
		{"credential-report", "/console/credential-report"},
		{"settings", "/console/settings"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			tm.take(p.name)
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+p.path, nil)
				req.Header.Set("X-Bench-Page", p.name)
				r := br.do(req)
				if r.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d\n%s", p.path, r.StatusCode, r.body)
				}
			}
			d := tm.take(p.name)
			b.ReportMetric(float64(percentile(d, 0.95).Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(percentile(d, 0.50).Microseconds())/1000, "p50-ms")
		})
	}
}
