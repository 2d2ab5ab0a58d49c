// Package policy parses, validates, compiles and evaluates AWS IAM policy
// documents the way AWS does.
//
// A document is parsed once with [Parse], which validates it for the place it
// will be used ([Kind]) and returns either a compiled [*Policy] or an [*Error]
// carrying AWS's exact MalformedPolicyDocument message. Compiled policies are
// immutable and safe for concurrent use; keep them next to the stored text
// ([Policy.Text], [Policy.URLEncoded]) and evaluate them on every request with
// [Evaluate], a pure function of a [Request] and an [Input] that does not
// allocate on the allow path. [Explain] produces the JSON-encodable reasons
// for a decision ("why was I denied"), and [AccessDeniedMessage] formats AWS's
// AccessDenied text.
//
// The evaluation follows AWS's documented logic
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit deny in any policy wins; otherwise identity-based policies (or
// a resource-based policy) must allow, and a permissions boundary and session
// policies, when present, must allow too.
//
// # Writing policies
//
// Parse with the kind of the API that stores the document:
//
//	CreatePolicy, CreatePolicyVersion          Identity (or Boundary when used as one)
//	PutUserPolicy, PutRolePolicy, PutGroupPolicy InlineUser, InlineRole, InlineGroup
//	CreateRole, UpdateAssumeRolePolicy          Trust
//	AssumeRole*, GetFederationToken Policy      Session
//
// Size quotas are the caller's to check, with [Size], the constants in
// limits.go and [LimitExceededError], because inline quotas apply to the sum
// of an entity's policies. Return documents with [Policy.URLEncoded].
//
// # Authorising a request
//
// Gather the policies into an [Input]:
//
//   - IAM user: Identity = its inline and attached policies and those of its
//     groups; Boundary = its permissions boundary.
//   - Role session: Identity = the role's policies; Boundary = the role's;
//     Session = the session policies (nil when none were passed).
//   - Federated user (GetFederationToken): Identity = the IAM user's
//     policies; Session = the session policies, or an empty non-nil slice
//     when none were passed (such a session can do nothing on its own).
//   - Root user: IsRoot.
//   - sts:AssumeRole*: Resource = the role's trust policy (parsed as Trust);
//     other resource-based policies go in Resource too.
//   - CrossAccount when the caller's account is not the resource's.
//
// Fill the [Request]'s Principal (ARN, and RoleARN for role sessions) and its
// Context with the global condition keys (the Key constants; [ContextMap]
// with [FormatTime] and [ContextMap.SetTags] helps). On a deny, answer with
// [AccessDeniedMessage] and, for the encoded authorization message or the
// simulator, [Explain].
//
// The package uses only the standard library.
package policy
