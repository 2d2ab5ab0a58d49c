package iam

import (
	"context"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awspolicies"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

// This file gives the AWS managed policies (arn:aws:iam::aws:policy/…,
// embedded by internal/awspolicies) the behaviour they have in AWS: they
// can be read, listed, attached, used as permissions boundaries and as
// session policies, and they are evaluated like customer managed policies;
// they cannot be changed. Their attachments are stored by ARN
// (store.AWSPolicyAttachments), never as customer policy rows.

// awsAccount is the account part of the AWS managed policies' ARNs.
const awsAccount = "aws"

// lookupAWS finds an AWS managed policy; ok is false when the embedded
// snapshot has none with that ARN.
func (s *Service) lookupAWS(arn string) (*awspolicies.Policy, bool, error) {
	return s.aws.Lookup(arn)
}

// awsRecord gives an AWS managed policy the record shape customer policies
// have, with this account's usage counts.
func (s *Service) awsRecord(ctx context.Context, p *awspolicies.Policy) (store.ManagedPolicy, error) {
	att, err := s.st.ListAWSPolicyEntities(ctx, s.account, p.ARN, "")
	if err != nil {
		return store.ManagedPolicy{}, err
	}
	bounded, err := s.st.ListBoundaryEntities(ctx, s.account, p.ARN, "")
	if err != nil {
		return store.ManagedPolicy{}, err
	}
	r := awsRecordOf(p)
	r.AttachmentCount, r.BoundaryUsageCount = len(att), len(bounded)
	return r, nil
}

func awsRecordOf(p *awspolicies.Policy) store.ManagedPolicy {
	return store.ManagedPolicy{
		AccountID: awsAccount, ID: p.ID, ARN: p.ARN, Name: p.Name, Path: p.Path, DefaultVersion: p.DefaultVersion,
		CreatedAt: p.CreateDate, UpdatedAt: p.UpdateDate,
	}
}

// awsVersion is the one version of an AWS managed policy the snapshot
// holds, its default.
func awsVersion(p *awspolicies.Policy) store.PolicyVersion {
	return store.PolicyVersion{VersionID: p.DefaultVersion, Document: p.Document, IsDefault: true, CreatedAt: p.UpdateDate}
}

// awsReadOnly is the refusal of a change to an AWS managed policy. AWS
// refuses these actions (CreatePolicyVersion, DeletePolicy,
// DeletePolicyVersion, SetDefaultPolicyVersion, TagPolicy, UntagPolicy)
// on arn:aws:iam::aws:policy/… for every caller, whatever its
// policies allow, so the refusal is AccessDenied. The message takes the
// shape of AWS's recorded authorization refusals ("… on resource: policy
// <arn>"); no recording of this refusal from real AWS is known, so the text is ours.
func awsReadOnly(call *identity.Call, action, arn string) error {
	caller := "arn:aws:iam::" + awsAccount + ":root"
	if call != nil && call.Caller != nil {
		caller = call.Caller.ARN
	}
	return awserr.Errorf(awserr.AccessDenied, "User: %s is not authorized to perform: iam:%s on resource: policy %s", caller, action, arn)
}

// awsDefault compiles the default version of an AWS managed policy; nil
// when there is none with that ARN.
func (s *Service) awsDefault(arn string, kind policy.Kind) (*policy.Policy, error) {
	p, ok, err := s.lookupAWS(arn)
	if err != nil || !ok {
		return nil, err
	}
	return s.compiled.getWith(p.Document, kind, policy.ParseAWSManaged)
}

// listAWSPolicies returns the AWS managed policies ListPolicies selects,
// ordered by name, with this account's attachment counts.
func (s *Service) listAWSPolicies(ctx context.Context, in *ListPoliciesInput) ([]store.ManagedPolicy, error) {
	all, err := s.aws.All()
	if err != nil {
		return nil, err
	}
	counts, err := s.st.CountAWSPolicyAttachments(ctx, s.account)
	if err != nil {
		return nil, err
	}
	bounded, err := s.st.CountBoundaryUses(ctx, s.account)
	if err != nil {
		return nil, err
	}
	out := make([]store.ManagedPolicy, 0, len(all))
	for _, p := range all {
		if !strings.HasPrefix(p.Path, in.PathPrefix) {
			continue
		}
		r := awsRecordOf(p)
		r.AttachmentCount, r.BoundaryUsageCount = counts[p.ARN], bounded[p.ARN]
		if in.OnlyAttached && r.AttachmentCount == 0 {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// policyListKey orders merged listings of AWS and customer managed
// policies: by name, then ARN (so equal names of the two kinds both show);
// it is also the paging marker.
func policyListKey(p store.ManagedPolicy) string { return strings.ToLower(p.Name) + " " + p.ARN }
