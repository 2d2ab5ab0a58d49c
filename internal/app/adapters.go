package app

import (
	"context"
	"time"

	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/sts"
)

// stsRoles lets STS find roles in IAM without importing it.
type stsRoles struct{ iam *iam.Service }

func (r stsRoles) FindRole(ctx context.Context, arn string) (*sts.Role, error) {
	ar, err := r.iam.RoleByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	out := &sts.Role{
		ARN: ar.ARN, ID: ar.Role.ID, Name: ar.Role.Name, AccountID: ar.Role.AccountID,
		MaxSessionDuration: time.Duration(ar.Role.MaxSessionDuration) * time.Second,
		Trust:              ar.Trust,
	}
	for _, t := range ar.Role.Tags {
		out.Tags = append(out.Tags, identity.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}
