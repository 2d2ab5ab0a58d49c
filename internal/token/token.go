// Package token seals and opens stateless session tokens, and holds the
// keyring that does it.
//
// A session token is an AEAD-sealed, versioned blob:
//
//	version (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM(session)
//
// base64-encoded like AWS's tokens. The additional data binds the blob to
// its version, key id and the ASIA… access key id it was issued with, so a
// token presented with any other key id does not open. The plaintext holds
// the temporary secret and the whole session context, so any node that holds
// the keyring verifies a request without a store read.
package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// formatVersion is the first byte of every token.
const formatVersion = 1

const headerLen = 1 + 4 + 12

// KeyStore persists the keyring's keys (sealed by the store with the master key).
type KeyStore interface {
	AddKeyringKey(ctx context.Context, k store.KeyringKey) error
	ListKeyringKeys(ctx context.Context) ([]store.KeyringKey, error)
	DeleteKeyringKey(ctx context.Context, id string) error
	SetKeyringKeyRetireAfter(ctx context.Context, id string, at time.Time) error
}

// Revoker says whether an opened session has been revoked.
type Revoker interface {
	Revoked(accessKeyID string, s *identity.Session) bool
}

type key struct {
	id      uint32
	aead    cipher.AEAD
	created time.Time
	// retireAt is when the key stops opening tokens (zero for the primary).
	retireAt time.Time
	// retireAfter is the deadline stored with the key (zero: none).
	retireAfter time.Time
	seals       atomic.Uint64
}

// Keyring seals with one primary key and opens with every key that may
// still have live tokens. It is safe for concurrent use.
type Keyring struct {
	ks      KeyStore
	now     func() time.Time
	log     *slog.Logger
	revoker Revoker

	mu         sync.RWMutex
	primary    *key
	keys       map[uint32]*key
	lastReload time.Time

	cacheMu sync.RWMutex
	cache   map[string]cached // by access key id
}

// cached is an opened token. keyID is the key that sealed it: a hit
// counts only while that key is still in the keyring, so a key retired or
// deleted (here or by another node) ends its cached sessions too.
type cached struct {
	token   string
	session *identity.Session
	keyID   uint32
}

// Config configures a Keyring.
type Config struct {
	Store   KeyStore
	Now     func() time.Time
	Logger  *slog.Logger
	Revoker Revoker // nil: nothing is revoked
}

// Open loads the keyring from the store, creating the first key when the
// store has none.
func Open(ctx context.Context, cfg Config) (*Keyring, error) {
	k := &Keyring{ks: cfg.Store, now: cfg.Now, log: cfg.Logger, revoker: cfg.Revoker, cache: map[string]cached{}}
	if k.now == nil {
		k.now = time.Now
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	empty := k.primary == nil
	k.mu.RUnlock()
	if empty {
		if _, err := k.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// SetRevoker installs the revocation check (wiring breaks the cycle
// between the keyring and the deny set).
func (k *Keyring) SetRevoker(r Revoker) { k.revoker = r }

func parseKeyID(s string) (uint32, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return 0, fmt.Errorf("token: bad key id %q", s)
	}
	return binary.BigEndian.Uint32(b), nil
}

func formatKeyID(id uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	return hex.EncodeToString(b[:])
}

// Reload reads the keys from the store: the newest primary seals, and older
// keys open until MaxSessionLifetime after they were superseded, or until
// their stored RetireAfter when that is earlier (set by Retire). Retired
// keys are deleted from the store.
func (k *Keyring) Reload(ctx context.Context) error {
	recs, err := k.ks.ListKeyringKeys(ctx)
	if err != nil {
		return fmt.Errorf("token: loading keyring: %w", err)
	}
	now := k.now()
	keys := map[uint32]*key{}
	var primary *key
	// recs are oldest first: each key is superseded by the next one's creation.
	for i, r := range recs {
		id, err := parseKeyID(r.ID)
		if err != nil {
			return err
		}
		raw, err := hex.DecodeString(r.Secret.Reveal())
		if err != nil || len(raw) != KeySize {
			return fmt.Errorf("token: keyring key %s is malformed", r.ID)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		nk := &key{id: id, aead: aead, created: r.CreatedAt, retireAfter: r.RetireAfter}
		if old, ok := k.keys[id]; ok {
			nk.seals.Store(old.seals.Load())
		}
		if i+1 < len(recs) {
			nk.retireAt = recs[i+1].CreatedAt.Add(MaxSessionLifetime)
			if !r.RetireAfter.IsZero() && r.RetireAfter.Before(nk.retireAt) {
				nk.retireAt = r.RetireAfter
			}
			if !now.Before(nk.retireAt) {
				if err := k.ks.DeleteKeyringKey(ctx, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					k.log.Warn("retiring keyring key", "key_id", r.ID, "err", err)
				} else {
					k.log.Info("retired keyring key", "key_id", r.ID)
				}
				continue
			}
		}
		keys[id] = nk
		if r.Primary || i == len(recs)-1 {
			primary = nk
		}
	}
	k.mu.Lock()
	k.keys, k.primary, k.lastReload = keys, primary, now
	k.mu.Unlock()
	return nil
}

// Rotate adds a new primary key; the previous keys keep opening their
// tokens until they expire. It returns the new key id.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	var idb [4]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(idb[:])
	// created must order after every existing key so Reload sees it as newest.
	created := k.now().UTC()
	k.mu.RLock()
	for _, ok := range k.keys {
		if !created.After(ok.created) {
			created = ok.created.Add(time.Microsecond)
		}
	}
	k.mu.RUnlock()
	rec := store.KeyringKey{ID: id, Secret: secret.New(hex.EncodeToString(raw)), CreatedAt: created, Primary: true}
	if err := k.ks.AddKeyringKey(ctx, rec); err != nil {
		return "", fmt.Errorf("token: adding keyring key: %w", err)
	}
	if err := k.Reload(ctx); err != nil {
		return "", err
	}
	k.log.Info("keyring rotated", "key_id", id)
	return id, nil
}

// KeyInfo describes one keyring key (no secret).
type KeyInfo struct {
	ID       string
	Created  time.Time
	Primary  bool
	RetireAt time.Time
}

// Keys lists the keys this node holds.
func (k *Keyring) Keys() []KeyInfo {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]KeyInfo, 0, len(k.keys))
	for _, ky := range k.keys {
		out = append(out, KeyInfo{ID: formatKeyID(ky.id), Created: ky.created, Primary: ky == k.primary, RetireAt: ky.retireAt})
	}
	return out
}

// NeedsRotation reports whether the primary key is older than period or
// close to its seal bound.
func (k *Keyring) NeedsRotation(period time.Duration) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.primary == nil {
		return true
	}
	return k.primary.seals.Load() > maxSealsPerKey || (period > 0 && k.now().Sub(k.primary.created) >= period)
}

// wire is the sealed plaintext. Field names are short: tokens travel in
// every request.
type wire struct {
	Secret string `json:"k"`
	identity.Session
}

func additionalData(hdr []byte, accessKeyID string) []byte {
	ad := make([]byte, 0, len(hdr[:5])+len(accessKeyID))
	ad = append(ad, hdr[:5]...)
	return append(ad, accessKeyID...)
}

// Seal returns the session token for s, bound to accessKeyID. s.Secret must
// be set.
func (k *Keyring) Seal(accessKeyID string, s *identity.Session) (string, error) {
	k.mu.RLock()
	p := k.primary
	k.mu.RUnlock()
	if p == nil {
		return "", errors.New("token: keyring has no primary key")
	}
	w := wire{Secret: s.Secret.Reveal(), Session: *s}
	w.Session.Secret = secret.String{}
	var pt []byte
	if canAppendWire(&w) {
		pt = appendWire(make([]byte, 0, 512), &w)
	} else {
		var err error
		if pt, err = json.Marshal(&w); err != nil {
			return "", err
		}
	}
	buf := make([]byte, headerLen, headerLen+len(pt)+p.aead.Overhead())
	buf[0] = formatVersion
	binary.BigEndian.PutUint32(buf[1:5], p.id)
	if _, err := rand.Read(buf[5:headerLen]); err != nil {
		return "", err
	}
	out := p.aead.Seal(buf, buf[5:headerLen], pt, additionalData(buf, accessKeyID))
	p.seals.Add(1)
	return base64.StdEncoding.EncodeToString(out), nil
}

func invalid() error { return awserr.New(awserr.InvalidClientTokenID) }

// Open returns the session sealed in token for accessKeyID. Any token that
// does not open — truncated, tampered with, sealed by an unknown or retired
// key, bound to another key id — is InvalidClientTokenId; an expired
// session is ExpiredToken; a revoked one is InvalidClientTokenId.
func (k *Keyring) Open(accessKeyID, token string) (*identity.Session, error) {
	if len(token) == 0 || len(token) > MaxTokenLength {
		return nil, invalid()
	}
	k.cacheMu.RLock()
	c, ok := k.cache[accessKeyID]
	k.cacheMu.RUnlock()
	var s *identity.Session
	if ok && secret.Equal(c.token, token) && k.holds(c.keyID) {
		s = c.session
	} else {
		var err error
		var kid uint32
		if s, kid, err = k.open(accessKeyID, token); err != nil {
			return nil, err
		}
		k.cacheMu.Lock()
		if len(k.cache) >= openCacheSize {
			clear(k.cache)
		}
		k.cache[accessKeyID] = cached{token: token, session: s, keyID: kid}
		k.cacheMu.Unlock()
	}
	if !k.now().Before(s.Expires) {
		return nil, awserr.New(awserr.ExpiredToken)
	}
	if k.revoker != nil && k.revoker.Revoked(accessKeyID, s) {
		return nil, invalid()
	}
	return s, nil
}

// holds reports whether key id is in the keyring and not past its
// retirement: what a cached token's key must still be.
func (k *Keyring) holds(id uint32) bool {
	k.mu.RLock()
	ky, ok := k.keys[id]
	k.mu.RUnlock()
	return ok && (ky.retireAt.IsZero() || k.now().Before(ky.retireAt))
}

// dropCached forgets the cached tokens sealed by key id (memory only:
// holds already refuses them).
func (k *Keyring) dropCached(id uint32) {
	k.cacheMu.Lock()
	for akid, c := range k.cache {
		if c.keyID == id {
			delete(k.cache, akid)
		}
	}
	k.cacheMu.Unlock()
}

// open opens token and returns its session and the id of the key that
// sealed it.
func (k *Keyring) open(accessKeyID, token string) (*identity.Session, uint32, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < headerLen+16 || raw[0] != formatVersion {
		return nil, 0, invalid()
	}
	id := binary.BigEndian.Uint32(raw[1:5])
	ky := k.lookup(id)
	if ky == nil {
		return nil, 0, invalid()
	}
	if !ky.retireAt.IsZero() && !k.now().Before(ky.retireAt) {
		return nil, 0, invalid()
	}
	pt, err := ky.aead.Open(nil, raw[5:headerLen], raw[headerLen:], additionalData(raw, accessKeyID))
	if err != nil {
		return nil, 0, invalid()
	}
	var w wire
	if err := json.Unmarshal(pt, &w); err != nil {
		return nil, 0, invalid()
	}
	s := w.Session
	s.Secret = secret.New(w.Secret)
	return &s, id, nil
}

// lookup finds a key by id, reloading the keyring (rate-limited) when the
// id is unknown: another node may have rotated.
func (k *Keyring) lookup(id uint32) *key {
	k.mu.RLock()
	ky, ok := k.keys[id]
	last := k.lastReload
	k.mu.RUnlock()
	if ok {
		return ky
	}
	if k.now().Sub(last) < reloadMinInterval {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := k.Reload(ctx); err != nil {
		k.log.Warn("reloading keyring for an unknown key id", "err", err)
		return nil
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[id]
}
