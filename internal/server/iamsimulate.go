package server

import "github.com/castellan-sts/castellan/internal/iam"

// registerIAMSimulator binds IAM's policy simulator.
func registerIAMSimulator(svc *service, s *iam.Service) {
	svc.add("SimulatePrincipalPolicy", op(s.SimulatePrincipalPolicy))
	svc.add("SimulateCustomPolicy", op(s.SimulateCustomPolicy))
	svc.add("GetContextKeysForPrincipalPolicy", op(s.GetContextKeysForPrincipalPolicy))
	svc.add("GetContextKeysForCustomPolicy", op(s.GetContextKeysForCustomPolicy))
}
