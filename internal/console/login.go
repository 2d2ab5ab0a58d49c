package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// Sign-in messages. Every wrong credential (unknown account, user, key,
// wrong password, secret or MFA code, no login profile, inactive key)
// gives msgBadCredentials, so the page reveals nothing about which part
// was wrong.
const (
	msgBadCredentials = "Your authentication information is incorrect. Please try again."
	msgLockedOut      = "Too many failed sign-in attempts. Wait a few minutes, then try again."
	msgSignInFailed   = "Sign-in is not possible right now. Try again later."
)

type loginData struct {
	Message string
	Account string
	User    string
	Next    string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if sessionFrom(r).signedIn() {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", &view{Title: "Sign in", Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (c *Console) loginFail(w http.ResponseWriter, r *http.Request, msg string, d loginData) {
	d.Message = msg
	c.render(w, r, http.StatusUnauthorized, "login", &view{Title: "Sign in", Data: d})
}

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.loginFail(w, r, msgBadCredentials, loginData{})
		return
	}
	next := safeNext(r.PostFormValue("next"))
	var (
		p     *identity.Principal
		reset bool
		err   error
	)
	d := loginData{Next: next, Account: truncate(r.PostFormValue("account"), 64), User: truncate(r.PostFormValue("username"), 64)}
	if r.PostFormValue("form") == "root" {
		p, err = c.rootPrincipal(r.Context(), r.PostFormValue("access_key_id"), r.PostFormValue("secret_access_key"))
	} else {
		p, reset, err = c.userPrincipal(r.Context(), d.Account, d.User, r.PostFormValue("password"))
	}
	if err != nil {
		c.loginFail(w, r, signInMessage(err), d)
		if !errors.Is(err, errBadCredentials) {
			c.log.Warn("console: sign-in failed", "err", err)
		}
		return
	}
	mfaID := p.UserID // the account id for the root
	devs, err := c.cfg.Passwords.EnabledMFADevices(r.Context(), mfaID)
	if err != nil {
		c.loginFail(w, r, msgSignInFailed, d)
		return
	}
	var pending []string
	for _, dv := range devs {
		pending = append(pending, dv.SerialNumber)
	}
	s := c.store.create(w, r, p, pending, reset)
	if len(s.pendingMFA) > 0 {
		http.Redirect(w, r, "/console/login/mfa?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	c.signedInRedirect(w, r, s, next)
}

func (c *Console) signedInRedirect(w http.ResponseWriter, r *http.Request, s *session, next string) {
	if s.mustChange {
		next = "/console/change-password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// errBadCredentials is every wrong-credential outcome.
var errBadCredentials = errors.New("console: bad credentials")

// signInMessage words a sign-in failure without saying which part failed.
func signInMessage(err error) string {
	var e *awserr.Error
	switch {
	case errors.Is(err, errBadCredentials):
		return msgBadCredentials
	case errors.As(err, &e) && (e.Code == awserr.Throttling || e.Code == "LimitExceeded"):
		return msgLockedOut
	}
	return msgSignInFailed
}

// userPrincipal checks an IAM user's console password.
func (c *Console) userPrincipal(ctx context.Context, account, userName, password string) (*identity.Principal, bool, error) {
	if !c.isAccount(ctx, account) || userName == "" || password == "" {
		return nil, false, errBadCredentials
	}
	ok, reset, err := c.cfg.Passwords.CheckConsolePassword(ctx, userName, password)
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code == awserr.NoSuchEntity {
			return nil, false, errBadCredentials
		}
		return nil, false, err
	}
	if !ok {
		return nil, false, errBadCredentials
	}
	u, err := c.cfg.Directory.GetUser(ctx, c.cfg.Account, userName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, errBadCredentials
	}
	if err != nil {
		return nil, false, err
	}
	return c.userIdentity(u), reset, nil
}

// userIdentity is the principal of a signed-in user: an IAM user whose
// session context records the console sign-in (aws:TokenIssueTime,
// aws:MultiFactorAuthPresent once the MFA step passed).
func (c *Console) userIdentity(u store.User) *identity.Principal {
	path := u.Path
	if path == "" {
		path = "/"
	}
	arn := "arn:aws:iam::" + u.AccountID + ":user" + path + u.Name
	now := c.now().UTC()
	p := &identity.Principal{Type: identity.IAMUser, AccountID: u.AccountID, ARN: arn, UserID: u.ID,
		UserName: u.Name, PrincipalARN: arn,
		Session: &identity.Session{Issuer: "ConsoleLogin", AccountID: u.AccountID, PrincipalID: u.ID,
			UserName: u.Name, UserARN: arn, IssuedAt: now, Expires: now.Add(AbsoluteTimeout)}}
	for _, t := range u.Tags {
		p.Tags = append(p.Tags, identity.Tag{Key: t.Key, Value: t.Value})
	}
	return p
}

// isAccount reports whether s names the account (its id or alias).
func (c *Console) isAccount(ctx context.Context, s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(s), []byte(c.cfg.Account)) == 1 {
		return true
	}
	aliases, err := c.cfg.Directory.ListAccountAliases(ctx, c.cfg.Account)
	if err != nil {
		return false
	}
	for _, a := range aliases {
		if strings.EqualFold(a, s) {
			return true
		}
	}
	return false
}

// rootPrincipal checks a root access key and its secret (in constant time).
func (c *Console) rootPrincipal(ctx context.Context, keyID, secretKey string) (*identity.Principal, error) {
	keyID = strings.TrimSpace(keyID)
	if keyID == "" || secretKey == "" || len(keyID) > 128 || len(secretKey) > 256 {
		return nil, errBadCredentials
	}
	k, err := c.cfg.Directory.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	match := subtle.ConstantTimeCompare([]byte(k.Secret.Reveal()), []byte(secretKey)) == 1
	if !match || k.UserID != "" || k.AccountID != c.cfg.Account || k.Status != store.KeyActive {
		return nil, errBadCredentials
	}
	arn := "arn:aws:iam::" + k.AccountID + ":root"
	return &identity.Principal{Type: identity.Root, AccountID: k.AccountID, ARN: arn, UserID: k.AccountID,
		PrincipalARN: arn, AccessKeyID: k.ID}, nil
}

func (c *Console) mfaPage(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	if s == nil || len(s.pendingMFA) == 0 {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "mfa", &view{Title: "Multi-factor authentication", Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (c *Console) mfaPost(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	if s == nil || len(s.pendingMFA) == 0 {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	code := strings.TrimSpace(r.PostFormValue("code"))
	for _, serial := range s.pendingMFA {
		if len(code) == 6 && c.cfg.Passwords.VerifyMFA(r.Context(), s.principal.UserID, serial, code, c.now()) == nil {
			// A fresh session id once authenticated, so a cookie planted
			// before sign-in is worth nothing after it.
			c.store.revoke(s.id)
			p := s.principal
			if p.Session != nil {
				sess := *p.Session
				sess.MFA, sess.MFAAuthTime = true, c.now().UTC()
				pc := *p
				pc.Session = &sess
				p = &pc
			}
			c.signedInRedirect(w, r, c.store.create(w, r, p, nil, s.mustChange), next)
			return
		}
	}
	c.render(w, r, http.StatusUnauthorized, "mfa", &view{Title: "Multi-factor authentication", Data: loginData{Message: msgBadCredentials, Next: next}})
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if s := sessionFrom(r); s != nil {
		c.store.revoke(s.id)
	}
	clearCookie(w, r)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

func (c *Console) changePasswordPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "changepassword", &view{Title: "Change password", Data: sessionFrom(r).mustChange})
}

func (c *Console) changePasswordPost(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	newPw := r.PostFormValue("new_password")
	if newPw != r.PostFormValue("confirm_password") {
		c.render(w, r, http.StatusBadRequest, "changepassword", &view{Title: "Change password", Data: s.mustChange,
			Error: &apiError{Code: "ValidationError", Message: "The new passwords do not match."}})
		return
	}
	_, err := c.call(r, "iam", "ChangePassword", url.Values{"OldPassword": {r.PostFormValue("old_password")}, "NewPassword": {newPw}})
	if err != nil {
		c.render(w, r, statusOf(err), "changepassword", &view{Title: "Change password", Data: s.mustChange, Error: asAPIError(err, "iam:ChangePassword")})
		return
	}
	s.mustChange = false
	redirect(w, r, "/console/", "Your password was changed.")
}
