package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// Console sessions are server-side: the cookie carries only the session's
// random id, sealed (AES-GCM under a key made at start-up) so that a
// cookie cannot be forged or altered and reveals nothing. Restarting the
// server signs everyone out, and a session lives on the node that made it
// (behind a load balancer, pin console clients to a node).

// Session limits of the contract.
const (
	IdleTimeout     = 15 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// pendingTimeout bounds the MFA step after a correct password.
	pendingTimeout = 5 * time.Minute
	// maxSessions bounds the memory sessions take; the oldest go first.
	maxSessions = 10000
	// maxSignedInPerPrincipal and maxPendingPerPrincipal bound one
	// principal's signed-in sessions and its half-sessions (password right,
	// MFA pending); past either, that principal's oldest of the kind goes.
	// Whoever knows one password, with or without its MFA device, can then
	// neither fill the store (evicting everyone else's sessions) nor, while
	// MFA is pending, sign the password's owner out.
	maxSignedInPerPrincipal = 10
	maxPendingPerPrincipal  = 3
	cookieName              = "castellan_console"
	cookiePath              = "/console/"
)

// session is one browser's sign-in.
type session struct {
	id        string
	principal *identity.Principal
	created   time.Time
	lastSeen  time.Time
	sourceIP  string
	userAgent string
	// pendingMFA holds the devices to verify before the session signs in.
	pendingMFA []string
	// mustChange sends the user to the change-password page first.
	mustChange bool
	revoked    bool
}

func (s *session) signedIn() bool {
	return s != nil && !s.revoked && len(s.pendingMFA) == 0 && s.principal != nil
}

// sessionStore holds the sessions of this node.
type sessionStore struct {
	now  func() time.Time
	aead cipher.AEAD
	mu   sync.Mutex
	byID map[string]*session
}

func newSessionStore(now func() time.Time) (*sessionStore, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(blk)
	if err != nil {
		return nil, err
	}
	return &sessionStore{now: now, aead: aead, byID: map[string]*session{}}, nil
}

// create starts a session for p and sets its cookie; pendingMFA are the
// devices to verify before it signs in, mustChange sends it to the
// change-password page first.
func (st *sessionStore) create(w http.ResponseWriter, r *http.Request, p *identity.Principal, pendingMFA []string, mustChange bool) *session {
	idb := make([]byte, 32)
	_, _ = rand.Read(idb)
	now := st.now()
	s := &session{id: base64.RawURLEncoding.EncodeToString(idb), principal: p, created: now, lastSeen: now,
		sourceIP: clientIP(r), userAgent: truncate(r.UserAgent(), 256), pendingMFA: pendingMFA, mustChange: mustChange}
	st.mu.Lock()
	st.boundLocked(s, now)
	if len(st.byID) >= maxSessions {
		st.evictLocked()
	}
	st.byID[s.id] = s
	st.mu.Unlock()
	sealed := st.aead.Seal(nil, nil, []byte(s.id), []byte(cookieName))
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: cookiePath,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return s
}

// boundLocked makes room for the new session ns under its principal's
// limit of ns's kind (signed-in or pending MFA): it drops that
// principal's expired sessions, then its oldest of the kind.
func (st *sessionStore) boundLocked(ns *session, now time.Time) {
	pending, limit := len(ns.pendingMFA) > 0, maxSignedInPerPrincipal
	if pending {
		limit = maxPendingPerPrincipal
	}
	var same []*session
	for id, s := range st.byID {
		if s.principal.ARN != ns.principal.ARN {
			continue
		}
		if st.expired(s, now) {
			delete(st.byID, id)
		} else if (len(s.pendingMFA) > 0) == pending {
			same = append(same, s)
		}
	}
	if len(same) < limit {
		return
	}
	sort.Slice(same, func(i, j int) bool { return same[i].created.Before(same[j].created) })
	for _, s := range same[:len(same)-limit+1] {
		delete(st.byID, s.id)
	}
}

// evictLocked drops expired sessions, then the oldest half if still full.
func (st *sessionStore) evictLocked() {
	now := st.now()
	for id, s := range st.byID {
		if st.expired(s, now) {
			delete(st.byID, id)
		}
	}
	if len(st.byID) < maxSessions {
		return
	}
	all := make([]*session, 0, len(st.byID))
	for _, s := range st.byID {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].created.Before(all[j].created) })
	for _, s := range all[:len(all)/2] {
		delete(st.byID, s.id)
	}
}

func (st *sessionStore) expired(s *session, now time.Time) bool {
	if s.revoked || !now.Before(s.created.Add(AbsoluteTimeout)) || !now.Before(s.lastSeen.Add(IdleTimeout)) {
		return true
	}
	return len(s.pendingMFA) > 0 && !now.Before(s.created.Add(pendingTimeout))
}

// lookup finds the live session of r's cookie and marks it seen.
func (st *sessionStore) lookup(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil || len(ck.Value) > 256 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	id, err := st.aead.Open(nil, nil, raw, []byte(cookieName))
	if err != nil {
		return nil
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.byID[string(id)]
	if s == nil {
		return nil
	}
	if st.expired(s, now) {
		delete(st.byID, s.id)
		return nil
	}
	s.lastSeen = now
	return s
}

// revoke ends a session (sign-out, or revoked from the Sessions page).
func (st *sessionStore) revoke(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.byID[id]
	if s == nil {
		return false
	}
	s.revoked = true
	delete(st.byID, id)
	return true
}

// sessionView is a session as the Sessions page lists it.
type sessionView struct {
	ID, Principal, SourceIP, UserAgent string
	Created, LastSeen, Expires         time.Time
	Current                            bool
}

// list returns the live signed-in sessions; principalARN "" lists all.
func (st *sessionStore) list(principalARN, current string) []sessionView {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []sessionView
	for _, s := range st.byID {
		if st.expired(s, now) || !s.signedIn() || (principalARN != "" && s.principal.ARN != principalARN) {
			continue
		}
		exp := s.lastSeen.Add(IdleTimeout)
		if abs := s.created.Add(AbsoluteTimeout); abs.Before(exp) {
			exp = abs
		}
		out = append(out, sessionView{ID: s.id, Principal: s.principal.ARN, SourceIP: s.sourceIP, UserAgent: s.userAgent,
			Created: s.created, LastSeen: s.lastSeen, Expires: exp, Current: s.id == current})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// owner returns the principal ARN of session id, or "".
func (st *sessionStore) owner(id string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := st.byID[id]; s != nil && s.principal != nil {
		return s.principal.ARN
	}
	return ""
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

type ctxKey struct{}

func withSession(r *http.Request, s *session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
}

func sessionFrom(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
