package server

import "github.com/castellan-sts/castellan/internal/iam"

// registerIAM binds the IAM operations Castellan implements; each area of
// the API registers in its own function.
func registerIAM(svc *service, s *iam.Service) {
	registerIAMIdentities(svc, s)  // iamidentities.go
	registerIAMCredentials(svc, s) // iamcredentials.go
	registerIAMSimulator(svc, s)   // iamsimulate.go
	svc.add("SetSecurityTokenServicePreferences", op(s.SetSecurityTokenServicePreferences))
}
