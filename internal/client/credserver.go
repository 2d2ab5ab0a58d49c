package client

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialsPath is the URL path of the local container-credentials
// endpoint.
const CredentialsPath = "/credentials"

// Source gives fresh temporary credentials (Sessions.Fetch, or a test fake).
type Source func(ctx context.Context) (aws.Credentials, error)

// CredentialServer is a local container-credentials endpoint (the ECS/EKS
// contract, aws-reference.md §8.1): GET with the header
// Authorization: <token> answers {AccessKeyId, SecretAccessKey, Token,
// Expiration, AccountId}. It refreshes ahead of expiry in the background,
// so SDK programs that run for days never see ExpiredToken, and logs a
// notice before each expiry and each refresh.
type CredentialServer struct {
	Source       Source
	RefreshAhead time.Duration // 0: DefaultRefreshAhead (at most half a session's lifetime)
	Log          *slog.Logger
	Now          func() time.Time
	// Token is the authorization token; New generates one.
	Token string

	mu      sync.Mutex
	cur     aws.Credentials
	issued  time.Time
	refresh chan struct{}
}

// NewCredentialServer returns a server for src with a random token.
func NewCredentialServer(src Source, log *slog.Logger) *CredentialServer {
	b := make([]byte, 32)
	rand.Read(b)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CredentialServer{Source: src, Log: log, Token: base64.RawURLEncoding.EncodeToString(b), refresh: make(chan struct{}, 1)}
}

func (s *CredentialServer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *CredentialServer) ahead() time.Duration {
	if s.RefreshAhead > 0 {
		return s.RefreshAhead
	}
	return DefaultRefreshAhead
}

// refreshAt is when credentials issued at issued should be replaced.
func refreshAt(c aws.Credentials, issued time.Time, ahead time.Duration) time.Time {
	if half := c.Expires.Sub(issued) / 2; half < ahead {
		ahead = half
	}
	return c.Expires.Add(-ahead)
}

// current returns fresh credentials, fetching synchronously when the
// background refresh has not kept up (first call, a failed refresh).
func (s *CredentialServer) current(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.cur.AccessKeyID != "" && Fresh(s.cur, s.issued, now, s.ahead()) {
		return s.cur, nil
	}
	if err := s.fetchLocked(ctx); err != nil {
		if s.cur.AccessKeyID != "" && s.cur.Expires.After(now.Add(10*time.Second)) {
			s.Log.Warn("refresh failed; serving the current credentials until they expire", "expires", s.cur.Expires.UTC().Format(time.RFC3339), "err", err)
			return s.cur, nil
		}
		return aws.Credentials{}, err
	}
	return s.cur, nil
}

func (s *CredentialServer) fetchLocked(ctx context.Context) error {
	issued := s.now()
	c, err := s.Source(ctx)
	if err != nil {
		return err
	}
	s.cur, s.issued = c, issued
	if c.CanExpire {
		s.Log.Info("new credentials", "access_key_id", MaskKeyID(c.AccessKeyID),
			"expires", c.Expires.UTC().Format(time.RFC3339), "refresh_at", refreshAt(c, issued, s.ahead()).UTC().Format(time.RFC3339))
	} else {
		s.Log.Info("serving credentials that do not expire", "access_key_id", MaskKeyID(c.AccessKeyID))
	}
	select {
	case s.refresh <- struct{}{}:
	default:
	}
	return nil
}

// Run keeps the credentials fresh until ctx ends: it fetches them now, then
// replaces them RefreshAhead before each expiry, retrying failures with
// back-off and warning while the expiry comes closer.
func (s *CredentialServer) Run(ctx context.Context) error {
	if s.refresh == nil {
		s.refresh = make(chan struct{}, 1)
	}
	if _, err := s.current(ctx); err != nil {
		return err
	}
	backoff := time.Second
	for {
		s.mu.Lock()
		c, issued := s.cur, s.issued
		s.mu.Unlock()
		if !c.CanExpire {
			<-ctx.Done()
			return nil
		}
		wait := refreshAt(c, issued, s.ahead()).Sub(s.now())
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.refresh:
			t.Stop()
			continue
		case <-t.C:
		}
		s.Log.Info("credentials expire soon; refreshing ahead", "access_key_id", MaskKeyID(c.AccessKeyID),
			"expires", c.Expires.UTC().Format(time.RFC3339), "left", c.Expires.Sub(s.now()).Round(time.Second).String())
		s.mu.Lock()
		err := s.fetchLocked(ctx)
		s.mu.Unlock()
		if err == nil {
			backoff = time.Second
			continue
		}
		s.Log.Warn("refresh failed; retrying", "err", err, "retry_in", backoff.String(),
			"expires", c.Expires.UTC().Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// containerCredentials is the container endpoint's answer.
type containerCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token,omitempty"`
	Expiration      string `json:"Expiration,omitempty"`
	AccountID       string `json:"AccountId,omitempty"`
}

type endpointError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ServeHTTP answers the SDKs' container-credentials requests.
func (s *CredentialServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(endpointError{Code: code, Message: msg})
	}
	if r.URL.Path != CredentialsPath {
		fail(http.StatusNotFound, "NotFound", "the credentials are at "+CredentialsPath)
		return
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(s.Token)) != 1 {
		s.Log.Warn("refused a request without the authorization token", "remote", r.RemoteAddr)
		fail(http.StatusUnauthorized, "AccessDenied", "the Authorization header must be AWS_CONTAINER_AUTHORIZATION_TOKEN")
		return
	}
	c, err := s.current(r.Context())
	if err != nil {
		s.Log.Error("no credentials to serve", "err", err)
		fail(http.StatusInternalServerError, "CredentialsUnavailable", err.Error())
		return
	}
	out := containerCredentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken, AccountID: c.AccountID}
	if c.CanExpire {
		out.Expiration = c.Expires.UTC().Format(time.RFC3339)
	}
	json.NewEncoder(w).Encode(out)
}

// Listen opens a loopback listener (the SDKs accept http container URLs
// only on loopback) and returns it with the full URI to export.
func Listen(addr string) (net.Listener, string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("--addr %q: want host:port", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, "", errors.New("--addr must be a loopback address (127.0.0.1:PORT or [::1]:PORT): the SDKs only accept plain-http container endpoints there")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	return l, "http://" + l.Addr().String() + CredentialsPath, nil
}

// Prime fetches the first credentials (so a broken profile fails before
// the endpoint is announced).
func (s *CredentialServer) Prime(ctx context.Context) error {
	_, err := s.current(ctx)
	return err
}
