package server

import "github.com/castellan-sts/castellan/internal/sts"

// registerSTS binds the STS operations Castellan implements.
func registerSTS(svc *service, s *sts.Service) {
	svc.add("GetCallerIdentity", op0(s.GetCallerIdentity))
	svc.add("GetSessionToken", op(s.GetSessionToken))
	svc.add("AssumeRole", op(s.AssumeRole))
	svc.add("GetFederationToken", op(s.GetFederationToken))
	svc.add("AssumeRoleWithWebIdentity", op(s.AssumeRoleWithWebIdentity)) // unsigned: see the registry
	svc.add("GetAccessKeyInfo", op(s.GetAccessKeyInfo))
	svc.add("DecodeAuthorizationMessage", op(s.DecodeAuthorizationMessage))
}
