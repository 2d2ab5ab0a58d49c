package iam

import (
	"context"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/policy"
)

// SessionPolicy compiles the default version of a managed policy passed as
// a session policy (PolicyArns of AssumeRole* and GetFederationToken). A
// policy that does not exist in the account is InvalidParameterValue.
func (s *Service) SessionPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	p, err := s.managedDefault(ctx, arn, policy.Session)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, awserr.Errorf(awserr.InvalidParameterValue, "Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

// CompileSessionPolicy compiles an inline session policy (cached by text).
func (s *Service) CompileSessionPolicy(doc string) (*policy.Policy, error) {
	return s.compiled.get(doc, policy.Session)
}
