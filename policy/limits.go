package policy

// Size quotas for policy documents, counted by [Size] (characters other than
// white space), as IAM counts them. Source: IAM and STS quotas
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
// Parse does not enforce them, because the inline quotas apply to the sum of
// an entity's inline policies and the trust quota is adjustable; the IAM and
// STS services compare [Size] with these constants and return LimitExceeded
// (see [LimitExceededError]).
const (
	// MaxManagedPolicySize is the quota for a managed policy version
	// (CreatePolicy, CreatePolicyVersion): "Cannot exceed quota for
	// PolicySize: 6144".
	MaxManagedPolicySize = 6144
	// MaxUserInlinePolicySize is the quota for the sum of a user's inline
	// policies: "Maximum policy size of 2048 bytes exceeded for user NAME".
	MaxUserInlinePolicySize = 2048
	// MaxRoleInlinePolicySize is the quota for the sum of a role's inline
	// policies.
	MaxRoleInlinePolicySize = 10240
	// MaxGroupInlinePolicySize is the quota for the sum of a group's inline
	// policies.
	MaxGroupInlinePolicySize = 5120
	// DefaultMaxTrustPolicySize is the default quota for a role trust policy
	// (AssumeRolePolicySizeQuota): "Cannot exceed quota for ACLSizePerRole: 2048".
	DefaultMaxTrustPolicySize = 2048
	// MaxTrustPolicySizeQuota is the largest value the trust-policy quota
	// can be raised to.
	MaxTrustPolicySizeQuota = 4096
	// MaxSessionPolicySize is the limit for the plain-text session policy
	// passed to AssumeRole*, GetFederationToken (Policy parameter).
	MaxSessionPolicySize = 2048
	// MaxSessionPolicyArns is the number of managed policies that can be
	// passed as session policies (PolicyArns).
	MaxSessionPolicyArns = 10

	// MaxDocumentBytes bounds the raw text Parse accepts, whatever the kind:
	// the IAM model's maximum length of a policyDocumentType (131072).
	// Longer input is rejected before JSON decoding.
	MaxDocumentBytes = 131072
	// maxJSONDepth bounds nesting; real documents need at most 5 levels.
	maxJSONDepth = 16
	// maxVarBuf is the stack buffer for expanding policy variables; larger
	// expansions still work but allocate.
	maxVarBuf = 512
)

// Size returns the size of doc as IAM counts it for its quotas: the number of
// characters that are not white space.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			n++
		}
	}
	return n
}

// LimitExceededError returns AWS's LimitExceeded error for a document of the
// given kind whose [Size] is over quota. For inline policies, entity is the
// user, role or group name that the message names; quota is the quota in
// force (for example [DefaultMaxTrustPolicySize] or a raised value). It
// returns nil for kinds with no IAM size quota.
func LimitExceededError(kind Kind, entity string, quota int) *Error {
	var msg string
	switch kind {
	case Identity, Boundary:
		msg = "Cannot exceed quota for PolicySize: " + itoa(quota)
	case Trust:
		msg = "Cannot exceed quota for ACLSizePerRole: " + itoa(quota)
	case InlineUser:
		msg = "Maximum policy size of " + itoa(quota) + " bytes exceeded for user " + entity
	case InlineRole:
		msg = "Maximum policy size of " + itoa(quota) + " bytes exceeded for role " + entity
	case InlineGroup:
		msg = "Maximum policy size of " + itoa(quota) + " bytes exceeded for group " + entity
	default:
		return nil
	}
	return &Error{Code: CodeLimitExceeded, Message: msg}
}

// MaxSize returns the default size quota for a document of kind k, or 0 if
// IAM has none for it.
func MaxSize(k Kind) int {
	switch k {
	case Identity, Boundary:
		return MaxManagedPolicySize
	case InlineUser:
		return MaxUserInlinePolicySize
	case InlineRole:
		return MaxRoleInlinePolicySize
	case InlineGroup:
		return MaxGroupInlinePolicySize
	case Trust:
		return DefaultMaxTrustPolicySize
	case Session:
		return MaxSessionPolicySize
	}
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
