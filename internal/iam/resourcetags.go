package iam

import (
	"context"
	"strings"

	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/operation"
	"github.com/castellan-sts/castellan/internal/store"
)

// Resolve finds the stored entity an operation acts on, for the
// authorizer: its real ARN (with its stored path and name, whatever path
// the request may claim), its tags and its permissions boundary. name is a
// friendly name for users, groups and roles, and an ARN for managed
// policies, OIDC providers, MFA devices and operation.Principal (a user,
// group or role ARN, resolved by its name alone so that a wrong path in
// the ARN cannot move the resource). found is false when there is no such
// entity; err is a store failure.
func (s *Service) Resolve(ctx context.Context, kind operation.Kind, name string) (operation.Entity, bool, error) {
	if kind == operation.Principal {
		prefix := "arn:aws:iam::" + s.account + ":"
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return operation.Entity{}, false, nil
		}
		k, path, ok := strings.Cut(rest, "/")
		if !ok {
			return operation.Entity{}, false, nil
		}
		switch operation.Kind(k) {
		case operation.User, operation.Group, operation.Role:
		default:
			return operation.Entity{}, false, nil
		}
		kind = operation.Kind(k)
		name = path[strings.LastIndexByte(path, '/')+1:]
	}
	if kind == operation.AccessKey {
		k, err := s.st.GetAccessKey(ctx, name)
		if isNotFound(err) || err == nil && (k.AccountID != s.account || k.UserName == "") {
			return operation.Entity{}, false, nil
		}
		if err != nil {
			return operation.Entity{}, false, err
		}
		kind, name = operation.User, k.UserName
	}
	var (
		e   operation.Entity
		st  []store.Tag
		err error
	)
	switch kind {
	case operation.User:
		var u store.User
		if u, err = s.st.GetUser(ctx, s.account, name); err == nil {
			e = operation.Entity{ARN: s.arn("user", u.Path, u.Name), Path: u.Path, Name: u.Name, Boundary: u.PermissionsBoundary}
			st = u.Tags
		}
	case operation.Group:
		var g store.Group
		if g, err = s.st.GetGroup(ctx, s.account, name); err == nil {
			e = operation.Entity{ARN: s.arn("group", g.Path, g.Name), Path: g.Path, Name: g.Name}
		}
	case operation.Role:
		var r store.Role
		if r, err = s.st.GetRole(ctx, s.account, name); err == nil {
			e = operation.Entity{ARN: s.arn("role", r.Path, r.Name), Path: r.Path, Name: r.Name, Boundary: r.PermissionsBoundary}
			st = r.Tags
		}
	case operation.Policy:
		if awspolicies.IsAWS(name) {
			// AWS managed policies carry no tags and live outside the store.
			_, ok, err := s.lookupAWS(name)
			if err != nil || !ok {
				return operation.Entity{}, false, err
			}
			return operation.Entity{ARN: name, Name: name[strings.LastIndexByte(name, '/')+1:]}, true, nil
		}
		var p store.ManagedPolicy
		if p, err = s.st.GetPolicy(ctx, name); err == nil {
			e = operation.Entity{ARN: p.ARN, Path: p.Path, Name: p.Name}
			st = p.Tags
		}
	case operation.OIDCProvider:
		var o store.OIDCProvider
		if o, err = s.st.GetOIDCProvider(ctx, s.account, name); err == nil {
			e = operation.Entity{ARN: o.ARN}
			st = o.Tags
		}
	case operation.MFA:
		var d store.MFADevice
		if d, err = s.st.GetMFADevice(ctx, s.account, name); err == nil {
			e = operation.Entity{ARN: d.SerialNumber, Path: d.Path, Name: d.Name}
			st = d.Tags
		}
	default:
		return operation.Entity{}, false, nil
	}
	if isNotFound(err) {
		return operation.Entity{}, false, nil
	}
	if err != nil {
		return operation.Entity{}, false, err
	}
	if len(st) > 0 {
		e.Tags = make(map[string]string, len(st))
		for _, t := range st {
			e.Tags[t.Key] = t.Value
		}
	}
	return e, true, nil
}
