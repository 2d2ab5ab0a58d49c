// Package authn turns the access key id (and session token) of a signed
// request into the secret that verifies it and the principal that made it.
// Long-term keys come from the store through a cache; temporary keys are
// opened from their sealed session token with no store read. It also
// records, coalesced, when each long-term key was last used.
package authn

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/sigv4"
)

// KeyReader is what authn needs from the store.
type KeyReader interface {
	GetAccessKey(ctx context.Context, id string) (store.AccessKey, error)
	GetUserByID(ctx context.Context, accountID, id string) (store.User, error)
}

// SessionOpener opens a session token bound to a temporary access key id.
// It returns InvalidClientTokenId for any token it cannot open and
// ExpiredToken for an expired one.
type SessionOpener interface {
	Open(accessKeyID, sessionToken string) (*identity.Session, error)
}

// Limits of the key cache.
const (
	// cacheTTL bounds how long a cached long-term key is trusted without a
	// store read, for changes made on other nodes that did not reach this
	// one through an invalidation.
	cacheTTL = 5 * time.Second
	// negativeTTL is how long an unknown key id is remembered, so floods of
	// random key ids do not each cost a store read.
	negativeTTL = time.Second
	// maxCacheEntries bounds the cache; past it the cache is cleared.
	maxCacheEntries = 200_000
)

// Source implements sigv4.CredentialSource over the store and the token keyring.
type Source struct {
	keys   KeyReader
	opener SessionOpener
	now    func() time.Time
	log    *slog.Logger

	mu    sync.RWMutex
	cache map[string]cacheEntry
	// gen counts invalidations: a load that raced with one (it may have
	// read the key before the change) is used but not cached.
	gen uint64

	// sessions remembers the principal built for each opened session, so
	// a cached token costs no allocation; keyed by the session pointer the
	// keyring returns from its own cache.
	smu      sync.RWMutex
	sessions map[*identity.Session]*identity.Principal
}

type cacheEntry struct {
	secret    string
	principal *identity.Principal
	err       error // cached "unknown key" verdict
	expires   time.Time
}

// Config configures a Source.
type Config struct {
	Keys     KeyReader
	Sessions SessionOpener // nil: temporary keys are refused
	Now      func() time.Time
	Logger   *slog.Logger
}

// NewSource returns a credential source.
func NewSource(cfg Config) *Source {
	s := &Source{keys: cfg.Keys, opener: cfg.Sessions, now: cfg.Now, log: cfg.Logger, cache: map[string]cacheEntry{}, sessions: map[*identity.Session]*identity.Principal{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// invalidToken is the error for an unknown, inactive or deleted key: AWS
// makes them indistinguishable.
func invalidToken() error { return awserr.New(awserr.InvalidClientTokenID) }

// Credential implements sigv4.CredentialSource.
func (s *Source) Credential(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credential, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		return s.temporary(accessKeyID, sessionToken)
	}
	if sessionToken != "" {
		// A long-term key with a session token is refused by AWS: usually a
		// stale AWS_SESSION_TOKEN left in the environment.
		return sigv4.Credential{}, invalidToken()
	}
	now := s.now()
	s.mu.RLock()
	e, ok := s.cache[accessKeyID]
	s.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if e.err != nil {
			return sigv4.Credential{}, e.err
		}
		return sigv4.Credential{SecretAccessKey: e.secret, Principal: e.principal}, nil
	}
	s.mu.RLock()
	gen := s.gen
	s.mu.RUnlock()
	e, err := s.load(ctx, accessKeyID, now)
	if err != nil {
		return sigv4.Credential{}, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxCacheEntries {
		clear(s.cache)
	}
	if s.gen == gen {
		s.cache[accessKeyID] = e
	}
	s.mu.Unlock()
	if e.err != nil {
		return sigv4.Credential{}, e.err
	}
	return sigv4.Credential{SecretAccessKey: e.secret, Principal: e.principal}, nil
}

// load reads a long-term key and its owner. A returned error is a store
// failure; an unknown or unusable key is a cached verdict in the entry.
func (s *Source) load(ctx context.Context, id string, now time.Time) (cacheEntry, error) {
	k, err := s.keys.GetAccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return cacheEntry{err: invalidToken(), expires: now.Add(negativeTTL)}, nil
	}
	if err != nil {
		return cacheEntry{}, awserr.Internal(err)
	}
	if k.Status != store.KeyActive {
		return cacheEntry{err: invalidToken(), expires: now.Add(cacheTTL)}, nil
	}
	p := &identity.Principal{AccountID: k.AccountID, AccessKeyID: k.ID}
	if k.UserID == "" {
		p.Type = identity.Root
		p.ARN = "arn:aws:iam::" + k.AccountID + ":root"
		p.UserID = k.AccountID
		p.PrincipalARN = p.ARN
	} else {
		u, err := s.keys.GetUserByID(ctx, k.AccountID, k.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return cacheEntry{err: invalidToken(), expires: now.Add(negativeTTL)}, nil
		}
		if err != nil {
			return cacheEntry{}, awserr.Internal(err)
		}
		p.Type = identity.IAMUser
		p.ARN = UserARN(u.AccountID, u.Path, u.Name)
		p.UserID = u.ID
		p.UserName = u.Name
		p.PrincipalARN = p.ARN
		for _, t := range u.Tags {
			p.Tags = append(p.Tags, identity.Tag{Key: t.Key, Value: t.Value})
		}
	}
	return cacheEntry{secret: k.Secret.Reveal(), principal: p, expires: now.Add(cacheTTL)}, nil
}

func (s *Source) temporary(accessKeyID, sessionToken string) (sigv4.Credential, error) {
	if s.opener == nil || sessionToken == "" {
		return sigv4.Credential{}, invalidToken()
	}
	sess, err := s.opener.Open(accessKeyID, sessionToken)
	if err != nil {
		return sigv4.Credential{}, err
	}
	s.smu.RLock()
	p, ok := s.sessions[sess]
	s.smu.RUnlock()
	if !ok {
		p = SessionPrincipal(accessKeyID, sess)
		s.smu.Lock()
		if len(s.sessions) >= maxCacheEntries {
			clear(s.sessions)
		}
		s.sessions[sess] = p
		s.smu.Unlock()
	}
	return sigv4.Credential{SecretAccessKey: sess.Secret.Reveal(), Principal: p}, nil
}

// Invalidate drops a key from the cache, so a change to it (deactivation,
// deletion) applies to the very next request on this node.
func (s *Source) Invalidate(accessKeyID string) {
	s.mu.Lock()
	delete(s.cache, accessKeyID)
	s.gen++
	s.mu.Unlock()
}

// InvalidateAll empties the cache (after a change to a user that cached
// principals embed, such as a rename or new tags).
func (s *Source) InvalidateAll() {
	s.mu.Lock()
	clear(s.cache)
	s.gen++
	s.mu.Unlock()
}

// UserARN returns an IAM user's ARN.
func UserARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":user" + path + name
}

// SessionPrincipal builds the principal of a temporary credential from its
// session context.
func SessionPrincipal(accessKeyID string, s *identity.Session) *identity.Principal {
	p := &identity.Principal{AccountID: s.AccountID, AccessKeyID: accessKeyID, Session: s}
	switch {
	case s.RoleARN != "":
		p.Type = identity.AssumedRole
		p.ARN = "arn:aws:sts::" + s.AccountID + ":assumed-role/" + s.RoleName + "/" + s.SessionName
		p.UserID = s.RoleID + ":" + s.SessionName
		p.PrincipalARN = s.RoleARN
	case s.FederatedName != "":
		p.Type = identity.FederatedUser
		p.ARN = "arn:aws:sts::" + s.AccountID + ":federated-user/" + s.FederatedName
		p.UserID = s.AccountID + ":" + s.FederatedName
		p.PrincipalARN = p.ARN
	case s.UserName != "":
		p.Type = identity.IAMUser
		p.UserName = s.UserName
		p.UserID = s.PrincipalID
		p.ARN = s.UserARN
		p.PrincipalARN = p.ARN
	default:
		p.Type = identity.Root
		p.ARN = "arn:aws:iam::" + s.AccountID + ":root"
		p.UserID = s.AccountID
		p.PrincipalARN = p.ARN
	}
	p.Tags = append(p.Tags, s.Tags...)
	return p
}
