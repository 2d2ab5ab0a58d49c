package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/store"
)

// ResourceTags returns what the authorizer needs of an existing IAM
// resource: its ARN with its path (the resource AWS authorises operations
// on) and its tags (aws:ResourceTag/*). kind is "user" or "role" with the
// entity's name, "policy" with the managed policy's ARN, or
// "oidc-provider" with the provider's ARN. found is false
// when there is no such resource; err is a store failure.
func (s *Service) ResourceTags(ctx context.Context, kind, name string) (arn string, tags map[string]string, found bool, err error) {
	var st []store.Tag
	switch kind {
	case "user":
		u, err := s.st.GetUser(ctx, s.account, name)
		if isNotFound(err) {
			return "", nil, false, nil
		}
		if err != nil {
			return "", nil, false, err
		}
		arn, st = s.arn("user", u.Path, u.Name), u.Tags
	case "role":
		r, err := s.st.GetRole(ctx, s.account, name)
		if isNotFound(err) {
			return "", nil, false, nil
		}
		if err != nil {
			return "", nil, false, err
		}
		arn, st = s.arn("role", r.Path, r.Name), r.Tags
	case "policy":
		if awspolicies.IsAWS(name) {
			// AWS managed policies carry no tags.
			_, ok, err := s.lookupAWS(name)
			return name, map[string]string{}, ok && err == nil, err
		}
		p, err := s.st.GetPolicy(ctx, name)
		if isNotFound(err) {
			return "", nil, false, nil
		}
		if err != nil {
			return "", nil, false, err
		}
		arn, st = p.ARN, p.Tags
	case "oidc-provider":
		o, err := s.st.GetOIDCProvider(ctx, s.account, name)
		if isNotFound(err) {
			return "", nil, false, nil
		}
		if err != nil {
			return "", nil, false, err
		}
		arn, st = o.ARN, o.Tags
	default:
		return "", nil, false, nil
	}
	tags = make(map[string]string, len(st))
	for _, t := range st {
		tags[t.Key] = t.Value
	}
	return arn, tags, true, nil
}
