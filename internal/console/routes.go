package console

import (
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// contentSecurityPolicy allows only the console's own assets: no inline
// script or style, no third-party request, no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// maxFormBytes bounds a console form (a policy document is at most a few KB).
const maxFormBytes = 64 << 10

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.loginPost)
	mux.HandleFunc("GET /console/login/mfa", c.mfaPage)
	mux.HandleFunc("POST /console/login/mfa", c.mfaPost)
	mux.HandleFunc("GET /console/change-password", c.signedIn(c.changePasswordPage))
	mux.HandleFunc("POST /console/change-password", c.signedIn(c.changePasswordPost))
	mux.HandleFunc("POST /console/logout", c.logout)

	mux.HandleFunc("GET /console/{$}", c.app(c.dashboard))
	mux.HandleFunc("GET /console/users", c.app(c.users))
	mux.HandleFunc("POST /console/users", c.app(c.createUser))
	mux.HandleFunc("GET /console/users/{name}", c.app(c.userDetail))
	mux.HandleFunc("POST /console/users/{name}/{action}", c.app(c.userAction))
	mux.HandleFunc("GET /console/groups", c.app(c.groups))
	mux.HandleFunc("POST /console/groups", c.app(c.createGroup))
	mux.HandleFunc("GET /console/groups/{name}", c.app(c.groupDetail))
	mux.HandleFunc("GET /console/roles", c.app(c.roles))
	mux.HandleFunc("GET /console/roles/{name}", c.app(c.roleDetail))
	mux.HandleFunc("GET /console/policies", c.app(c.policies))
	mux.HandleFunc("POST /console/policies", c.app(c.createPolicy))
	mux.HandleFunc("GET /console/policy", c.app(c.policyDetail))
	mux.HandleFunc("POST /console/policy", c.app(c.policyAction))
	mux.HandleFunc("GET /console/sessions", c.app(c.sessions))
	mux.HandleFunc("POST /console/sessions/revoke", c.app(c.revokeSession))
	mux.HandleFunc("GET /console/audit", c.app(c.audit))
	mux.HandleFunc("GET /console/audit/event", c.app(c.auditEvent))
	mux.HandleFunc("GET /console/audit/why", c.app(c.whyDenied))
	mux.HandleFunc("GET /console/credential-report", c.app(c.credentialReport))
	mux.HandleFunc("GET /console/settings", c.app(c.settings))
	mux.HandleFunc("POST /console/settings", c.app(c.settingsPost))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
	})

	cop := http.NewCrossOriginProtection()
	protected := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if s := c.store.lookup(r); s != nil {
			r = withSession(r, s)
		}
		protected.ServeHTTP(w, r)
	})
}

// signedIn requires a signed-in session; others go to the sign-in page.
func (c *Console) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sessionFrom(r)
		if !s.signedIn() {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.render(w, r, http.StatusUnauthorized, "login", &view{Title: "Sign in", Data: loginData{Message: "Your session has ended. Sign in again."}})
			return
		}
		h(w, r)
	}
}

// app is signedIn plus the password-reset rule: a user who must change
// their password sees nothing else first.
func (c *Console) app(h http.HandlerFunc) http.HandlerFunc {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request) {
		if sessionFrom(r).mustChange {
			http.Redirect(w, r, "/console/change-password", http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

// confirmData is the confirmation page of a destructive action.
type confirmData struct {
	Question string
	Action   string
	Fields   []field
	Cancel   string
}

type field struct{ Name, Value string }

// confirmed reports whether a destructive POST was confirmed; if not, it
// renders the confirmation page (which re-posts the same form with
// confirm=yes) and the handler must return.
func (c *Console) confirmed(w http.ResponseWriter, r *http.Request, question, cancel string) bool {
	if r.PostFormValue("confirm") == "yes" {
		return true
	}
	var fields []field
	for k, vs := range r.PostForm {
		if k == "confirm" {
			continue
		}
		for _, v := range vs {
			fields = append(fields, field{k, v})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	c.render(w, r, http.StatusOK, "confirm", &view{Title: "Confirm", Data: confirmData{
		Question: question, Action: r.URL.Path, Fields: fields, Cancel: cancel,
	}})
	return false
}

// safeNext keeps a post-sign-in redirect on the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") ||
		strings.HasPrefix(next, "/console/login") {
		return "/console/"
	}
	return next
}
