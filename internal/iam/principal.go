package iam

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/perm"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// This file is what the policy engine and STS use to learn a principal's
// permissions and to find roles. Compiled documents are cached by their
// text, so a policy is parsed once however many principals use it and a
// changed document is recompiled. Loaded PolicySets are cached per user or
// role: every IAM change that can alter one (policies, attachments, default
// versions, memberships, boundaries) made through this Service drops them
// all at once, so the next request on this node sees it; changes made by
// another node apply within policySetTTL, or at once when that node's
// notification calls InvalidatePolicies.

// policySetTTL bounds how long a cached PolicySet is used without a local
// change: the delay before changes made on another node apply.
const policySetTTL = 5 * time.Second

// PolicySet is the identity side of an authorization decision for one
// principal (perm.Set): its identity-based policies and permissions
// boundary, compiled, with the names the simulator reports. PolicySets are
// shared between callers: read only.
type PolicySet = perm.Set

// PrincipalPolicies loads the PolicySet of an authenticated principal: an
// IAM user (long-term key or GetSessionToken session), or an assumed-role
// session (the role's policies; session policies are the caller's to add).
// The root and principals that have no IAM identity get an empty set.
func (s *Service) PrincipalPolicies(ctx context.Context, p *identity.Principal) (*PolicySet, error) {
	switch {
	case p == nil || p.IsRoot():
		return &PolicySet{}, nil
	case p.Type == identity.AssumedRole && p.Session != nil:
		return s.RolePolicies(ctx, p.Session.RoleID)
	case p.Type == identity.IAMUser:
		id := p.UserID
		if p.Session != nil && p.Session.PrincipalID != "" {
			id = p.Session.PrincipalID
		}
		return s.UserPolicies(ctx, id)
	case p.Type == identity.FederatedUser && p.Session != nil && strings.HasPrefix(p.Session.PrincipalID, "AIDA"):
		return s.UserPolicies(ctx, p.Session.PrincipalID)
	}
	return &PolicySet{}, nil
}

// UserPolicies loads the PolicySet of the user with the given AIDA id;
// awserr NoSuchEntity when it does not exist.
func (s *Service) UserPolicies(ctx context.Context, userID string) (*PolicySet, error) {
	return s.sets.load(s.now(), "u:"+userID, func() (*PolicySet, error) { return s.loadUserPolicies(ctx, userID) })
}

func (s *Service) loadUserPolicies(ctx context.Context, userID string) (*PolicySet, error) {
	u, err := s.st.GetUserByID(ctx, s.account, userID)
	if isNotFound(err) {
		return nil, awserr.Errorf(awserr.NoSuchEntity, "The user with id %s cannot be found.", userID)
	}
	if err != nil {
		return nil, err
	}
	return perm.Gather(ctx, s.permStore(), perm.Entity{Kind: perm.User, AccountID: s.account, ID: u.ID, Name: u.Name, PermissionsBoundary: u.PermissionsBoundary})
}

// RolePolicies loads the PolicySet of the role with the given AROA id;
// awserr NoSuchEntity when it does not exist.
func (s *Service) RolePolicies(ctx context.Context, roleID string) (*PolicySet, error) {
	return s.sets.load(s.now(), "r:"+roleID, func() (*PolicySet, error) { return s.loadRolePolicies(ctx, roleID) })
}

func (s *Service) loadRolePolicies(ctx context.Context, roleID string) (*PolicySet, error) {
	r, err := s.st.GetRoleByID(ctx, s.account, roleID)
	if isNotFound(err) {
		return nil, awserr.Errorf(awserr.NoSuchEntity, "The role with id %s cannot be found.", roleID)
	}
	if err != nil {
		return nil, err
	}
	return perm.Gather(ctx, s.permStore(), perm.Entity{Kind: perm.Role, AccountID: s.account, ID: r.ID, Name: r.Name, PermissionsBoundary: r.PermissionsBoundary})
}

// permStore is what perm.Gather reads through the Service: the store's
// listings (embedded), the compile cache and the AWS managed policies.
type permStore struct {
	Store
	s *Service
}

func (s *Service) permStore() permStore { return permStore{Store: s.st, s: s} }

func (p permStore) Compile(doc string, kind policy.Kind) (*policy.Policy, error) {
	return p.s.compiled.get(doc, kind)
}

func (p permStore) ManagedDefault(ctx context.Context, arn string, kind policy.Kind) (*policy.Policy, error) {
	return p.s.managedDefault(ctx, arn, kind)
}

// managedDefault compiles the default version of a managed policy,
// customer or AWS (awsmanaged.go); nil when the policy vanished meanwhile.
func (s *Service) managedDefault(ctx context.Context, arn string, kind policy.Kind) (*policy.Policy, error) {
	if awspolicies.IsAWS(arn) {
		return s.awsDefault(arn, kind)
	}
	p, err := s.st.GetPolicy(ctx, arn)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, err := s.st.GetPolicyVersion(ctx, arn, p.DefaultVersion)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.compiled.get(v.Document, kind)
}

// AssumableRole is a role as STS AssumeRole needs it.
type AssumableRole struct {
	Role store.Role
	ARN  string
	// Trust is the compiled trust policy (policy.Trust), for
	// policy.Input.Resource.
	Trust *policy.Policy
}

// RoleByName finds a role; awserr NoSuchEntity ("The role with name X
// cannot be found.") when it does not exist.
func (s *Service) RoleByName(ctx context.Context, name string) (*AssumableRole, error) {
	return s.roles.load(s.now(), s.sets.gen.Load(), name, func() (*AssumableRole, error) { return s.roleByName(ctx, name) })
}

func (s *Service) roleByName(ctx context.Context, name string) (*AssumableRole, error) {
	r, err := s.getRole(ctx, name)
	if err != nil {
		return nil, err
	}
	trust, err := s.compiled.get(r.AssumeRolePolicy, policy.Trust)
	if err != nil {
		return nil, err
	}
	return &AssumableRole{Role: r, ARN: s.arn("role", r.Path, r.Name), Trust: trust}, nil
}

// RoleByARN finds a role by its ARN (arn:aws:iam::ACCT:role/PATH/NAME): the
// account must be this one and the path must match. awserr NoSuchEntity
// otherwise.
func (s *Service) RoleByARN(ctx context.Context, arn string) (*AssumableRole, error) {
	prefix := "arn:aws:iam::" + s.account + ":role/"
	if !strings.HasPrefix(arn, prefix) {
		return nil, awserr.Errorf(awserr.NoSuchEntity, "The role %s cannot be found.", arn)
	}
	rest := arn[len(prefix)-1:] // "/path/name"
	i := strings.LastIndexByte(rest, '/')
	name := rest[i+1:]
	r, err := s.RoleByName(ctx, name)
	if err != nil {
		return nil, err
	}
	if r.Role.Path != rest[:i+1] {
		return nil, awserr.Errorf(awserr.NoSuchEntity, "The role %s cannot be found.", arn)
	}
	return r, nil
}

// compiledCache maps (kind, document text) to the compiled policy. Stored
// documents were validated on write; a document that no longer parses (a
// stricter validator) fails closed with its error.
type compiledCache struct {
	mu sync.RWMutex
	m  map[compiledKey]*policy.Policy
}

type compiledKey struct {
	kind policy.Kind
	doc  string
}

func (c *compiledCache) get(doc string, kind policy.Kind) (*policy.Policy, error) {
	return c.getWith(doc, kind, policy.Parse)
}

// getWith is get with another parser (policy.ParseAWSManaged for the
// embedded AWS managed policies).
func (c *compiledCache) getWith(doc string, kind policy.Kind, parse func(string, policy.Kind) (*policy.Policy, error)) (*policy.Policy, error) {
	k := compiledKey{kind, doc}
	c.mu.RLock()
	p, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := parse(doc, kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= compiledCacheSize {
		c.m = make(map[compiledKey]*policy.Policy)
	}
	c.m[k] = p
	c.mu.Unlock()
	return p, nil
}

// InvalidatePolicies drops every cached PolicySet. The Service calls it
// after each change that can alter one; a multi-node deployment calls it
// when another node reports such a change.
func (s *Service) InvalidatePolicies() { s.sets.invalidate() }

// policySetCache caches PolicySets by principal ("u:AIDA…", "r:AROA…").
// A generation counter, bumped after every relevant write, makes entries
// loaded before the write unusable even if stored after it.
type policySetCache struct {
	gen atomic.Uint64
	// mu is a RWMutex: every authorised request reads, writes are rare,
	// and under load a reader preempted inside a plain Mutex made the
	// others park (the mutex profile of bench-e2e's AssumeRole).
	mu sync.RWMutex
	m  map[string]policySetEntry
}

type policySetEntry struct {
	set *PolicySet
	gen uint64
	at  time.Time
}

func (c *policySetCache) invalidate() { c.gen.Add(1) }

// roleCache caches AssumableRoles by lower-cased name for AssumeRole*, valid
// while the policySetCache generation is unchanged (every role write bumps
// it) and for at most policySetTTL (changes made on other nodes).
type roleCache struct {
	mu sync.RWMutex // as policySetCache.mu
	m  map[string]roleEntry
}

type roleEntry struct {
	role *AssumableRole
	gen  uint64
	at   time.Time
}

func (c *roleCache) load(now time.Time, gen uint64, name string, fill func() (*AssumableRole, error)) (*AssumableRole, error) {
	key := strings.ToLower(name)
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && e.gen == gen && now.Sub(e.at) < policySetTTL && !now.Before(e.at) {
		return e.role, nil
	}
	r, err := fill()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= compiledCacheSize {
		c.m = make(map[string]roleEntry)
	}
	c.m[key] = roleEntry{role: r, gen: gen, at: now}
	c.mu.Unlock()
	return r, nil
}

func (c *policySetCache) load(now time.Time, key string, fill func() (*PolicySet, error)) (*PolicySet, error) {
	gen := c.gen.Load()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && e.gen == gen && now.Sub(e.at) < policySetTTL && !now.Before(e.at) {
		return e.set, nil
	}
	set, err := fill()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= compiledCacheSize {
		c.m = make(map[string]policySetEntry)
	}
	c.m[key] = policySetEntry{set: set, gen: gen, at: now}
	c.mu.Unlock()
	return set, nil
}
