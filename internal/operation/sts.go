package operation

func sts(name string, res ...Resource) *Op {
	if len(res) == 0 {
		res = []Resource{wildcard()}
	}
	return &Op{Service: "sts", Name: name, Action: "sts:" + name, Resources: res, ReadOnly: readOnlyByName(name)}
}

// webIdentityKeys are the keys AssumeRoleWithWebIdentity sets in the trust
// evaluation; ${provider} is the issuer's host and path
// (token.actions.githubusercontent.com).
// Every claim of the token becomes ${provider}:CLAIM. Session tags and the
// source identity would come from token claims Castellan does not read.
var webIdentityKeys = []string{"${provider}:aud", "${provider}:sub", "${provider}:amr", "sts:RoleSessionName"}

func stsOps() []*Op {
	return []*Op{
		// GetCallerIdentity needs no permission; an explicit deny does not
		// stop it.
		sts("GetCallerIdentity").noPermission().callers(SessionTokenOK | FederatedOK),
		// GetSessionToken needs no permission; it refuses session
		// credentials.
		sts("GetSessionToken").noPermission().callers(NoSession).issues(),
		// AssumeRole: the trust policy and the caller's identity policies
		// are evaluated together by STS (with sts:TagSession and
		// sts:SetSourceIdentity when the request needs them).
		sts("AssumeRole", stored(Role, "RoleArn")).selfAuthorized().callers(NoRoot|SessionTokenOK).issues().
			keys("aws:RequestTag/${TagKey}", "aws:TagKeys", "sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity", "sts:TransitiveTagKeys", "iam:ResourceTag/${TagKey}"),
		sts("AssumeRoleWithWebIdentity", stored(Role, "RoleArn")).selfAuthorized().unsigned().issues().keys(webIdentityKeys...),
		sts("GetFederationToken", created(FederatedUser, "", "Name")).callers(NoSession).issues().keys(requestTagKeys...),
		sts("GetAccessKeyInfo"),
		sts("DecodeAuthorizationMessage"),
	}
}

func cloudTrailOps() []*Op {
	return []*Op{
		{Service: "cloudtrail", Name: "LookupEvents", Action: "cloudtrail:LookupEvents", Resources: []Resource{wildcard()}, ReadOnly: true},
	}
}
