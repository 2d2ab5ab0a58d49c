package server

import "github.com/castellan-sts/castellan/internal/iam"

// registerIAMCredentials binds the IAM operations on credentials other than
// access keys: virtual MFA devices, console passwords and the account
// password policy, and OpenID Connect providers.
func registerIAMCredentials(svc *service, s *iam.Service) {
	// MFA devices.
	svc.add("CreateVirtualMFADevice", op(s.CreateVirtualMFADevice))
	svc.add("EnableMFADevice", op(s.EnableMFADevice))
	svc.add("ResyncMFADevice", op(s.ResyncMFADevice))
	svc.add("DeactivateMFADevice", op(s.DeactivateMFADevice))
	svc.add("DeleteVirtualMFADevice", op(s.DeleteVirtualMFADevice))
	svc.add("ListMFADevices", op(s.ListMFADevices))
	svc.add("GetMFADevice", op(s.GetMFADevice))
	svc.add("ListVirtualMFADevices", op(s.ListVirtualMFADevices))
	svc.add("TagMFADevice", op(s.TagMFADevice))
	svc.add("UntagMFADevice", op(s.UntagMFADevice))
	svc.add("ListMFADeviceTags", op(s.ListMFADeviceTags))

	// Console passwords.
	svc.add("CreateLoginProfile", op(s.CreateLoginProfile))
	svc.add("GetLoginProfile", op(s.GetLoginProfile))
	svc.add("UpdateLoginProfile", op(s.UpdateLoginProfile))
	svc.add("DeleteLoginProfile", op(s.DeleteLoginProfile))
	svc.add("ChangePassword", op(s.ChangePassword))
	svc.add("UpdateAccountPasswordPolicy", op(s.UpdateAccountPasswordPolicy))
	svc.add("GetAccountPasswordPolicy", op0(s.GetAccountPasswordPolicy))
	svc.add("DeleteAccountPasswordPolicy", op0(s.DeleteAccountPasswordPolicy))

	// OpenID Connect providers.
	svc.add("CreateOpenIDConnectProvider", op(s.CreateOpenIDConnectProvider))
	svc.add("GetOpenIDConnectProvider", op(s.GetOpenIDConnectProvider))
	svc.add("ListOpenIDConnectProviders", op0(s.ListOpenIDConnectProviders))
	svc.add("DeleteOpenIDConnectProvider", op(s.DeleteOpenIDConnectProvider))
	svc.add("AddClientIDToOpenIDConnectProvider", op(s.AddClientIDToOpenIDConnectProvider))
	svc.add("RemoveClientIDFromOpenIDConnectProvider", op(s.RemoveClientIDFromOpenIDConnectProvider))
	svc.add("UpdateOpenIDConnectProviderThumbprint", op(s.UpdateOpenIDConnectProviderThumbprint))
	svc.add("TagOpenIDConnectProvider", op(s.TagOpenIDConnectProvider))
	svc.add("UntagOpenIDConnectProvider", op(s.UntagOpenIDConnectProvider))
	svc.add("ListOpenIDConnectProviderTags", op(s.ListOpenIDConnectProviderTags))
}
