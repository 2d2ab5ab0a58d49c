package policy

// Error codes carried by [*Error].
const (
	// CodeMalformedPolicyDocument is AWS's code for a document that fails
	// validation (HTTP 400).
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	// CodeLimitExceeded is AWS's code for a document over a size quota
	// (HTTP 409).
	CodeLimitExceeded = "LimitExceeded"
)

// Error is a policy-document error. Message is AWS's exact public text and
// is safe to send to clients. An Error is never mutated after creation.
type Error struct {
	Code    string // CodeMalformedPolicyDocument or CodeLimitExceeded
	Message string // AWS's message, e.g. "Syntax errors in policy."
}

// AWSCode returns the AWS error code, so the server's error renderer
// recognises the error structurally.
func (e *Error) AWSCode() string { return e.Code }

// AWSMessage returns the public AWS message.
func (e *Error) AWSMessage() string { return e.Message }

// Error implements error as "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func malformed(msg string) *Error {
	return &Error{Code: CodeMalformedPolicyDocument, Message: msg}
}

// AWS's MalformedPolicyDocument messages.
const (
	msgSyntax        = "Syntax errors in policy."
	msgInvalidJSON   = "This policy contains invalid Json"
	msgVersion       = "Policy document must be version 2012-10-17 or greater."
	msgLegacy        = "The policy failed legacy parsing"
	msgSidUnique     = "Statement IDs (SID) in a single policy must be unique."
	msgSidAlnum      = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions     = "Policy statement must contain actions."
	msgNoResources   = "Policy statement must contain resources."
	msgVendor        = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon      = "Actions/Condition can contain only one colon."
	msgResVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
	msgNoPrincipal   = "Policy document should not specify a principal."
	msgMissingPrinc  = "Missing required field Principal"
	msgTrustActions  = "AssumeRole policy may only specify STS AssumeRole actions."
	msgIAMResPath    = `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`
	msgProhibitedFmt = "Has prohibited field "
)
