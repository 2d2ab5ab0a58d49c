package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// TagPolicyInput is TagPolicy's request.
type TagPolicyInput struct {
	PolicyArn string
	Tags      []Tag
}

// TagPolicy adds or replaces tags of a customer managed policy. The tags
// become the policy's aws:ResourceTag/* and iam:ResourceTag/* values at
// once: the authorizer reads them from the store on every request.
func (s *Service) TagPolicy(ctx context.Context, call *identity.Call, in *TagPolicyInput) (*struct{}, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "TagPolicy", in.PolicyArn)
	}
	return nil, s.updatePolicyTags(ctx, in.PolicyArn, func(have []store.Tag) ([]store.Tag, error) {
		return mergeTags(have, add, "Policy")
	})
}

// UntagPolicyInput is UntagPolicy's request.
type UntagPolicyInput struct {
	PolicyArn string
	TagKeys   []string
}

// UntagPolicy removes tags of a customer managed policy; keys it does not
// have are ignored, as AWS ignores them.
func (s *Service) UntagPolicy(ctx context.Context, call *identity.Call, in *UntagPolicyInput) (*struct{}, error) {
	if err := checkARN(in.PolicyArn); err != nil {
		return nil, err
	}
	if awspolicies.IsAWS(in.PolicyArn) {
		return nil, awsReadOnly(call, "UntagPolicy", in.PolicyArn)
	}
	return nil, s.updatePolicyTags(ctx, in.PolicyArn, func(have []store.Tag) ([]store.Tag, error) {
		return removeTags(have, in.TagKeys), nil
	})
}

func (s *Service) updatePolicyTags(ctx context.Context, arn string, fn func([]store.Tag) ([]store.Tag, error)) error {
	_, err := s.st.UpdatePolicyTags(ctx, arn, fn)
	if isNotFound(err) {
		return noSuchPolicy(arn)
	}
	return err
}

// ListPolicyTagsInput is ListPolicyTags' request.
type ListPolicyTagsInput struct {
	PolicyArn string
	Marker    string
	MaxItems  *int32
}

// ListPolicyTags lists a managed policy's tags. An AWS managed policy
// exists but carries no tags: its list is empty.
func (s *Service) ListPolicyTags(ctx context.Context, _ *identity.Call, in *ListPolicyTagsInput) (*ListTagsOutput, error) {
	p, err := s.getPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return listTags(p.Tags, in.Marker, in.MaxItems)
}
