package client

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Cache keeps temporary credentials between processes, one 0600 JSON file
// per session in a 0700 directory (by default ~/.aws/castellan/cache, next
// to the CLI's ~/.aws/cli/cache). Files are replaced atomically, so
// concurrent credential-process runs never read half an entry.
type Cache struct {
	Dir string
}

// DefaultCacheDir is ~/.aws/castellan/cache.
func DefaultCacheDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "castellan-cache")
	}
	return filepath.Join(home, ".aws", "castellan", "cache")
}

// CacheKey is what makes two sessions the same.
type CacheKey struct {
	Profile         string `json:"profile"`
	ExplicitProfile bool   `json:"explicit"`
	// EnvKeyID is the environment's key id when it, not the profile, is the
	// source (no explicit profile).
	EnvKeyID        string `json:"env_key,omitempty"`
	Region          string `json:"region,omitempty"`
	EndpointURL     string `json:"endpoint,omitempty"`
	Duration        string `json:"duration"`
	ConfigFile      string `json:"config"`
	CredentialsFile string `json:"credentials"`
}

// file is the entry's file name: the SHA-1 of the key's JSON, as the CLI
// names its cache entries.
func (k CacheKey) file() string {
	b, _ := json.Marshal(k)
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:]) + ".json"
}

// CacheEntry is one cached session.
type CacheEntry struct {
	Version         int       `json:"Version"`
	Profile         string    `json:"Profile"`
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken,omitempty"`
	AccountID       string    `json:"AccountId,omitempty"`
	Expiration      time.Time `json:"Expiration"`
	Issued          time.Time `json:"Issued"`
}

func newEntry(profile string, c aws.Credentials, issued time.Time) CacheEntry {
	return CacheEntry{
		Version: 1, Profile: profile, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, AccountID: c.AccountID, Expiration: c.Expires.UTC(), Issued: issued.UTC(),
	}
}

// Credentials are the entry's credentials.
func (e CacheEntry) Credentials() aws.Credentials {
	return aws.Credentials{
		AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		AccountID: e.AccountID, CanExpire: true, Expires: e.Expiration, Source: "CastellanCache",
	}
}

// Load returns the entry for k, if there is a readable one.
func (c *Cache) Load(k CacheKey) (CacheEntry, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, k.file()))
	if err != nil {
		return CacheEntry{}, false
	}
	var e CacheEntry
	if json.Unmarshal(b, &e) != nil || e.Version != 1 || e.AccessKeyID == "" || e.Expiration.IsZero() {
		return CacheEntry{}, false
	}
	return e, true
}

// Store writes the entry for k (0600).
func (c *Cache) Store(k CacheKey, e CacheEntry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(c.Dir, k.file()), b)
}

// Entries lists the cache's entries with their file paths.
func (c *Cache) Entries() (map[string]CacheEntry, error) {
	des, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]CacheEntry{}
	for _, de := range des {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		p := filepath.Join(c.Dir, de.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var e CacheEntry
		if json.Unmarshal(b, &e) == nil && e.Version == 1 {
			out[p] = e
		}
	}
	return out, nil
}

// Forget removes every entry of profile (after a key rotation, say).
func (c *Cache) Forget(profile string) error {
	es, err := c.Entries()
	if err != nil {
		return err
	}
	var errs []error
	for p, e := range es {
		if e.Profile == profile {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
