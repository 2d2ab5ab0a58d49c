package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// Limits of LookupEvents (the CloudTrail model and documentation).
const (
	MaxLookupResults     = 50
	maxAttributeValueLen = 2000
	maxNextTokenLen      = 4096
)

// LookupAttribute is one filter of LookupEvents.
type LookupAttribute struct {
	AttributeKey   string `json:"AttributeKey"`
	AttributeValue string `json:"AttributeValue"`
}

// LookupEventsInput is the JSON body of LookupEvents. Times are epoch
// seconds, as the JSON 1.1 protocol sends timestamps.
type LookupEventsInput struct {
	LookupAttributes []LookupAttribute `json:"LookupAttributes,omitempty"`
	StartTime        *EpochTime        `json:"StartTime,omitempty"`
	EndTime          *EpochTime        `json:"EndTime,omitempty"`
	EventCategory    string            `json:"EventCategory,omitempty"`
	MaxResults       *int              `json:"MaxResults,omitempty"`
	NextToken        string            `json:"NextToken,omitempty"`
}

// EpochTime is a JSON 1.1 timestamp: seconds since the epoch, a number
// (fractions allowed); a string in RFC 3339 or seconds is accepted too.
type EpochTime time.Time

// MarshalJSON implements json.Marshaler.
func (t EpochTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.Nanosecond() == 0 {
		return strconv.AppendInt(nil, tt.Unix(), 10), nil
	}
	return strconv.AppendFloat(nil, float64(tt.UnixNano())/1e9, 'f', 3, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *EpochTime) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
			return errors.New("timestamp out of range")
		}
		sec, frac := math.Modf(f)
		*t = EpochTime(time.Unix(int64(sec), int64(frac*1e9)).UTC())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		*t = EpochTime(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*t = EpochTime(time.Unix(int64(f), 0).UTC())
	return nil
}

// LookupResource is a resource of a looked-up event.
type LookupResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

// LookupEvent is one event of LookupEvents' result.
type LookupEvent struct {
	EventID         string           `json:"EventId"`
	EventName       string           `json:"EventName"`
	ReadOnly        string           `json:"ReadOnly"`
	AccessKeyID     string           `json:"AccessKeyId,omitempty"`
	EventTime       EpochTime        `json:"EventTime"`
	EventSource     string           `json:"EventSource"`
	Username        string           `json:"Username,omitempty"`
	Resources       []LookupResource `json:"Resources"`
	CloudTrailEvent string           `json:"CloudTrailEvent"`
}

// LookupEventsOutput is LookupEvents' result.
type LookupEventsOutput struct {
	Events    []LookupEvent `json:"Events"`
	NextToken string        `json:"NextToken,omitempty"`
}

// Lookup implements CloudTrail LookupEvents over the store.
type Lookup struct {
	st   EventStore
	sync Syncer
	now  func() time.Time
}

// Syncer makes the store current before a lookup (*Auditor).
type Syncer interface {
	Sync(ctx context.Context) error
}

// NewLookup returns the LookupEvents service. With sync, each lookup first
// waits for the events emitted before it to reach the store, so callers
// find their own calls; without (another process reading the store), it
// sees what the server has committed.
func NewLookup(st EventStore, sync Syncer, now func() time.Time) *Lookup {
	if now == nil {
		now = time.Now
	}
	return &Lookup{st: st, sync: sync, now: now}
}

var attributeKeys = map[string]store.AuditAttribute{
	"EventId":      store.AuditEventID,
	"EventName":    store.AuditEventName,
	"ReadOnly":     store.AuditReadOnly,
	"Username":     store.AuditUsername,
	"ResourceType": store.AuditResourceType,
	"ResourceName": store.AuditResourceName,
	"EventSource":  store.AuditEventSource,
	"AccessKeyId":  store.AuditAccessKeyID,
}

// nextToken is the decoded NextToken: the store's marker bound to a hash of
// the query it continues.
type nextToken struct {
	Marker string `json:"m"`
	Query  string `json:"q"`
}

func queryHash(q store.AuditQuery) string {
	h := sha256.New()
	for _, s := range []string{string(q.Attribute), q.Value, strconv.FormatInt(q.Start.UnixNano(), 10), strconv.FormatInt(q.End.UnixNano(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// Query validates in and returns the store query and page size.
func Query(in *LookupEventsInput) (store.AuditQuery, error) {
	q := store.AuditQuery{Limit: MaxLookupResults}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > MaxLookupResults {
			return q, awserr.Errorf(awserr.InvalidMaxResults, "MaxResults must be between 1 and %d.", MaxLookupResults)
		}
		q.Limit = *in.MaxResults
	}
	switch len(in.LookupAttributes) {
	case 0:
	case 1:
		a := in.LookupAttributes[0]
		attr, ok := attributeKeys[a.AttributeKey]
		if !ok {
			return q, awserr.Errorf(awserr.InvalidLookupAttributes, "Lookup attribute key %q is not valid; use one of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId.", a.AttributeKey)
		}
		if a.AttributeValue == "" || len(a.AttributeValue) > maxAttributeValueLen {
			return q, awserr.Errorf(awserr.InvalidLookupAttributes, "The lookup attribute value must be 1 to %d characters.", maxAttributeValueLen)
		}
		if attr == store.AuditReadOnly && a.AttributeValue != "true" && a.AttributeValue != "false" {
			return q, awserr.Errorf(awserr.InvalidLookupAttributes, "The ReadOnly lookup attribute value must be true or false.")
		}
		q.Attribute, q.Value = attr, a.AttributeValue
	default:
		return q, awserr.Errorf(awserr.InvalidLookupAttributes, "You can specify only one lookup attribute.")
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return q, awserr.Errorf(awserr.InvalidEventCategory, "Event category %q is not valid; the only valid value is insight.", in.EventCategory)
	}
	if in.StartTime != nil {
		q.Start = time.Time(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = time.Time(*in.EndTime)
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return q, awserr.Errorf(awserr.InvalidTimeRange, "Start time must be before end time.")
	}
	if in.NextToken != "" {
		var tok nextToken
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || len(in.NextToken) > maxNextTokenLen || json.Unmarshal(raw, &tok) != nil || tok.Query != queryHash(q) || tok.Marker == "" {
			return q, awserr.New(awserr.InvalidNextToken)
		}
		q.Marker = tok.Marker
	}
	return q, nil
}

// LookupEvents returns the events matching in, newest first.
func (l *Lookup) LookupEvents(ctx context.Context, _ *identity.Call, in *LookupEventsInput) (*LookupEventsOutput, error) {
	q, err := Query(in)
	if err != nil {
		return nil, err
	}
	out := &LookupEventsOutput{Events: []LookupEvent{}}
	if in.EventCategory == "insight" {
		return out, nil // Castellan records no Insights events
	}
	if l.sync != nil {
		// Best effort: on failure the store answers with what it has.
		_ = l.sync.Sync(ctx)
	}
	page, err := l.st.LookupAuditEvents(ctx, q)
	if errors.Is(err, store.ErrNotFound) && q.Marker != "" {
		return nil, awserr.New(awserr.InvalidNextToken)
	}
	if err != nil {
		return nil, awserr.Internal(err)
	}
	for _, e := range page.Items {
		out.Events = append(out.Events, toLookupEvent(e))
	}
	if page.Next != "" {
		b, _ := json.Marshal(nextToken{Marker: page.Next, Query: queryHash(q)})
		out.NextToken = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, nil
}

func toLookupEvent(e store.AuditEvent) LookupEvent {
	ro := "false"
	if e.ReadOnly {
		ro = "true"
	}
	le := LookupEvent{
		EventID:         e.ID,
		EventName:       e.Name,
		ReadOnly:        ro,
		AccessKeyID:     e.AccessKeyID,
		EventTime:       EpochTime(e.Time),
		EventSource:     e.Source,
		Username:        e.Username,
		Resources:       []LookupResource{},
		CloudTrailEvent: string(e.Record),
	}
	for i, r := range e.Resources {
		// The store indexes a resource by its name and then by its ARN
		// (see ToStore); report the name only.
		if i > 0 && strings.HasPrefix(r.Name, "arn:") {
			prev := e.Resources[i-1]
			if prev.Type == r.Type && !strings.HasPrefix(prev.Name, "arn:") && strings.HasSuffix(r.Name, prev.Name) {
				continue
			}
		}
		le.Resources = append(le.Resources, LookupResource{ResourceType: r.Type, ResourceName: r.Name})
	}
	return le
}
