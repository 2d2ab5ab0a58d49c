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
// an explicit deny in any policy wins; otherwise identity-based policies (or a
// resource-based policy) must allow, and a permissions boundary and session
// policies, when present, must allow too.
//
// The package uses only the standard library.
package policy
