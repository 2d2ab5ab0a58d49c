package operation

import (
	"errors"
	"testing"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
)

// TestCheckCallerSessions holds the caller-type rules AWS applies to
// temporary credentials before any policy: GetFederationToken sessions may
// call no IAM operation at all, GetSessionToken sessions only when MFA was
// given to GetSessionToken, role sessions any.
func TestCheckCallerSessions(t *testing.T) {
	const invalid = "The security token included in the request is invalid"
	sess := func(issuer string, mfa bool) *identity.Principal {
		return &identity.Principal{Type: identity.IAMUser, Session: &identity.Session{Issuer: issuer, MFA: mfa}}
	}
	fed := &identity.Principal{Type: identity.FederatedUser, Session: &identity.Session{Issuer: "GetFederationToken"}}
	fedMFA := &identity.Principal{Type: identity.FederatedUser, Session: &identity.Session{Issuer: "GetFederationToken", MFA: true}}
	role := &identity.Principal{Type: identity.AssumedRole, Session: &identity.Session{Issuer: "AssumeRole"}}
	tests := []struct {
		name    string
		service string
		op      string
		p       *identity.Principal
		code    awserr.Code // "" for allowed
		msg     string
	}{
		{"federated ListUsers", "iam", "ListUsers", fed, awserr.InvalidClientTokenID, invalid},
		{"federated GetUser", "iam", "GetUser", fed, awserr.InvalidClientTokenID, invalid},
		{"federated CreateUser", "iam", "CreateUser", fed, awserr.InvalidClientTokenID, invalid},
		{"federated with MFA still no IAM", "iam", "ListRoles", fedMFA, awserr.InvalidClientTokenID, invalid},
		{"federated simulator", "iam", "SimulatePrincipalPolicy", fed, awserr.InvalidClientTokenID, invalid},
		{"federated GetCallerIdentity", "sts", "GetCallerIdentity", fed, "", ""},
		{"federated AssumeRole", "sts", "AssumeRole", fed, awserr.AccessDenied, "Cannot call AssumeRole with session credentials"},
		{"federated LookupEvents", "cloudtrail", "LookupEvents", fed, "", ""},
		{"session token without MFA", "iam", "ListUsers", sess("GetSessionToken", false), awserr.InvalidClientTokenID, invalid},
		{"session token with MFA", "iam", "ListUsers", sess("GetSessionToken", true), "", ""},
		{"session token AssumeRole", "sts", "AssumeRole", sess("GetSessionToken", false), "", ""},
		{"role session IAM", "iam", "ListUsers", role, "", ""},
		{"long-term key IAM", "iam", "ListUsers", &identity.Principal{Type: identity.IAMUser}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Lookup(tc.service, tc.op)
			if o == nil {
				t.Fatalf("no registry entry %s:%s", tc.service, tc.op)
			}
			err := o.CheckCaller(tc.p)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("CheckCaller = %v, want nil", err)
				}
				return
			}
			ae, ok := errors.AsType[*awserr.Error](err)
			if !ok || ae.Code != tc.code || ae.Message != tc.msg {
				t.Fatalf("CheckCaller = %v, want %s: %s", err, tc.code, tc.msg)
			}
		})
	}
}
