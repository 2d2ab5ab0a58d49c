package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the master key (AES-256).
const MasterKeySize = 32

// boxVersion prefixes every sealed value, so the format can change later.
const boxVersion = 1

// Box seals small secrets at rest with the master key (AES-256-GCM with a
// random nonce). Additional data binds a sealed value to where it is stored
// (for example the access key id), so a sealed secret cannot be moved to
// another row.
type Box struct {
	_    incomparable
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte master key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", MasterKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// LogValue implements slog.LogValuer.
func (b *Box) LogValue() slog.Value { return slog.StringValue(redacted) }

// Seal encrypts plaintext bound to ad.
func (b *Box) Seal(plaintext, ad []byte) []byte {
	out := make([]byte, 1, 1+len(plaintext)+b.aead.Overhead())
	out[0] = boxVersion
	return b.aead.Seal(out, nil, plaintext, ad)
}

// Open decrypts a value sealed by Seal with the same ad.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != boxVersion {
		return nil, errors.New("secret: unknown sealed format")
	}
	pt, err := b.aead.Open(nil, nil, sealed[1:], ad)
	if err != nil {
		return nil, errors.New("secret: sealed value does not open with this master key")
	}
	return pt, nil
}

// SealString seals a secret string.
func (b *Box) SealString(s String, ad string) []byte { return b.Seal([]byte(s.v), []byte(ad)) }

// OpenString opens a sealed secret string.
func (b *Box) OpenString(sealed []byte, ad string) (String, error) {
	pt, err := b.Open(sealed, []byte(ad))
	if err != nil {
		return String{}, err
	}
	return String{v: string(pt)}, nil
}

// LoadOrCreateMasterKey returns the master key from env (base64, when not
// empty), else from path, creating the file (0600) with a random key when it
// does not exist. created reports whether a new key was written.
func LoadOrCreateMasterKey(env, path string) (key []byte, created bool, err error) {
	if env != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(env))
		if err != nil || len(k) != MasterKeySize {
			return nil, false, fmt.Errorf("secret: CASTELLAN_MASTER_KEY must be %d bytes in standard base64", MasterKeySize)
		}
		return k, false, nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(k) != MasterKeySize {
			return nil, false, fmt.Errorf("secret: %s must hold %d bytes in standard base64", path, MasterKeySize)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("secret: reading master key: %w", err)
	}
	k := make([]byte, MasterKeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	if err := WriteFileAtomic(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// WriteFileAtomic writes data to path with mode through a temporary file and
// a rename, so readers never see a partial secret file and the mode is right
// from the first byte.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
