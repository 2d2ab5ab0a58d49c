package protocol

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/xmlesc"
)

// Kind is the wire protocol of a request, which decides how errors and
// results are written.
type Kind int

// The protocols Castellan serves.
const (
	// Query is the AWS query protocol (STS, IAM): form parameters in, XML out.
	Query Kind = iota
	// QueryJSON is the query protocol answered in JSON (Accept: application/json).
	QueryJSON
	// JSON is the AWS JSON 1.1 protocol (CloudTrail): X-Amz-Target + JSON body.
	JSON
)

// XMLAppender is implemented by results that write their own XML (the
// <OpResult> element's children) without reflection, for hot operations.
type XMLAppender interface {
	AppendXML(b []byte) []byte
}

// AuthorizationMessageHeader carries the encoded explanation of a denial.
const AuthorizationMessageHeader = "X-Castellan-Authorization-Message"

// WantsJSON reports whether a query-protocol request asked for the JSON
// mirror of the XML response, as aws-iam-authenticator does.
func WantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// WriteQueryResult writes a query-protocol success response for op: the XML
// <OpResponse><OpResult>…</OpResult><ResponseMetadata>… document, or its
// JSON mirror when kind is QueryJSON. result may be nil (no Result element).
func WriteQueryResult(w http.ResponseWriter, kind Kind, xmlns, op, requestID string, result any) error {
	h := w.Header()
	if kind == QueryJSON {
		body := map[string]any{}
		resp := map[string]any{"ResponseMetadata": map[string]string{"RequestId": requestID}}
		if result != nil {
			resp[op+"Result"] = result
		}
		body[op+"Response"] = resp
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		_, err = w.Write(b)
		return err
	}
	b := make([]byte, 0, 512)
	b = append(b, '<')
	b = append(b, op...)
	b = append(b, "Response xmlns=\""...)
	b = append(b, xmlns...)
	b = append(b, "\">"...)
	if result != nil {
		b = append(b, '<')
		b = append(b, op...)
		b = append(b, "Result>"...)
		if a, ok := result.(XMLAppender); ok {
			b = a.AppendXML(b)
		} else {
			inner, err := xml.Marshal(result)
			if err != nil {
				return err
			}
			b = append(b, stripOuter(inner)...)
		}
		b = append(b, "</"...)
		b = append(b, op...)
		b = append(b, "Result>"...)
	}
	b = append(b, "<ResponseMetadata><RequestId>"...)
	b = append(b, requestID...)
	b = append(b, "</RequestId></ResponseMetadata></"...)
	b = append(b, op...)
	b = append(b, "Response>"...)
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, err := w.Write(b)
	return err
}

// stripOuter removes the outermost element xml.Marshal wraps a struct in,
// leaving its children.
func stripOuter(b []byte) []byte {
	start := 0
	for start < len(b) && b[start] != '>' {
		start++
	}
	if start < len(b) && start > 0 && b[start-1] == '/' { // <X/>: empty
		return nil
	}
	end := len(b) - 1
	for end > start && b[end] != '<' {
		end--
	}
	if start >= end {
		return nil
	}
	return b[start+1 : end]
}

// AsAWS resolves any error into the *awserr.Error the client will see:
// an *awserr.Error as is; a structural carrier (sigv4, policy) by its
// AWSCode and AWSMessage; anything else as InternalFailure with the cause
// kept private.
func AsAWS(err error) *awserr.Error {
	if e, ok := awserr.As(err); ok {
		return e
	}
	var carrier interface {
		error
		AWSCode() string
	}
	if errors.As(err, &carrier) {
		e := awserr.New(awserr.Code(carrier.AWSCode()))
		if m, ok := carrier.(interface{ AWSMessage() string }); ok {
			e.Message = m.AWSMessage()
		}
		if s, ok := carrier.(interface{ HTTPStatus() int }); ok && s.HTTPStatus() != 0 {
			e.Status = s.HTTPStatus()
		}
		return e.WithCause(err)
	}
	return awserr.Internal(err)
}

// jsonForm maps query-protocol authentication codes to the codes, statuses
// and messages JSON-protocol services use (reference §3.2).
var jsonForm = map[awserr.Code]struct {
	code    string
	status  int
	message string
}{
	awserr.InvalidClientTokenID:       {"UnrecognizedClientException", 400, "The security token included in the request is invalid"},
	awserr.SignatureDoesNotMatch:      {"InvalidSignatureException", 400, ""},
	awserr.ExpiredToken:               {"ExpiredTokenException", 400, ""},
	awserr.MissingAuthenticationToken: {"MissingAuthenticationTokenException", 403, "Missing Authentication Token"},
	awserr.IncompleteSignature:        {"IncompleteSignatureException", 400, ""},
	awserr.AccessDenied:               {"AccessDeniedException", 400, ""},
	awserr.ValidationError:            {"ValidationException", 400, ""},
	awserr.InternalFailure:            {"InternalFailure", 500, ""},
	awserr.Throttling:                 {"ThrottlingException", 400, ""},
}

// WriteError renders e in the request's protocol: query XML ErrorResponse,
// its JSON mirror, or a JSON-protocol body with __type and x-amzn-ErrorType.
// It is the only place an error becomes bytes.
func WriteError(w http.ResponseWriter, kind Kind, xmlns, requestID string, e *awserr.Error) {
	h := w.Header()
	if e.AuthorizationMessage != "" {
		h.Set(AuthorizationMessageHeader, e.AuthorizationMessage)
	}
	switch kind {
	case JSON:
		code, status, msg := string(e.Code), e.Status, e.Message
		if f, ok := jsonForm[e.Code]; ok {
			code, status = f.code, f.status
			if f.message != "" {
				msg = f.message
			}
		}
		b, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{code, msg})
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("x-amzn-ErrorType", code)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case QueryJSON:
		b, _ := json.Marshal(map[string]any{
			"Error":     map[string]string{"Type": string(e.Fault), "Code": string(e.Code), "Message": e.Message},
			"RequestId": requestID,
		})
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(e.Status)
		_, _ = w.Write(b)
	default:
		b := make([]byte, 0, 384)
		b = append(b, `<ErrorResponse xmlns="`...)
		b = append(b, xmlns...)
		b = append(b, `"><Error><Type>`...)
		b = append(b, e.Fault...)
		b = append(b, `</Type><Code>`...)
		b = xmlesc.Append(b, string(e.Code))
		b = append(b, `</Code><Message>`...)
		b = xmlesc.Append(b, e.Message)
		b = append(b, `</Message></Error><RequestId>`...)
		b = append(b, requestID...)
		b = append(b, `</RequestId></ErrorResponse>`...)
		h.Set("Content-Type", "text/xml")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(e.Status)
		_, _ = w.Write(b)
	}
}
