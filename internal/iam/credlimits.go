package iam

// Limits of MFA devices, console passwords and OIDC providers, named as AWS
// names the quotas where it has one.
const (
	// MFADevicesPerUser is the number of MFA devices one user (or the
	// root) can have enabled.
	MFADevicesPerUser = 8
	// MFASeedBytes is the size of a virtual MFA device's TOTP key: 40
	// bytes, 64 base32 characters, like AWS's Base32StringSeed.
	MFASeedBytes = 40
	// MFAVerifyWindow is how many 30-second steps either side of the
	// device's expected step a one-time code is accepted for (RFC 6238's
	// recommended one step of network and clock delay).
	MFAVerifyWindow = 1
	// MFAEnableWindow is how many steps before now the first of the two
	// consecutive codes of EnableMFADevice may be (its second code then is
	// at most MFAVerifyWindow steps from now either way).
	MFAEnableWindow = 2
	// MFAResyncWindow is how far (in steps, either way) ResyncMFADevice
	// searches for the device's two consecutive codes: ten minutes of
	// clock drift.
	MFAResyncWindow = 20
	// MFAQRCodeSize is the width and height of QRCodePNG in pixels.
	MFAQRCodeSize = 200

	// ClientIDsPerOpenIDConnectProvider is AWS's
	// ClientIdsPerOpenIdConnectProvider quota.
	ClientIDsPerOpenIDConnectProvider = 100
	// ThumbprintsPerOpenIDConnectProvider bounds ThumbprintList.
	ThumbprintsPerOpenIDConnectProvider = 5
	// OpenIDConnectProvidersPerAccount is AWS's quota of OIDC providers.
	OpenIDConnectProvidersPerAccount = 100

	// PasswordHistoryMax is the largest PasswordReusePrevention (the
	// model's bound): at most this many previous hashes are kept.
	PasswordHistoryMax = 24
)
