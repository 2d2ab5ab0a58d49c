package iam

// IAM quotas Castellan enforces, named as AWS names them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
// Policy document sizes are the policy package's (policy.MaxSize).
const (
	// AccessKeysPerUser counts active and inactive keys alike.
	AccessKeysPerUser = 2
	// GroupsPerUser is the number of groups a user can belong to.
	GroupsPerUser = 10
	// ManagedPoliciesPerEntity is the default number of managed policies
	// attached to one user, group or role (PoliciesPerUser, …).
	ManagedPoliciesPerEntity = 10
	// VersionsPerPolicy is the number of versions a managed policy keeps.
	VersionsPerPolicy = 5
	// TagsPerEntity is the number of tags on a user, role or policy.
	TagsPerEntity = 50

	// Account quotas reported by GetAccountSummary (not enforced).
	UsersQuota    = 5000
	GroupsQuota   = 300
	RolesQuota    = 1000
	PoliciesQuota = 1500

	// DefaultMaxItems is the page size of a List call without MaxItems.
	DefaultMaxItems = 100
	// compiledCacheSize bounds the compiled-policy cache; it is emptied
	// when full.
	compiledCacheSize = 10000
)
