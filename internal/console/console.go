// Package console is Castellan's admin web console, served at /console/:
// server-rendered html/template pages over embedded assets, working
// without JavaScript. It signs people in itself (a user's IAM login
// profile and MFA device, or the root's access key) and then runs every
// page and action as the signed-in principal calling the API, through
// the edge's own in-process pipeline: the same policy engine decides, and
// the same CloudTrail events record it, with a userAgent naming the
// console. It holds no authority of its own.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// UserAgent is the userAgent of the console's calls on the audit trail
// and in aws:UserAgent.
const UserAgent = "castellan-console/1"

// Ops runs API operations in process as an authenticated principal
// (*server.Server implements it).
type Ops interface {
	Invoke(r *http.Request, call *identity.Call, service, action string, params url.Values) (any, error)
	InvokeJSON(r *http.Request, call *identity.Call, service, action string, body []byte) (any, error)
}

// Passwords checks console passwords and MFA codes (*iam.Service). The
// failed-authentication limits live behind CheckConsolePassword, so the
// console and any other sign-in path share one lockout.
type Passwords interface {
	CheckConsolePassword(ctx context.Context, userName, password string) (ok, resetRequired bool, err error)
	EnabledMFADevices(ctx context.Context, principalID string) ([]iam.MFADevice, error)
	VerifyMFA(ctx context.Context, principalID, serial, code string, now time.Time) error
}

// Directory is what sign-in reads from the store: the user behind a name,
// the root's access keys and the account alias.
type Directory interface {
	GetUser(ctx context.Context, accountID, name string) (store.User, error)
	GetAccessKey(ctx context.Context, id string) (store.AccessKey, error)
	ListAccountAliases(ctx context.Context, accountID string) ([]string, error)
}

// Sessions lists the session index (temporary credentials issued); may be nil.
type Sessions interface {
	ListSessions(ctx context.Context, opt store.SessionListOptions) ([]store.IssuedSession, error)
}

// Config wires a Console.
type Config struct {
	Ops       Ops
	Passwords Passwords
	Directory Directory
	Sessions  Sessions
	Account   string
	Region    string
	// Regions are the enabled regions (the Settings page shows them).
	Regions []string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Console is the /console/ handler.
type Console struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	pages   map[string]*template.Template
	store   *sessionStore
	handler http.Handler
}

// New returns a Console; its templates are parsed here, so a broken one
// fails at start-up, not on a request.
func New(cfg Config) (*Console, error) {
	if cfg.Ops == nil || cfg.Passwords == nil || cfg.Directory == nil || cfg.Account == "" {
		return nil, errors.New("console: Ops, Passwords, Directory and Account are required")
	}
	c := &Console{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	st, err := newSessionStore(c.now)
	if err != nil {
		return nil, err
	}
	c.store = st
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return "—"
	},
	"q":    url.QueryEscape,
	"path": url.PathEscape,
	"join": strings.Join,
}

func (c *Console) parseTemplates() error {
	c.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("console: template %s: %w", n, err)
		}
		c.pages[base] = t
	}
	return nil
}

// NavItems are the navigation links, in order (the contract's names).
var NavItems = []struct{ Name, Href string }{
	{"Dashboard", "/console/"},
	{"Users", "/console/users"},
	{"Groups", "/console/groups"},
	{"Roles", "/console/roles"},
	{"Policies", "/console/policies"},
	{"Sessions", "/console/sessions"},
	{"Audit", "/console/audit"},
	{"Credential report", "/console/credential-report"},
	{"Settings", "/console/settings"},
}

// view is what every page template receives.
type view struct {
	Title    string
	Nav      string
	Nav2     any
	Who      string
	Signed   bool
	Flash    string
	Error    *apiError
	Denied   *apiError
	Data     any
	Template string
}

// apiError is an API error as a page shows it.
type apiError struct {
	Code    string
	Message string
	Action  string
}

// render writes page name with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := c.pages[name]
	if t == nil {
		c.log.Error("console: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Template = name
	v.Nav2 = NavItems
	if s := sessionFrom(r); s != nil && s.signedIn() {
		v.Signed, v.Who = true, s.principal.ARN
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		c.log.Error("console: rendering", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// call runs an API operation as the signed-in principal.
func (c *Console) call(r *http.Request, service, action string, params url.Values) (any, error) {
	s := sessionFrom(r)
	if s == nil || !s.signedIn() {
		return nil, awserr.New(awserr.MissingAuthenticationToken)
	}
	call := &identity.Call{Caller: s.principal, Region: c.cfg.Region, UserAgent: UserAgent}
	if params == nil {
		params = url.Values{}
	}
	return c.cfg.Ops.Invoke(r, call, service, action, params)
}

// callJSON runs a JSON-protocol operation as the signed-in principal.
func (c *Console) callJSON(r *http.Request, service, action string, body []byte) (any, error) {
	s := sessionFrom(r)
	if s == nil || !s.signedIn() {
		return nil, awserr.New(awserr.MissingAuthenticationToken)
	}
	call := &identity.Call{Caller: s.principal, Region: c.cfg.Region, UserAgent: UserAgent}
	return c.cfg.Ops.InvokeJSON(r, call, service, action, body)
}

// asAPIError shapes err for a page; action is "iam:ListUsers".
func asAPIError(err error, action string) *apiError {
	var e *awserr.Error
	if errors.As(err, &e) {
		return &apiError{Code: string(e.Code), Message: e.Message, Action: action}
	}
	return &apiError{Code: string(awserr.InternalFailure), Message: "The request failed.", Action: action}
}

// isDenied reports whether err is an authorisation refusal (the page
// shows its explanation instead of its content).
func isDenied(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e) && (e.Code == awserr.AccessDenied || e.Code == awserr.InvalidClientTokenID)
}

// page renders a read page: on a denial, the page's AccessDenied
// explanation with status 403; on another error, the error.
func (c *Console) page(w http.ResponseWriter, r *http.Request, name, title, nav string, data any, err error, action string) {
	v := &view{Title: title, Nav: nav, Data: data}
	status := http.StatusOK
	if err != nil {
		ae := asAPIError(err, action)
		if isDenied(err) {
			v.Denied, status = ae, http.StatusForbidden
		} else {
			v.Error, status = ae, statusOf(err)
		}
		v.Data = nil
	}
	if f := r.URL.Query().Get("done"); f != "" && len(f) < 200 {
		v.Flash = f
	}
	c.render(w, r, status, name, v)
}

func statusOf(err error) int {
	var e *awserr.Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status
	}
	return http.StatusInternalServerError
}

// redirect answers a successful POST (post/redirect/get) with a note.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
