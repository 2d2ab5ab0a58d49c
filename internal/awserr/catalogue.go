package awserr

// Codes of the query (STS, IAM), JSON and REST protocols that Castellan
// returns. Messages are AWS's exact text where AWS has one (from AWS's
// documentation and recorded responses).
const (
	// Authentication (SigV4 and tokens).
	MissingAuthenticationToken Code = "MissingAuthenticationToken"
	IncompleteSignature        Code = "IncompleteSignature"
	InvalidClientTokenID       Code = "InvalidClientTokenId"
	SignatureDoesNotMatch      Code = "SignatureDoesNotMatch"
	ExpiredToken               Code = "ExpiredToken"
	AccessDenied               Code = "AccessDenied"
	OptInRequired              Code = "OptInRequired"
	RegionDisabled             Code = "RegionDisabledException"

	// Protocol and validation.
	InvalidAction           Code = "InvalidAction"
	MissingAction           Code = "MissingAction"
	InvalidParameterValue   Code = "InvalidParameterValue"
	InvalidParameterCombo   Code = "InvalidParameterCombination"
	MissingParameter        Code = "MissingParameter"
	MalformedQueryString    Code = "MalformedQueryString"
	ValidationError         Code = "ValidationError"
	RequestEntityTooLarge   Code = "RequestEntityTooLarge"
	NotImplemented          Code = "NotImplemented"
	InternalFailure         Code = "InternalFailure"
	ServiceUnavailable      Code = "ServiceUnavailable"
	Throttling              Code = "Throttling"
	UnsupportedProtocol     Code = "UnsupportedProtocol"
	InvalidQueryParameter   Code = "InvalidQueryParameter"
	MalformedPolicyDocument Code = "MalformedPolicyDocument"

	// STS.
	PackedPolicyTooLarge        Code = "PackedPolicyTooLarge"
	InvalidIdentityToken        Code = "InvalidIdentityToken"
	IDPRejectedClaim            Code = "IDPRejectedClaim"
	IDPCommunicationError       Code = "IDPCommunicationError"
	ExpiredTokenException       Code = "ExpiredTokenException"
	InvalidAuthorizationMessage Code = "InvalidAuthorizationMessageException"

	// IAM.
	NoSuchEntity                  Code = "NoSuchEntity"
	EntityAlreadyExists           Code = "EntityAlreadyExists"
	LimitExceeded                 Code = "LimitExceeded"
	DeleteConflict                Code = "DeleteConflict"
	ConcurrentModification        Code = "ConcurrentModification"
	EntityTemporarilyUnmodifiable Code = "EntityTemporarilyUnmodifiable"
	InvalidInput                  Code = "InvalidInput"
	UnmodifiableEntity            Code = "UnmodifiableEntity"
	PolicyNotAttachable           Code = "PolicyNotAttachable"
	InvalidAuthenticationCode     Code = "InvalidAuthenticationCode"
	PasswordPolicyViolation       Code = "PasswordPolicyViolation"
	InvalidUserType               Code = "InvalidUserType"
	ServiceFailure                Code = "ServiceFailure"
	ReportNotPresent              Code = "ReportNotPresent"
	ReportInProgress              Code = "ReportInProgress"
	ReportExpired                 Code = "ReportExpired"
	PolicyEvaluation              Code = "PolicyEvaluation"

	// CloudTrail (JSON protocol).
	InvalidLookupAttributes Code = "InvalidLookupAttributesException"
	InvalidTimeRange        Code = "InvalidTimeRangeException"
	InvalidMaxResults       Code = "InvalidMaxResultsException"
	InvalidNextToken        Code = "InvalidNextTokenException"
	InvalidEventCategory    Code = "InvalidEventCategoryException"
)

// AWS's exact texts for MFA failures of STS (reference §1.2), shared by the
// STS operations and the IAM verifier behind them. Note the double space in
// MsgMFAUnknownDevice and the trailing space of MsgMFAInvalidCode.
const (
	MsgMFAInvalidCode   = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	MsgMFAUnknownDevice = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
)

type entry struct {
	status  int
	fault   Fault
	message string
}

// catalogue is the single source of status, fault and default message.
var catalogue = map[Code]entry{
	MissingAuthenticationToken: {403, Sender, "Request is missing Authentication Token"},
	IncompleteSignature:        {400, Sender, "The request signature does not conform to AWS standards."},
	InvalidClientTokenID:       {403, Sender, "The security token included in the request is invalid."},
	SignatureDoesNotMatch:      {403, Sender, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
	ExpiredToken:               {403, Sender, "The security token included in the request is expired"},
	AccessDenied:               {403, Sender, "Access Denied"},
	OptInRequired:              {403, Sender, "The AWS access key ID needs a subscription for the service"},
	RegionDisabled:             {403, Sender, "STS is not activated in this region."},

	InvalidAction:           {400, Sender, "The action or operation requested is invalid."},
	MissingAction:           {400, Sender, "Missing Action"},
	InvalidParameterValue:   {400, Sender, "An invalid or out-of-range value was supplied for the input parameter."},
	InvalidParameterCombo:   {400, Sender, "Parameters that must not be used together were used together."},
	MissingParameter:        {400, Sender, "A required parameter for the specified action is not supplied."},
	MalformedQueryString:    {404, Sender, "The query string contains a syntax error."},
	ValidationError:         {400, Sender, "The input fails to satisfy the constraints specified by an AWS service."},
	RequestEntityTooLarge:   {413, Sender, "Request body too large."},
	NotImplemented:          {501, Receiver, "The requested operation is not implemented."},
	InternalFailure:         {500, Receiver, "The request processing has failed because of an unknown error, exception or failure."},
	ServiceUnavailable:      {503, Receiver, "The request has failed due to a temporary failure of the server."},
	Throttling:              {400, Sender, "Rate exceeded"},
	UnsupportedProtocol:     {400, Sender, "The request uses a protocol this endpoint does not serve."},
	InvalidQueryParameter:   {400, Sender, "The AWS query string is malformed or does not adhere to AWS standards."},
	MalformedPolicyDocument: {400, Sender, "The policy document is malformed."},

	PackedPolicyTooLarge:        {400, Sender, "Packed policy consumes more than 100 percent of allotted space."},
	InvalidIdentityToken:        {400, Sender, "The web identity token that was passed could not be validated by AWS."},
	IDPRejectedClaim:            {403, Sender, "The identity provider rejected the claims in the token."},
	IDPCommunicationError:       {400, Sender, "The request could not be fulfilled because the identity provider is not reachable."},
	ExpiredTokenException:       {400, Sender, "The web identity token that was passed is expired."},
	InvalidAuthorizationMessage: {400, Sender, "The error returned if the message passed to DecodeAuthorizationMessage was invalid."},

	NoSuchEntity:                  {404, Sender, "The request was rejected because it referenced an entity that does not exist."},
	EntityAlreadyExists:           {409, Sender, "The request was rejected because it attempted to create a resource that already exists."},
	LimitExceeded:                 {409, Sender, "The request was rejected because it attempted to create resources beyond the current AWS account limits."},
	DeleteConflict:                {409, Sender, "The request was rejected because it attempted to delete a resource that has attached subordinate entities."},
	ConcurrentModification:        {409, Sender, "The request was rejected because multiple requests to change this object were submitted simultaneously."},
	EntityTemporarilyUnmodifiable: {409, Sender, "The request was rejected because it referenced an entity that is temporarily unmodifiable."},
	InvalidInput:                  {400, Sender, "The request was rejected because an invalid or out-of-range value was supplied for an input parameter."},
	UnmodifiableEntity:            {400, Sender, "The request was rejected because service-linked roles are protected AWS resources."},
	PolicyNotAttachable:           {400, Sender, "The request failed because AWS service role policies can only be attached to the service-linked role for that service."},
	InvalidAuthenticationCode:     {403, Sender, "The request was rejected because the authentication code was not recognized."},
	PasswordPolicyViolation:       {400, Sender, "The request was rejected because the provided password did not meet the requirements imposed by the account password policy."},
	InvalidUserType:               {400, Sender, "The request was rejected because the type of user for the transaction was incorrect."},
	ServiceFailure:                {500, Receiver, "The request processing has failed because of an unknown error, exception or failure."},
	ReportNotPresent:              {410, Sender, "Credential report does not exist. Use GenerateCredentialReport to generate a report."},
	ReportInProgress:              {404, Sender, "Credential report generation is in progress."},
	ReportExpired:                 {410, Sender, "The credential report is expired. Use GenerateCredentialReport to generate a new report."},
	PolicyEvaluation:              {500, Receiver, "The request failed because a provided policy could not be successfully evaluated."},

	InvalidLookupAttributes: {400, Sender, "Occurs when a lookup attribute is specified that is not valid."},
	InvalidTimeRange:        {400, Sender, "Occurs if the timestamp values are not valid."},
	InvalidMaxResults:       {400, Sender, "This exception is thrown if the limit specified is not valid."},
	InvalidNextToken:        {400, Sender, "A token that is not valid, or a token that was previously used in a request with different parameters."},
	InvalidEventCategory:    {400, Sender, "Occurs if an event category that is not valid is specified as a value of EventCategory."},
}
