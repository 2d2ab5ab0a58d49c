package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/net/html"

	"github.com/castellan-sts/castellan/internal/config"
)

// pageProblems parses a page and lists what breaks the console's
// accessibility contract: exactly one h1; every visible form control
// labelled (label for=, or aria-label); every header cell of a thead with
// scope; every id unique.
func pageProblems(body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return []string{"not HTML: " + err.Error()}
	}
	var probs []string
	h1 := 0
	labels := map[string]bool{}
	ids := map[string]int{}
	var controls []*html.Node
	var walk func(n *html.Node, inThead bool)
	walk = func(n *html.Node, inThead bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "h1":
				h1++
			case "label":
				if f := attr(n, "for"); f != "" {
					labels[f] = true
				}
			case "input", "select", "textarea":
				if t := attr(n, "type"); t != "hidden" && t != "submit" {
					controls = append(controls, n)
				}
			case "thead":
				inThead = true
			case "th":
				if inThead && attr(n, "scope") == "" {
					probs = append(probs, "th without scope in thead")
				}
			}
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inThead)
		}
	}
	walk(doc, false)
	if h1 != 1 {
		probs = append(probs, fmt.Sprintf("%d h1 elements, want 1", h1))
	}
	for _, c := range controls {
		if id := attr(c, "id"); (id == "" || !labels[id]) && attr(c, "aria-label") == "" {
			probs = append(probs, fmt.Sprintf("unlabelled <%s name=%q>", c.Data, attr(c, "name")))
		}
	}
	for id, n := range ids {
		if n > 1 {
			probs = append(probs, fmt.Sprintf("id %q used %d times", id, n))
		}
	}
	return probs
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// h1Of returns the text of the page's h1.
func h1Of(body string) string {
	m := regexp.MustCompile(`(?s)<h1>(.*?)</h1>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// labelFor reports whether the page has a control labelled text.
func hasLabel(body, text string) bool {
	return strings.Contains(body, ">"+text+"</label>")
}

func TestSignInPageNamesAndSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.get("/console/login")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /console/login = %d", r.StatusCode)
	}
	for _, l := range []string{"Account", "User name", "Password", "Access key ID", "Secret access key"} {
		if !hasLabel(r.body, l) {
			t.Errorf("sign-in page has no field labelled %q", l)
		}
	}
	if strings.Count(r.body, ">Sign in</button>") != 2 {
		t.Errorf("sign-in page: want two Sign in buttons")
	}
	if p := pageProblems(r.body); len(p) > 0 {
		t.Errorf("sign-in page: %v", p)
	}
	if got := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'") {
		t.Errorf("CSP = %q", got)
	}
	// Every page but the sign-in page needs a session.
	if r := b.get("/console/users"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/console/login") {
		t.Errorf("GET /console/users signed out = %d %s, want a redirect to sign-in", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestEveryPageRendersAccessibleHTML(t *testing.T) {
	e := newEnv(t)
	e.seedUser("alice", "Correct-horse-1", []string{"ReadOnly"}, false)
	ctx := context.Background()
	root := e.iam(e.root)
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e.account + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	pol, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p1"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Policy.Arn, SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUsers"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.loginRoot()
	pages := map[string]string{
		"/console/":                   "Dashboard",
		"/console/users":              "Users",
		"/console/users/alice":        "User alice",
		"/console/groups":             "Groups",
		"/console/groups/ops":         "Group ops",
		"/console/roles":              "Roles",
		"/console/roles/deploy":       "Role deploy",
		"/console/policies":           "Policies",
		"/console/policies?scope=AWS": "Policies",
		"/console/policy?arn=" + url.QueryEscape(*pol.Policy.Arn) + "&compare=v1": "Policy p1",
		"/console/sessions":          "Sessions",
		"/console/audit":             "Audit",
		"/console/credential-report": "Credential report",
		"/console/settings":          "Settings",
		"/console/change-password":   "Change password",
		"/console/no-such-page":      "Page not found",
	}
	for path, h1 := range pages {
		r := b.get(path)
		if r.StatusCode != http.StatusOK && !(path == "/console/no-such-page" && r.StatusCode == http.StatusNotFound) {
			t.Errorf("GET %s = %d\n%s", path, r.StatusCode, r.body)
			continue
		}
		if got := h1Of(r.body); got != h1 {
			t.Errorf("GET %s: h1 %q, want %q", path, got, h1)
		}
		if p := pageProblems(r.body); len(p) > 0 {
			t.Errorf("GET %s: %v", path, p)
		}
		for _, n := range []string{"Dashboard", "Users", "Groups", "Roles", "Policies", "Sessions", "Audit", "Credential report", "Settings"} {
			if !strings.Contains(r.body, ">"+n+"</a>") {
				t.Errorf("GET %s: no navigation link %q", path, n)
			}
		}
		if !strings.Contains(r.body, ">Sign out</button>") {
			t.Errorf("GET %s: no Sign out button", path)
		}
	}
	// The audit page lists events, and each has an event page.
	r := b.get("/console/audit?key=EventName&value=CreateUser")
	ids := regexp.MustCompile(`/console/audit/event\?id=([0-9a-f-]+)`).FindAllStringSubmatch(r.body, -1)
	if len(ids) == 0 {
		t.Fatalf("audit page lists no CreateUser event:\n%s", r.body)
	}
	ev := b.get("/console/audit/event?id=" + ids[0][1])
	if ev.StatusCode != http.StatusOK || h1Of(ev.body) != "Event" || len(pageProblems(ev.body)) > 0 {
		t.Errorf("event page: %d %q %v", ev.StatusCode, h1Of(ev.body), pageProblems(ev.body))
	}
}

func TestWrongCredentialsAllGiveTheSameMessage(t *testing.T) {
	e := newEnv(t)
	e.seedUser("bob", "Correct-horse-1", nil, false)
	b := e.browser()
	cases := []struct {
		name string
		form url.Values
	}{
		{"wrong password", url.Values{"account": {e.account}, "username": {"bob"}, "password": {"nope"}}},
		{"unknown user", url.Values{"account": {e.account}, "username": {"nobody"}, "password": {"Correct-horse-1"}}},
		{"wrong account", url.Values{"account": {"111122223333"}, "username": {"bob"}, "password": {"Correct-horse-1"}}},
		{"wrong root secret", url.Values{"form": {"root"}, "access_key_id": {e.root.AccessKeyID}, "secret_access_key": {"x" + e.root.SecretAccessKey}}},
		{"unknown root key", url.Values{"form": {"root"}, "access_key_id": {"AKIAIOSFODNN7EXAMPLE"}, "secret_access_key": {e.root.SecretAccessKey}}},
	}
	for _, tc := range cases {
		r := b.post("/console/login", tc.form)
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "Your authentication information is incorrect. Please try again.") {
			t.Errorf("%s: status %d, body lacks the common message", tc.name, r.StatusCode)
		}
		if c := r.Header.Get("Set-Cookie"); c != "" {
			t.Errorf("%s: a failed sign-in set a cookie: %s", tc.name, c)
		}
	}
	if r := b.loginUser("bob", "Correct-horse-1"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password: status %d", r.StatusCode)
	}
}

func TestSessionCookieAttributesAndSignOutRevokes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.post("/console/login", url.Values{"form": {"root"}, "access_key_id": {e.root.AccessKeyID}, "secret_access_key": {e.root.SecretAccessKey}})
	ck := r.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("Set-Cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, e.root.AccessKeyID) || strings.Contains(ck, "arn:") {
		t.Errorf("cookie reveals the principal: %s", ck)
	}
	stolen := b.jar.Cookies(mustURL(e.srv.URL + "/console/"))
	if r := b.get("/console/"); r.StatusCode != http.StatusOK {
		t.Fatalf("dashboard after sign-in = %d", r.StatusCode)
	}
	b.post("/console/logout", nil)
	// The server forgot the session: replaying the old cookie fails.
	replay := e.browser()
	replay.jar.SetCookies(mustURL(e.srv.URL+"/console/"), stolen)
	if r := replay.get("/console/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("old cookie after sign-out: status %d, want a redirect to sign-in", r.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.loginRoot()
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/users", strings.NewReader("username=mallory"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if r := b.do(req); r.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST with %v = %d, want 403", hdr, r.StatusCode)
		}
	}
	if _, err := e.iam(e.root).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("mallory")}); err == nil {
		t.Errorf("a cross-origin POST created a user")
	}
	if r := b.post("/console/users", url.Values{"username": {"carol"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin POST = %d, want 303", r.StatusCode)
	}
}

func TestSessionExpiresWhenIdleAndAtAbsoluteLimit(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now()
	e.clock.Set(t0)
	b := e.browser()
	b.loginRoot()
	e.clock.Set(t0.Add(14 * time.Minute))
	if r := b.get("/console/"); r.StatusCode != http.StatusOK {
		t.Fatalf("after 14 idle minutes: %d, want 200", r.StatusCode)
	}
	e.clock.Set(t0.Add(14*time.Minute + 15*time.Minute))
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after 15 idle minutes: %d, want a redirect to sign-in", r.StatusCode)
	}

	b = e.browser()
	e.clock.Set(t0)
	b.loginRoot()
	for m := 10; m < 12*60; m += 10 { // active every 10 minutes
		e.clock.Set(t0.Add(time.Duration(m) * time.Minute))
		if r := b.get("/console/sessions"); r.StatusCode != http.StatusOK {
			t.Fatalf("active session at %d minutes: %d", m, r.StatusCode)
		}
	}
	e.clock.Set(t0.Add(12 * time.Hour))
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after 12 hours: %d, want a redirect to sign-in", r.StatusCode)
	}
}

func TestUserWithoutListUsersSeesTheExplanation(t *testing.T) {
	e := newEnv(t)
	e.seedUser("dave", "Correct-horse-1", nil, false)
	b := e.browser()
	if r := b.loginUser("dave", "Correct-horse-1"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	r := b.get("/console/users")
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("users page for a user without iam:ListUsers = %d, want 403", r.StatusCode)
	}
	want := "User: arn:aws:iam::" + e.account + ":user/dave is not authorized to perform: iam:ListUsers"
	if !strings.Contains(html.UnescapeString(r.body), want) || !strings.Contains(r.body, "Access denied") {
		t.Errorf("users page lacks the AccessDenied explanation %q:\n%s", want, r.body)
	}
	if p := pageProblems(r.body); len(p) > 0 {
		t.Errorf("denied page: %v", p)
	}
	// The refusal is on the trail as the API call it stands for, made by
	// dave from the console.
	var found bool
	for _, ev := range lookupEvents(t, e, "Username", "dave") {
		if ev["eventName"] == "ListUsers" && ev["errorCode"] == "AccessDenied" && strings.HasPrefix(fmt.Sprint(ev["userAgent"]), "castellan-console/") {
			found = true
		}
	}
	if !found {
		t.Errorf("no AccessDenied ListUsers event by dave with the console's userAgent")
	}
}

// lookupEvents reads events through the console as root (LookupEvents).
func lookupEvents(t *testing.T, e *env, key, value string) []map[string]any {
	t.Helper()
	b := e.browser()
	b.loginRoot()
	r := b.get("/console/audit?format=json&key=" + url.QueryEscape(key) + "&value=" + url.QueryEscape(value))
	var out struct{ Records []map[string]any }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("audit JSON export: %v\n%s", err, r.body)
	}
	return out.Records
}

func TestReadOnlyUserReadsAndIsRefusedChanges(t *testing.T) {
	e := newEnv(t)
	e.seedUser("reader", "Correct-horse-1", []string{"ReadOnly"}, false)
	b := e.browser()
	b.loginUser("reader", "Correct-horse-1")
	for _, p := range []string{"/console/", "/console/users", "/console/users/reader", "/console/groups", "/console/roles", "/console/policies", "/console/settings"} {
		if r := b.get(p); r.StatusCode != http.StatusOK {
			t.Errorf("read-only GET %s = %d", p, r.StatusCode)
		}
	}
	r := b.post("/console/users", url.Values{"username": {"eve"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(html.UnescapeString(r.body), "is not authorized to perform: iam:CreateUser") {
		t.Errorf("read-only CreateUser = %d:\n%s", r.StatusCode, r.body)
	}
}

func TestMFASecondStepAndPasswordResetRequired(t *testing.T) {
	e := newEnv(t)
	seed := e.seedUser("frank", "Correct-horse-1", []string{"ChangePassword"}, true)
	if _, err := e.iam(e.root).UpdateLoginProfile(context.Background(), &iam.UpdateLoginProfileInput{UserName: aws.String("frank"), PasswordResetRequired: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	r := b.loginUser("frank", "Correct-horse-1")
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/console/login/mfa") {
		t.Fatalf("password of an MFA user: redirect to %q, want the MFA step", loc)
	}
	// Before the MFA step, nothing is reachable.
	if r := b.get("/console/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("dashboard before MFA: %d", r.StatusCode)
	}
	mfa := b.get("/console/login/mfa")
	if !hasLabel(mfa.body, "MFA code") || len(pageProblems(mfa.body)) > 0 {
		t.Errorf("MFA page: %v", pageProblems(mfa.body))
	}
	if r := b.post("/console/login/mfa", url.Values{"code": {"000000"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong MFA code: %d", r.StatusCode)
	}
	// The enable step used the codes of now-30s and now; the next one is valid.
	r = b.post("/console/login/mfa", url.Values{"code": {totpCode(t, seed, e.clock.Now().Add(30*time.Second))}})
	if loc := r.Header.Get("Location"); loc != "/console/change-password" {
		t.Fatalf("after MFA with PasswordResetRequired: %d → %q, want the change-password page", r.StatusCode, loc)
	}
	if r := b.get("/console/users"); r.Header.Get("Location") != "/console/change-password" {
		t.Errorf("other pages before the change: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// The account password policy applies to the new password.
	r = b.post("/console/change-password", url.Values{"old_password": {"Correct-horse-1"}, "new_password": {"short"}, "confirm_password": {"short"}})
	if !strings.Contains(r.body, "Password does not conform to the account password policy.") {
		t.Errorf("weak new password: %d\n%s", r.StatusCode, r.body)
	}
	r = b.post("/console/change-password", url.Values{"old_password": {"Correct-horse-1"}, "new_password": {"Battery-staple-2"}, "confirm_password": {"Battery-staple-2"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d\n%s", r.StatusCode, r.body)
	}
	if r := b.get("/console/"); r.StatusCode != http.StatusOK {
		t.Errorf("dashboard after the change: %d", r.StatusCode)
	}
}

func TestDestructiveActionsAskForConfirmation(t *testing.T) {
	e := newEnv(t)
	e.seedUser("gina", "Correct-horse-1", nil, false)
	ctx := context.Background()
	k, err := e.iam(e.root).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gina")})
	if err != nil {
		t.Fatal(err)
	}
	id := *k.AccessKey.AccessKeyId
	b := e.browser()
	b.loginRoot()
	r := b.post("/console/users/gina/deactivate-key", url.Values{"access_key_id": {id}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, ">Confirm</button>") {
		t.Fatalf("deactivate without confirmation: %d, want the confirmation page", r.StatusCode)
	}
	keys, _ := e.iam(e.root).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("gina")})
	if keys.AccessKeyMetadata[0].Status != "Active" {
		t.Fatalf("the key was deactivated before confirmation")
	}
	r = b.post("/console/users/gina/deactivate-key", url.Values{"access_key_id": {id}, "confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed deactivate: %d\n%s", r.StatusCode, r.body)
	}
	keys, _ = e.iam(e.root).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("gina")})
	if keys.AccessKeyMetadata[0].Status != "Inactive" {
		t.Errorf("confirmed deactivate left the key %s", keys.AccessKeyMetadata[0].Status)
	}
	for _, p := range []string{"/console/users/gina/delete-key", "/console/users/gina/delete"} {
		if r := b.post(p, url.Values{"access_key_id": {id}}); !strings.Contains(r.body, ">Confirm</button>") {
			t.Errorf("POST %s without confirmation did not ask", p)
		}
	}
}

func TestCreateKeyShowsSecretOnce(t *testing.T) {
	e := newEnv(t)
	e.seedUser("hank", "Correct-horse-1", nil, false)
	b := e.browser()
	b.loginRoot()
	r := b.post("/console/users/hank/create-key", nil)
	m := regexp.MustCompile(`id="new-secret" readonly value="([^"]+)"`).FindStringSubmatch(r.body)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create key: %d, no secret shown\n%s", r.StatusCode, r.body)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the secret's page may be cached: Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	if again := b.get("/console/users/hank"); strings.Contains(again.body, m[1]) {
		t.Errorf("the secret is shown again on the user page")
	}
	for _, ev := range lookupEvents(t, e, "EventName", "CreateAccessKey") {
		if b, _ := json.Marshal(ev); strings.Contains(string(b), m[1]) {
			t.Errorf("the secret is on the audit trail")
		}
	}
}

func TestWhyDeniedExplainsARecordedDenial(t *testing.T) {
	e := newEnv(t)
	e.seedUser("ivan", "Correct-horse-1", nil, false)
	b := e.browser()
	b.loginUser("ivan", "Correct-horse-1")
	b.get("/console/users") // denied: no policy
	rb := e.browser()
	rb.loginRoot()
	r := rb.get("/console/audit?key=EventName&value=ListUsers")
	m := regexp.MustCompile(`/console/audit/why\?id=([0-9a-f-]+)`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("audit page has no Why denied link:\n%s", r.body)
	}
	w := rb.get("/console/audit/why?id=" + m[1])
	body := html.UnescapeString(w.body)
	for _, want := range []string{"no Allow in identity-based policies", `"Action":"iam:ListUsers"`, "aws:username", "as they were then"} {
		if !strings.Contains(body, want) {
			t.Errorf("Why denied lacks %q:\n%s", want, body)
		}
	}
	if p := pageProblems(w.body); len(p) > 0 {
		t.Errorf("Why denied page: %v", p)
	}
}

func TestLockoutMessageAfterRepeatedFailures(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now()
	e.clock.Set(t0)
	e.seedUser("judy", "Correct-horse-1", nil, false)
	b := e.browser()
	for range 5 {
		b.loginUser("judy", "wrong")
	}
	r := b.loginUser("judy", "Correct-horse-1")
	if r.StatusCode == http.StatusSeeOther {
		t.Fatalf("the right password signed in after 5 failures: the lockout (iam.CheckConsolePassword, 5 failures → 15 minutes) did not hold")
	}
	if !strings.Contains(r.body, "Too many failed sign-in attempts") && !strings.Contains(r.body, "Your authentication information is incorrect") {
		t.Errorf("locked-out sign-in: %d\n%s", r.StatusCode, r.body)
	}
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("locked-out sign-in: status %d, want 401", r.StatusCode)
	}
	e.clock.Set(t0.Add(14 * time.Minute))
	if r := b.loginUser("judy", "Correct-horse-1"); r.StatusCode == http.StatusSeeOther {
		t.Errorf("the right password signed in 14 minutes into the lockout")
	}
	e.clock.Set(t0.Add(15*time.Minute + time.Second))
	if r := b.loginUser("judy", "Correct-horse-1"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in after the 15-minute lockout: status %d, want 303\n%s", r.StatusCode, r.body)
	}
}

func TestConsoleOffServesNoConsole(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Console = false })
	r := e.browser().get("/console/login")
	if r.StatusCode == http.StatusOK || strings.Contains(r.body, "<h1>Sign in</h1>") {
		t.Errorf("--console=false: GET /console/login = %d with the sign-in page", r.StatusCode)
	}
}

// TestDashboardCountsOnlyTheCallersSessions: a user sees the number of
// their own console sessions, as the Sessions page lists them; the root
// sees every one.
func TestDashboardCountsOnlyTheCallersSessions(t *testing.T) {
	e := newEnv(t)
	e.seedUser("kim", "Correct-horse-1", []string{"ReadOnly"}, false)
	e.browser().loginRoot()
	e.browser().loginRoot()
	b := e.browser()
	if r := b.loginUser("kim", "Correct-horse-1"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	count := regexp.MustCompile(`Active console sessions</dt><dd>(\d+)<`)
	if m := count.FindStringSubmatch(b.get("/console/").body); m == nil || m[1] != "1" {
		t.Errorf("kim's dashboard: %v, want a count of 1 (her own session)", m)
	}
	rb := e.browser()
	rb.loginRoot()
	if m := count.FindStringSubmatch(rb.get("/console/").body); m == nil || m[1] != "4" {
		t.Errorf("the root's dashboard: %v, want a count of 4", m)
	}
}
