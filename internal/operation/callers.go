package operation

import (
	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
)

// MsgRootAssumeRole is AWS's refusal of AssumeRole by the root.
const MsgRootAssumeRole = "Roles may not be assumed by root accounts."

// CheckCaller applies the rules AWS enforces on the kind of caller before
// any policy is evaluated (the "Permissions" sections of the STS API
// reference for GetSessionToken and GetFederationToken, and AssumeRole's
// refusal of the root). It returns nil or the error to send.
func (o *Op) CheckCaller(p *identity.Principal) error {
	if p == nil {
		return nil
	}
	if o.Has(NoRoot) && p.IsRoot() {
		return awserr.Errorf(awserr.AccessDenied, MsgRootAssumeRole)
	}
	s := p.Session
	if s == nil {
		return nil
	}
	if o.Has(NoSession) {
		return awserr.Errorf(awserr.AccessDenied, "Cannot call %s with session credentials", o.Name)
	}
	switch s.Issuer {
	case "GetSessionToken":
		// "You cannot call any IAM API operations unless MFA
		// authentication information is included in the request"; real
		// IAM answers with this exact text (no final period).
		if o.Service == "iam" && !s.MFA {
			return awserr.Errorf(awserr.InvalidClientTokenID, "The security token included in the request is invalid")
		}
		// "You cannot call any STS API except AssumeRole or
		// GetCallerIdentity."
		if o.Service == "sts" && !o.Has(SessionTokenOK) {
			return awserr.Errorf(awserr.AccessDenied, "Cannot call %s with session credentials", o.Name)
		}
	case "GetFederationToken":
		// "You cannot call any IAM operations using the AWS CLI or the AWS
		// API" (MFA or not). AWS documents no text for the refusal; it is
		// answered as the GetSessionToken one above, the same rule of the
		// IAM endpoint on a session it does not accept.
		if o.Service == "iam" {
			return awserr.Errorf(awserr.InvalidClientTokenID, "The security token included in the request is invalid")
		}
		// "You cannot call any STS operations except GetCallerIdentity."
		if o.Service == "sts" && !o.Has(FederatedOK) {
			return awserr.Errorf(awserr.AccessDenied, "Cannot call %s with session credentials", o.Name)
		}
	}
	return nil
}

// CallerRules describes o's caller rules in words (for docs/authorization.md).
func (o *Op) CallerRules() []string {
	var out []string
	if o.Has(NoRoot) {
		out = append(out, "not the root")
	}
	if o.Has(NoSession) {
		out = append(out, "long-term credentials only")
	} else if o.Service == "sts" {
		if !o.Has(SessionTokenOK) {
			out = append(out, "not GetSessionToken sessions")
		}
		if !o.Has(FederatedOK) {
			out = append(out, "not federated-user sessions")
		}
	}
	if o.Service == "iam" {
		out = append(out, "GetSessionToken sessions only with MFA", "not federated-user sessions")
	}
	return out
}
