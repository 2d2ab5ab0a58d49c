package authz

import (
	"context"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
)

// ResourceTagger is an optional capability of Policies: it describes an
// existing IAM user, role, managed policy or OIDC provider (see
// iam.Service.ResourceTags). When the policy source has it, operations on
// an existing one are authorised on the resource's real ARN (with its
// path, which the request does not carry) with its tags as
// aws:ResourceTag/* keys, as AWS does.
type ResourceTagger interface {
	ResourceTags(ctx context.Context, kind, name string) (arn string, tags map[string]string, found bool, err error)
}

// resourceTagKind says which kind of existing resource an operation acts
// on, for ResourceTags ("" for none); Create* operations name a resource
// that does not exist yet.
func resourceTagKind(op string) string {
	switch kinds[op] {
	case userResource:
		if op != "CreateUser" {
			return "user"
		}
	case roleResource:
		if op != "CreateRole" {
			return "role"
		}
	case policyResource:
		return "policy"
	case oidcResource:
		return "oidc-provider"
	}
	return ""
}

// addResourceTags completes c for an operation on an existing user, role
// or managed policy: its ARN with its path and its aws:ResourceTag/* keys.
// A resource that does not exist is left as the request names it (the
// operation then answers NoSuchEntity, once authorised).
func (a *Authorizer) addResourceTags(ctx context.Context, call *identity.Call, op string, get Params, c *Check) error {
	rt, ok := a.policies.(ResourceTagger)
	if !ok {
		return nil
	}
	kind := resourceTagKind(op)
	var name string
	switch kind {
	case "user":
		name = get("UserName")
		if name == "" {
			if call.Caller.Type != identity.IAMUser || call.Caller.UserName == "" {
				return nil
			}
			name = call.Caller.UserName
		}
	case "role":
		name = get("RoleName")
	case "policy", "oidc-provider":
		name = get("PolicyArn")
		if kind == "oidc-provider" {
			name = get("OpenIDConnectProviderArn")
		}
		if !strings.HasPrefix(name, "arn:") {
			return nil
		}
	default:
		return nil
	}
	if name == "" {
		return nil
	}
	arn, tags, found, err := rt.ResourceTags(ctx, kind, name)
	if err != nil {
		return awserr.Internal(err)
	}
	if !found {
		return nil
	}
	c.Resource = arn
	if len(tags) > 0 && c.Extra == nil {
		c.Extra = make(map[string][]string, len(tags))
	}
	for k, v := range tags {
		c.Extra["aws:ResourceTag/"+k] = []string{v}
	}
	return nil
}

// tagOnCreate maps the Create operations that take Tags to the tagging
// action AWS also requires when tags are passed ("To create a user with
// tags you need iam:CreateUser and iam:TagUser").
var tagOnCreate = map[string]string{
	"CreateUser":                  "iam:TagUser",
	"CreateRole":                  "iam:TagRole",
	"CreatePolicy":                "iam:TagPolicy",
	"CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider",
	"CreateVirtualMFADevice":      "iam:TagMFADevice",
}

// tagCheck is the second question a Create with Tags asks: the tagging
// action on the same resource with the same request tags; nil when the
// operation passes no tags.
func tagCheck(op string, get Params, c *Check) *Check {
	action, ok := tagOnCreate[op]
	if !ok || get("Tags.member.1.Key") == "" {
		return nil
	}
	return &Check{Action: action, Resource: c.Resource, Extra: c.Extra}
}
