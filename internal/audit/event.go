// Package audit records every request as a CloudTrail-format event and
// keeps the trail durable: an Auditor group-commits events to its sinks (a
// JSON-lines file, the store for LookupEvents) and tells the edge when no
// sink can write, so mutating calls fail closed. Best-effort sinks (the
// webhook) receive the events once they are durable.
//
// Secrets never enter an event: secret access keys, session tokens,
// passwords, MFA codes and seeds are dropped where the event is built
// (Redact names them), not masked.
package audit

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/identity"
)

// EventVersion is the CloudTrail record version Castellan writes.
const EventVersion = "1.11"

// Event types.
const (
	// TypeAPICall is an API request (AwsApiCall).
	TypeAPICall = "AwsApiCall"
	// TypeServiceEvent is something Castellan itself observed or did:
	// credential lifecycle steps and watch findings (AwsServiceEvent).
	TypeServiceEvent = "AwsServiceEvent"
)

// maxErrorBytes is where CloudTrail truncates errorCode and errorMessage.
const maxErrorBytes = 1024

// Event is one CloudTrail record (reference §7). Field order and names are
// CloudTrail's; optional fields are omitted when empty, and
// requestParameters and responseElements are null when absent.
type Event struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        UserIdentity   `json:"userIdentity"`
	EventTime           Time           `json:"eventTime"`
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress"`
	UserAgent           string         `json:"userAgent"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	Resources           []Resource     `json:"resources,omitempty"`
	EventType           string         `json:"eventType"`
	APIVersion          string         `json:"apiVersion,omitempty"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId"`
	ServiceEventDetails map[string]any `json:"serviceEventDetails,omitempty"`
	EventCategory       string         `json:"eventCategory"`
	TLSDetails          *TLSDetails    `json:"tlsDetails,omitempty"`
}

// Time is a CloudTrail eventTime: UTC, whole seconds, "2006-01-02T15:04:05Z".
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	*t = Time(v)
	return nil
}

// UserIdentity is CloudTrail's userIdentity.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	InvokedBy        string          `json:"invokedBy,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
}

// SessionContext describes the temporary credentials a request was signed with.
type SessionContext struct {
	SessionIssuer       *SessionIssuer       `json:"sessionIssuer,omitempty"`
	WebIDFederationData *WebIDFederationData `json:"webIdFederationData,omitempty"`
	Attributes          SessionAttributes    `json:"attributes"`
	SourceIdentity      string               `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the identity that obtained the session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// WebIDFederationData is the provider of a web identity session.
type WebIDFederationData struct {
	FederatedProvider string         `json:"federatedProvider,omitempty"`
	Attributes        map[string]any `json:"attributes,omitempty"`
}

// SessionAttributes are the session's creation date and MFA state.
type SessionAttributes struct {
	CreationDate     Time   `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is a resource an event names.
type Resource struct {
	ARN       string `json:"ARN,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	// Name is the name LookupEvents reports and ResourceName matches (not
	// part of CloudTrail's record: it is the ARN's last element, or a key id).
	Name string `json:"-"`
}

// TLSDetails describes the connection.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion,omitempty"`
	CipherSuite              string `json:"cipherSuite,omitempty"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// NewEventID returns a new event id: a version 7 UUID (RFC 9562), so ids
// sort by creation time and stores index them at their end. The 74 random
// bits come from math/rand/v2's per-thread ChaCha8 source: event ids must
// be unique, not secret, and crypto/rand per request showed in profiles.
func NewEventID() string {
	var u [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint64(u[8:], rand.Uint64())
	r := rand.Uint32()
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(r>>8)&0x0f
	u[7] = byte(r)
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}

// NewAPICall returns an AwsApiCall event for a request received at t.
func NewAPICall(t time.Time, requestID, sourceIP, userAgent, account string) *Event {
	return &Event{
		EventVersion:       EventVersion,
		EventTime:          Time(t.UTC().Truncate(time.Second)),
		SourceIPAddress:    sourceIP,
		UserAgent:          userAgent,
		RequestID:          requestID,
		EventID:            NewEventID(),
		EventType:          TypeAPICall,
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      "Management",
		UserIdentity:       UserIdentity{Type: "Unknown"},
	}
}

// NewServiceEvent returns an AwsServiceEvent: something Castellan observed
// or did on its own (credential lifecycle, watch findings).
func NewServiceEvent(t time.Time, source, name, account string, details map[string]any) *Event {
	return &Event{
		EventVersion:        EventVersion,
		UserIdentity:        UserIdentity{Type: "AWSService", InvokedBy: "castellan.amazonaws.com"},
		EventTime:           Time(t.UTC().Truncate(time.Second)),
		EventSource:         source,
		EventName:           name,
		AWSRegion:           "us-east-1", // credentials are global, as IAM is
		SourceIPAddress:     "castellan.amazonaws.com",
		UserAgent:           "castellan.amazonaws.com",
		EventID:             NewEventID(),
		ReadOnly:            false,
		EventType:           TypeServiceEvent,
		ManagementEvent:     true,
		RecipientAccountID:  account,
		ServiceEventDetails: details,
		EventCategory:       "Management",
	}
}

// LookupUsername is the Username LookupEvents reports and matches: the
// caller's user name (root, the session name of a role session), or for a
// service event the userName of its details.
func (e *Event) LookupUsername() string {
	if e.EventType == TypeServiceEvent {
		v, _ := e.ServiceEventDetails["userName"].(string)
		return v
	}
	u := &e.UserIdentity
	switch u.Type {
	case "Root":
		return "root"
	case "AssumedRole", "FederatedUser":
		if i := strings.LastIndexByte(u.ARN, '/'); i >= 0 {
			return u.ARN[i+1:]
		}
	}
	return u.UserName
}

// LookupAccessKeyID is the AccessKeyId LookupEvents reports and matches:
// the key the request was signed with, or for a service event the
// accessKeyId of its details (the credential it is about).
func (e *Event) LookupAccessKeyID() string {
	if e.EventType == TypeServiceEvent {
		v, _ := e.ServiceEventDetails["accessKeyId"].(string)
		return v
	}
	return e.UserIdentity.AccessKeyID
}

// ResourceName is the name LookupEvents reports for r: Name, else the
// ARN's last element.
func (r Resource) ResourceName() string {
	if r.Name != "" {
		return r.Name
	}
	a := r.ARN
	if i := strings.LastIndexAny(a, "/:"); i >= 0 {
		return a[i+1:]
	}
	return a
}

// SetError records the failure of the call: errorCode and errorMessage
// (truncated at 1 KB as CloudTrail does), and no responseElements.
func (e *Event) SetError(code, message string) {
	e.ErrorCode = truncate(code, maxErrorBytes)
	e.ErrorMessage = truncate(message, maxErrorBytes)
	e.ResponseElements = nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// IdentityOf returns the userIdentity of an authenticated principal.
func IdentityOf(p *identity.Principal) UserIdentity {
	u := UserIdentity{
		Type:        string(p.Type),
		PrincipalID: p.UserID,
		ARN:         p.ARN,
		AccountID:   p.AccountID,
		AccessKeyID: p.AccessKeyID,
	}
	switch p.Type {
	case identity.IAMUser:
		u.UserName = p.UserName
	case identity.Anonymous:
		u.Type = "Unknown"
	}
	s := p.Session
	if s == nil {
		return u
	}
	mfa := "false"
	if s.MFA {
		mfa = "true"
	}
	sc := &SessionContext{
		Attributes:     SessionAttributes{CreationDate: Time(s.IssuedAt), MFAAuthenticated: mfa},
		SourceIdentity: s.SourceIdentity,
	}
	switch p.Type {
	case identity.AssumedRole:
		sc.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: s.RoleID, ARN: s.RoleARN, AccountID: s.AccountID, UserName: s.RoleName}
		if s.WebIdentityProvider != "" {
			sc.WebIDFederationData = &WebIDFederationData{FederatedProvider: s.WebIdentityProvider}
		}
	case identity.FederatedUser:
		issuer := &SessionIssuer{Type: "IAMUser", PrincipalID: s.PrincipalID, ARN: s.UserARN, AccountID: s.AccountID, UserName: s.UserName}
		if s.UserARN == "" {
			issuer.Type, issuer.ARN, issuer.UserName = "Root", "arn:aws:iam::"+s.AccountID+":root", ""
		}
		sc.SessionIssuer = issuer
	}
	u.SessionContext = sc
	return u
}
