package server

import (
	"context"

	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/monitor"
)

// CredentialReports serves GenerateCredentialReport and GetCredentialReport
// (*monitor.Reports).
type CredentialReports interface {
	GenerateCredentialReport(ctx context.Context, call *identity.Call) (*monitor.GenerateCredentialReportOutput, error)
	GetCredentialReport(ctx context.Context, call *identity.Call) (*monitor.GetCredentialReportOutput, error)
}

// registerIAMReport binds the credential report operations.
func registerIAMReport(svc *service, r CredentialReports) {
	svc.add("GenerateCredentialReport", op0(r.GenerateCredentialReport))
	svc.add("GetCredentialReport", op0(r.GetCredentialReport))
}
