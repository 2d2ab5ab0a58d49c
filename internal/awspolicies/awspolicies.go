// Package awspolicies holds the AWS managed policies (arn:aws:iam::aws:policy/…)
// that every AWS account has, from a snapshot embedded in the binary (see
// PROVENANCE.md and Snapshot). They are read-only: IAM attaches them, uses
// them as permissions boundaries and session policies and evaluates them,
// but never stores, versions, tags or deletes them.
package awspolicies

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed" // the snapshot
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// Snapshot names the embedded snapshot, for documentation and diagnostics.
const Snapshot = "iann0036/iam-dataset 2026-08-22 (commit 2073fa52ac)"

// ARNPrefix begins the ARN of every AWS managed policy.
const ARNPrefix = "arn:aws:iam::aws:policy/"

//go:embed policies.json.gz
var snapshot []byte

// IsAWS reports whether arn names an AWS managed policy (whether or not the
// snapshot holds it).
func IsAWS(arn string) bool { return strings.HasPrefix(arn, ARNPrefix) }

// Policy is one AWS managed policy. Values returned by a Catalog are shared:
// read only.
type Policy struct {
	Name string
	ARN  string
	// Path is the ARN's path, "/" or e.g. "/service-role/".
	Path string
	// ID is the policy id (ANPA…), derived from the ARN.
	ID string
	// DefaultVersion is the default version's id ("v1", "v188", …), the
	// only version the snapshot holds.
	DefaultVersion string
	CreateDate     time.Time
	UpdateDate     time.Time
	// Document is the default version's policy document (JSON).
	Document string
}

// Catalog is the set of AWS managed policies, decoded from the embedded
// snapshot on first use.
type Catalog struct {
	once   sync.Once
	err    error
	byARN  map[string]*Policy
	sorted []*Policy // by lower-cased name, then ARN
}

// New returns a catalog over the embedded snapshot. Decoding (some tens of
// milliseconds) waits for the first lookup.
func New() *Catalog { return &Catalog{} }

// Lookup finds a policy by ARN; ok is false when the snapshot has none. err
// is non-nil only if the embedded snapshot cannot be decoded.
func (c *Catalog) Lookup(arn string) (p *Policy, ok bool, err error) {
	if !IsAWS(arn) {
		return nil, false, nil
	}
	if err := c.load(); err != nil {
		return nil, false, err
	}
	p, ok = c.byARN[arn]
	return p, ok, nil
}

// All returns every policy ordered by name (case-insensitively, then
// bytewise, as IAM listings order names). The slice is shared: read only.
func (c *Catalog) All() ([]*Policy, error) {
	if err := c.load(); err != nil {
		return nil, err
	}
	return c.sorted, nil
}

func (c *Catalog) load() error {
	c.once.Do(func() { c.byARN, c.sorted, c.err = decode(snapshot) })
	return c.err
}

// entry is one object of the snapshot's array.
type entry struct {
	Name       string          `json:"name"`
	ARN        *string         `json:"arn"`
	Version    *string         `json:"version"`
	CreateDate *string         `json:"createdate"`
	UpdateDate *string         `json:"updatedate"`
	Deprecated bool            `json:"deprecated"`
	Document   json.RawMessage `json:"document"`
}

// Fill-ins for the snapshot's gaps (PROVENANCE.md says why).
const (
	// launchDate is when the first AWS managed policies were created.
	launchDate = "2015-02-06T18:39:47Z"
	// serviceRolePath holds the policies of service-linked roles.
	serviceRolePath = "aws-service-role/"
)

func decode(gz []byte) (map[string]*Policy, []*Policy, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, fmt.Errorf("awspolicies: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("awspolicies: %w", err)
	}
	var entries []entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, nil, fmt.Errorf("awspolicies: %w", err)
	}
	byARN := make(map[string]*Policy, len(entries))
	sorted := make([]*Policy, 0, len(entries))
	for _, e := range entries {
		if e.Deprecated {
			continue
		}
		p, err := fromEntry(e)
		if err != nil {
			return nil, nil, fmt.Errorf("awspolicies: policy %q: %w", e.Name, err)
		}
		if _, dup := byARN[p.ARN]; dup {
			return nil, nil, fmt.Errorf("awspolicies: policy %q listed twice", p.ARN)
		}
		byARN[p.ARN] = p
		sorted = append(sorted, p)
	}
	slices.SortFunc(sorted, func(a, b *Policy) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ARN, b.ARN)
	})
	return byARN, sorted, nil
}

func fromEntry(e entry) (*Policy, error) {
	arn := ARNPrefix + serviceRolePath + e.Name
	if e.ARN != nil {
		arn = *e.ARN
	}
	if !IsAWS(arn) || !strings.HasSuffix(arn, "/"+e.Name) {
		return nil, fmt.Errorf("ARN %q does not end in its name", arn)
	}
	p := &Policy{
		Name: e.Name, ARN: arn, Path: "/" + strings.TrimSuffix(strings.TrimPrefix(arn, ARNPrefix), e.Name),
		ID: policyID(arn), DefaultVersion: "v1", Document: string(e.Document),
	}
	if e.Version != nil {
		p.DefaultVersion = *e.Version
	}
	created, updated := launchDate, launchDate
	if e.CreateDate != nil {
		created, updated = *e.CreateDate, *e.CreateDate
	}
	if e.UpdateDate != nil {
		updated = *e.UpdateDate
	}
	var err error
	if p.CreateDate, err = time.Parse(time.RFC3339, created); err != nil {
		return nil, err
	}
	if p.UpdateDate, err = time.Parse(time.RFC3339, updated); err != nil {
		return nil, err
	}
	p.CreateDate, p.UpdateDate = p.CreateDate.UTC(), p.UpdateDate.UTC()
	if len(e.Document) == 0 || e.Document[0] != '{' {
		return nil, fmt.Errorf("no document")
	}
	return p, nil
}

// policyID derives a stable policy id from the ARN: "ANPA" and 17 base-32
// characters, the shape of AWS's policy ids.
func policyID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
