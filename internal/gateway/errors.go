package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/sigv4"
)

// apiError is a refusal in API Gateway's shape: a status, the
// x-amzn-ErrorType, and a JSON body {"message": …} (or {"Message": …} for
// AccessDeniedException, as API Gateway sends it).
type apiError struct {
	Status  int
	Type    string // x-amzn-ErrorType
	Message string
	// AuthorizationMessage is the encoded explanation of a policy denial
	// (X-Castellan-Authorization-Message); "" if none.
	AuthorizationMessage string
	cause                error // logged and audited, never sent
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }
func (e *apiError) Unwrap() error { return e.cause }

// API Gateway's texts (see docs/gateway.md for their sources).
const (
	msgMissingToken   = "Missing Authentication Token"
	msgInvalidToken   = "The security token included in the request is invalid."
	msgExpiredToken   = "The security token included in the request is expired"
	msgRequestTooLong = "Request Too Long"
	msgInternal       = "Internal server error"
)

func errMissingToken() *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "MissingAuthenticationTokenException", Message: msgMissingToken}
}

func errTooLarge() *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException", Message: msgRequestTooLong}
}

func errInvalidSignature(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "InvalidSignatureException", Message: msg}
}

// signatureMismatch is API Gateway's InvalidSignatureException text: the
// generic sentence, then the canonical request and the string to sign the
// server computed.
func signatureMismatch(se *sigv4.Error) string {
	msg := se.Message
	if se.CanonicalRequest == "" {
		return msg
	}
	return msg + "\n\nThe Canonical String for this request should have been\n'" + se.CanonicalRequest +
		"'\n\nThe String-to-Sign should have been\n'" + se.StringToSign + "'\n"
}

// authError maps an authentication failure (from sigv4 or the credential
// source) to API Gateway's answer.
func authError(err error) *apiError {
	if se, ok := errors.AsType[*sigv4.Error](err); ok {
		var e *apiError
		switch se.Code {
		case sigv4.CodeMissingAuthenticationToken:
			e = errMissingToken()
		case sigv4.CodeInvalidClientTokenID:
			e = &apiError{Status: http.StatusForbidden, Type: "UnrecognizedClientException", Message: msgInvalidToken}
		case sigv4.CodeIncompleteSignature, sigv4.CodeAuthorizationQueryParametersError:
			e = &apiError{Status: http.StatusForbidden, Type: "IncompleteSignatureException", Message: se.Message}
		case sigv4.CodeAccessDenied:
			e = &apiError{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: se.Message}
		default:
			e = errInvalidSignature(signatureMismatch(se))
		}
		e.cause = err
		return e
	}
	if ae, ok := errors.AsType[*awserr.Error](err); ok {
		switch ae.Code {
		case awserr.ExpiredToken:
			return &apiError{Status: http.StatusForbidden, Type: "ExpiredTokenException", Message: msgExpiredToken, cause: err}
		case awserr.InvalidClientTokenID:
			return &apiError{Status: http.StatusForbidden, Type: "UnrecognizedClientException", Message: msgInvalidToken, cause: err}
		case awserr.SignatureDoesNotMatch:
			return &apiError{Status: http.StatusForbidden, Type: "InvalidSignatureException", Message: ae.Message, cause: err}
		case awserr.AccessDenied:
			return &apiError{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: ae.Message, cause: err}
		}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "InternalServerErrorException", Message: msgInternal, cause: err}
}

// maskAccount replaces all but the last four digits of each 12-digit
// account id in an execute-api ARN with '*', as API Gateway's
// AccessDeniedException does ("arn:aws:execute-api:us-east-1:********1234:…").
func maskAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && len(parts[4]) == 12 {
		parts[4] = "********" + parts[4][8:]
		return strings.Join(parts, ":")
	}
	return arn
}

// accessDenied is API Gateway's policy refusal.
func accessDenied(callerARN, action, resource string, explicit bool, authzMessage string, cause error) *apiError {
	msg := "User: " + callerARN + " is not authorized to perform: " + action + " on resource: " + maskAccount(resource)
	if explicit {
		msg += " with an explicit deny"
	}
	return &apiError{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: msg, AuthorizationMessage: authzMessage, cause: cause}
}

// body renders the JSON body. API Gateway writes AccessDeniedException's
// member as "Message" and every other one as "message"; it does not escape
// <, > and &.
func (e *apiError) body() []byte {
	key := "message"
	if e.Type == "AccessDeniedException" {
		key = "Message"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{key: e.Message})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// write sends the error. extra headers (X-Castellan-Error-*) are set by the
// caller before.
func (e *apiError) write(w http.ResponseWriter, requestID string) {
	b := e.render(w.Header(), requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// render sets the error's headers in h and returns its body.
func (e *apiError) render(h http.Header, requestID string) []byte {
	b := e.body()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", itoa(len(b)))
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amzn-Errortype", e.Type)
	if e.AuthorizationMessage != "" {
		h.Set("X-Castellan-Authorization-Message", e.AuthorizationMessage)
	}
	return b
}
