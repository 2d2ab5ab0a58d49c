package authz

import (
	"context"
	"strconv"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/operation"
)

// Resolver is an optional capability of Policies: it finds the stored
// entity an operation acts on (see iam.Service.Resolve). Without it,
// operations on existing entities are authorised on the ARN at path "/",
// which fails closed for policies that name paths.
type Resolver interface {
	Resolve(ctx context.Context, kind operation.Kind, name string) (operation.Entity, bool, error)
}

// Authorize implements the server's authorizer for every operation: the
// operation registry says which action, resources and condition keys a
// call has, and every resource must be allowed. get must read only the
// members the botocore model defines for the operation (the edge filters
// them), so a member the model lacks cannot steer the decision.
func (a *Authorizer) Authorize(ctx context.Context, call *identity.Call, service, op string, get func(name string) string) error {
	o := operation.Lookup(service, op)
	if o == nil {
		return awserr.Errorf(awserr.NotImplemented, "The operation %s is not implemented by Castellan.", op)
	}
	p := call.Caller
	if err := o.CheckCaller(p); err != nil {
		return err
	}
	if p.IsRoot() && p.Session == nil {
		return nil // the root is allowed everything; no policy can attach to it
	}
	if o.Action == "" || o.SelfAuthorized {
		return nil
	}
	checks, err := a.Checks(ctx, call, o, get)
	if err != nil {
		return err
	}
	for _, c := range checks {
		if err := a.Evaluate(ctx, call, c); err != nil {
			return err
		}
	}
	return nil
}

// Checks lists the authorisation questions of one call of o, in order:
// one per resource of the registry entry, then the tagging action of a
// create that passes tags.
func (a *Authorizer) Checks(ctx context.Context, call *identity.Call, o *operation.Op, get Params) ([]*Check, error) {
	acct := call.Caller.AccountID
	iamARN := func(kind operation.Kind, path, name string) string {
		if path == "" {
			path = "/"
		}
		return "arn:aws:iam::" + acct + ":" + string(kind) + path + name
	}
	req := requestKeys(o, get)
	var target *operation.Entity // the first stored entity (renames start from it)
	var checks []*Check
	for _, r := range o.Resources {
		c := &Check{Action: o.Action, Extra: clone(req)}
		switch r.From {
		case operation.Wildcard:
			c.Resource = "*"
		case operation.Listed:
			c.Resource = "arn:aws:iam::" + acct + ":" + string(r.Kind) + "/"
		case operation.Created:
			switch r.Kind {
			case operation.FederatedUser:
				c.Resource = "arn:aws:sts::" + acct + ":federated-user/" + get(r.Name)
			case operation.OIDCProvider:
				c.Resource = "arn:aws:iam::" + acct + ":oidc-provider/" + strings.TrimPrefix(get(r.Name), "https://")
			default:
				c.Resource = iamARN(r.Kind, get(r.Path), get(r.Name))
			}
		case operation.Stored:
			e, err := a.stored(ctx, call, r, get)
			if err != nil {
				return nil, err
			}
			c.Resource = e.ARN
			for k, v := range e.Tags {
				if c.Extra == nil {
					c.Extra = map[string][]string{}
				}
				c.Extra["aws:ResourceTag/"+k] = []string{v}
				c.Extra["iam:ResourceTag/"+k] = []string{v}
			}
			if target == nil {
				target = &e
			}
		case operation.Renamed:
			var path, name string
			if target != nil {
				path, name = target.Path, target.Name
			}
			if v := get(r.Path); v != "" {
				path = v
			}
			if v := get(r.Name); v != "" {
				name = v
			}
			c.Resource = iamARN(r.Kind, path, name)
			// The renamed entity is the same entity: it keeps its tags, so
			// a tag condition that allows the old ARN allows the new one.
			if target != nil {
				for k, v := range target.Tags {
					if c.Extra == nil {
						c.Extra = map[string][]string{}
					}
					c.Extra["aws:ResourceTag/"+k] = []string{v}
					c.Extra["iam:ResourceTag/"+k] = []string{v}
				}
			}
		}
		checks = append(checks, c)
	}
	// iam:PermissionsBoundary is the boundary the request sets
	// (CreateUser, Put*PermissionsBoundary), or else the target entity's
	// current one (Attach*Policy, Put*Policy, Delete*PermissionsBoundary …).
	if hasKey(o, "iam:PermissionsBoundary") && get("PermissionsBoundary") == "" && target != nil && target.Boundary != "" {
		for _, c := range checks {
			if c.Extra == nil {
				c.Extra = map[string][]string{}
			}
			c.Extra["iam:PermissionsBoundary"] = []string{target.Boundary}
		}
	}
	// "To create a user with tags you need iam:CreateUser and iam:TagUser."
	if o.TagAction != "" && get("Tags.member.1.Key") != "" && len(checks) > 0 {
		checks = append(checks, &Check{Action: o.TagAction, Resource: checks[0].Resource, Extra: checks[0].Extra})
	}
	return checks, nil
}

// stored finds the entity a Stored resource names. A missing entity is
// authorised on the ARN the request names (at path "/" for friendly
// names); the operation then answers NoSuchEntity, once authorised.
func (a *Authorizer) stored(ctx context.Context, call *identity.Call, r operation.Resource, get Params) (operation.Entity, error) {
	p := call.Caller
	name := get(r.Name)
	if name == "" && r.DefaultCaller {
		if p.Type != identity.IAMUser {
			return operation.Entity{ARN: "arn:aws:iam::" + p.AccountID + ":" + string(r.Kind) + "/"}, nil
		}
		if p.UserName == "" {
			return operation.Entity{ARN: p.ARN}, nil
		}
		name = p.UserName
	}
	if rs, ok := a.policies.(Resolver); ok && name != "" {
		e, found, err := rs.Resolve(ctx, r.Kind, name)
		if err != nil {
			return operation.Entity{}, awserr.Internal(err)
		}
		if found {
			return e, nil
		}
	}
	switch r.Kind {
	case operation.User, operation.Group, operation.Role:
		return operation.Entity{ARN: "arn:aws:iam::" + p.AccountID + ":" + string(r.Kind) + "/" + name, Path: "/", Name: name}, nil
	case operation.AccessKey:
		return operation.Entity{ARN: "*"}, nil // a key that does not exist (or the root's)
	}
	return operation.Entity{ARN: name}, nil // named by its ARN
}

// requestKeys are the condition keys the request's members set.
func requestKeys(o *operation.Op, get Params) map[string][]string {
	var m map[string][]string
	set := func(k string, v ...string) {
		if m == nil {
			m = map[string][]string{}
		}
		m[k] = v
	}
	for _, k := range o.Keys {
		switch k {
		case "aws:RequestTag/${TagKey}":
			for i := 1; i <= maxListMembers; i++ {
				pfx := "Tags.member." + strconv.Itoa(i)
				key := get(pfx + ".Key")
				if key == "" {
					break
				}
				set("aws:RequestTag/"+key, get(pfx+".Value"))
			}
		case "aws:TagKeys":
			var keys []string
			for _, list := range []string{"Tags.member.%d.Key", "TagKeys.member.%d"} {
				for i := 1; i <= maxListMembers; i++ {
					v := get(strings.Replace(list, "%d", strconv.Itoa(i), 1))
					if v == "" {
						break
					}
					keys = append(keys, v)
				}
			}
			if len(keys) > 0 {
				set("aws:TagKeys", keys...)
			}
		case "iam:PolicyARN":
			if v := get("PolicyArn"); v != "" {
				set(k, v)
			}
		case "iam:PermissionsBoundary":
			if v := get("PermissionsBoundary"); v != "" {
				set(k, v)
			}
		}
	}
	return m
}

// maxListMembers bounds the list members read for condition keys (the
// models' largest tag and key lists hold 50).
const maxListMembers = 50

func hasKey(o *operation.Op, key string) bool {
	for _, k := range o.Keys {
		if k == key {
			return true
		}
	}
	return false
}

func clone(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
