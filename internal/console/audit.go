package console

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/audit"
	"github.com/castellan-sts/castellan/internal/authz"
	"github.com/castellan-sts/castellan/internal/sts"
)

// LookupAttributes are CloudTrail LookupEvents' attribute keys, the Audit
// page's filters.
var LookupAttributes = []string{"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"}

// auditPageSize is one page of the Audit list (LookupEvents allows 50).
const auditPageSize = 50

type auditQuery struct {
	AttrKey, AttrValue string
	Start, End         string // datetime-local values, UTC
	Token              string
	Max                int
	// From and To, when set, bound the lookup to the second (they win
	// over Start and End, which have the minute of a form's field).
	From, To time.Time
}

// eventRow is one event as lists show it.
type eventRow struct {
	ID, Name, Source, User, AccessKey, ErrorCode, ErrorMessage, SourceIP, UserAgent string
	Time                                                                            time.Time
	// T is Time in seconds since the epoch: the event and Why denied
	// links carry it, so their lookup reads the events of that second
	// from the store's time index instead of every event.
	T                   int64
	Denied, AuthFailure bool
	Raw                 string
}

const timeInput = "2006-01-02T15:04"

// lookup runs LookupEvents as the signed-in principal.
func (c *Console) lookup(r *http.Request, q auditQuery) ([]eventRow, string, error) {
	in := audit.LookupEventsInput{NextToken: q.Token}
	if q.Max > 0 {
		in.MaxResults = &q.Max
	}
	if q.AttrKey != "" && q.AttrValue != "" {
		in.LookupAttributes = []audit.LookupAttribute{{AttributeKey: q.AttrKey, AttributeValue: q.AttrValue}}
	}
	if t, err := time.Parse(timeInput, q.Start); err == nil {
		et := audit.EpochTime(t)
		in.StartTime = &et
	}
	if t, err := time.Parse(timeInput, q.End); err == nil {
		et := audit.EpochTime(t)
		in.EndTime = &et
	}
	if !q.From.IsZero() {
		et := audit.EpochTime(q.From)
		in.StartTime = &et
	}
	if !q.To.IsZero() {
		et := audit.EpochTime(q.To)
		in.EndTime = &et
	}
	body, _ := json.Marshal(in)
	out, err := c.callJSON(r, "cloudtrail", "LookupEvents", body)
	if err != nil {
		return nil, "", err
	}
	lo := out.(*audit.LookupEventsOutput)
	rows := make([]eventRow, 0, len(lo.Events))
	for _, e := range lo.Events {
		rows = append(rows, eventRowOf(e))
	}
	return rows, lo.NextToken, nil
}

// authFailureCodes are the errors of a request that failed authentication.
var authFailureCodes = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "ExpiredToken": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "InvalidAccessKeyId": true, "RequestExpired": true, "AuthFailure": true,
}

func eventRowOf(e audit.LookupEvent) eventRow {
	row := eventRow{ID: e.EventID, Name: e.EventName, Source: e.EventSource, User: e.Username, AccessKey: e.AccessKeyID,
		Time: time.Time(e.EventTime), Raw: e.CloudTrailEvent}
	row.T = row.Time.Unix()
	var ev struct {
		ErrorCode       string `json:"errorCode"`
		ErrorMessage    string `json:"errorMessage"`
		SourceIPAddress string `json:"sourceIPAddress"`
		UserAgent       string `json:"userAgent"`
		UserIdentity    struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
	}
	if json.Unmarshal([]byte(e.CloudTrailEvent), &ev) == nil {
		row.ErrorCode, row.ErrorMessage, row.SourceIP, row.UserAgent = ev.ErrorCode, ev.ErrorMessage, ev.SourceIPAddress, ev.UserAgent
		if row.User == "" {
			row.User = ev.UserIdentity.ARN
		}
	}
	row.Denied = row.ErrorCode == "AccessDenied"
	row.AuthFailure = authFailureCodes[row.ErrorCode]
	return row
}

type auditData struct {
	Q          auditQuery
	Attributes []string
	Rows       []eventRow
	Next       string
	ExportCSV  string
	ExportJSON string
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	q := auditQuery{AttrKey: qs.Get("key"), AttrValue: truncate(qs.Get("value"), 2000), Start: qs.Get("start"), End: qs.Get("end"),
		Token: truncate(qs.Get("token"), 2048), Max: auditPageSize}
	valid := q.AttrKey == ""
	for _, a := range LookupAttributes {
		valid = valid || a == q.AttrKey
	}
	if !valid {
		q.AttrKey = ""
	}
	rows, next, err := c.lookup(r, q)
	if err == nil {
		switch qs.Get("format") {
		case "csv":
			writeEventsCSV(w, rows)
			return
		case "json":
			writeEventsJSON(w, rows)
			return
		}
	}
	d := auditData{Q: q, Attributes: LookupAttributes, Rows: rows}
	keep := url.Values{}
	for _, k := range []string{"key", "value", "start", "end"} {
		if v := qs.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	if next != "" {
		n := url.Values{}
		for k, v := range keep {
			n[k] = v
		}
		n.Set("token", next)
		d.Next = "/console/audit?" + n.Encode()
	}
	if q.Token != "" {
		keep.Set("token", q.Token)
	}
	keep.Set("format", "csv")
	d.ExportCSV = "/console/audit?" + keep.Encode()
	keep.Set("format", "json")
	d.ExportJSON = "/console/audit?" + keep.Encode()
	c.page(w, r, "audit", "Audit", "Audit", d, err, "cloudtrail:LookupEvents")
}

func writeEventsCSV(w http.ResponseWriter, rows []eventRow) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="events.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"eventTime", "eventId", "eventSource", "eventName", "user", "accessKeyId", "sourceIPAddress", "errorCode", "errorMessage"})
	for _, e := range rows {
		_ = cw.Write([]string{e.Time.UTC().Format(time.RFC3339), e.ID, e.Source, e.Name, csvSafe(e.User), e.AccessKey, e.SourceIP, e.ErrorCode, csvSafe(e.ErrorMessage)})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in values that callers control.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeEventsJSON(w http.ResponseWriter, rows []eventRow) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="events.json"`)
	recs := make([]json.RawMessage, 0, len(rows))
	for _, e := range rows {
		if json.Valid([]byte(e.Raw)) {
			recs = append(recs, json.RawMessage(e.Raw))
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Records": recs})
}

type eventData struct {
	Row    eventRow
	Pretty string
}

// An event page's lookup is bounded in time, never a search of the whole
// trail: the store indexes events by time, not by id (an id lookup reads
// every event of its time range).
const (
	// eventSlack widens the link's second on both sides (the link's time
	// is whole seconds; the store keeps finer times).
	eventSlack = time.Second
	// idWindowBefore is how long before its id's creation an event may
	// be dated (its eventTime is when the request arrived; the id is
	// made when its record is), for links without a usable time.
	idWindowBefore = time.Minute
	idWindowAfter  = time.Second
	// maxEpochSeconds bounds a link's time (LookupEvents refuses larger).
	maxEpochSeconds = 1e11
)

// eventWindows are the time ranges to look for event id in, in order:
// around the link's time t (seconds since the epoch) when it is a
// number, then around the creation time a version 7 event id carries.
// A link without a usable time and a non-v7 id has none: the page is
// not found rather than searched for in every event.
func eventWindows(id, t string) [][2]time.Time {
	var ws [][2]time.Time
	if sec, err := strconv.ParseInt(t, 10, 64); err == nil && sec > 0 && sec < maxEpochSeconds {
		at := time.Unix(sec, 0).UTC()
		ws = append(ws, [2]time.Time{at.Add(-eventSlack), at.Add(eventSlack)})
	}
	if at, ok := uuidV7Time(id); ok {
		w := [2]time.Time{at.Add(-idWindowBefore), at.Add(idWindowAfter)}
		if len(ws) == 0 || w[1].Before(ws[0][0]) || w[0].After(ws[0][1]) {
			ws = append(ws, w)
		}
	}
	return ws
}

// uuidV7Time is the creation time in a version 7 UUID (RFC 9562: the
// first 48 bits are Unix milliseconds), as audit.NewEventID makes them.
func uuidV7Time(id string) (time.Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' || id[14] != '7' ||
		!strings.ContainsRune("89ab", rune(id[19])) {
		return time.Time{}, false
	}
	ms, err := strconv.ParseUint(id[0:8]+id[9:13], 16, 64)
	if err != nil || ms == 0 || ms >= maxEpochSeconds*1000 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// oneEvent finds the event of a link (its id and t parameters) with
// LookupEvents, in the time windows of eventWindows; nil when it is in
// none of them.
func (c *Console) oneEvent(r *http.Request) (*eventRow, error) {
	q := r.URL.Query()
	id, t := truncate(q.Get("id"), 64), truncate(q.Get("t"), 20)
	if id == "" {
		return nil, nil
	}
	for _, w := range eventWindows(id, t) {
		rows, _, err := c.lookup(r, auditQuery{AttrKey: "EventId", AttrValue: id, Max: 1, From: w[0], To: w[1]})
		if err != nil {
			return nil, err
		}
		if len(rows) > 0 {
			return &rows[0], nil
		}
	}
	return nil, nil
}

func (c *Console) auditEvent(w http.ResponseWriter, r *http.Request) {
	row, err := c.oneEvent(r)
	if err == nil && row == nil {
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
		return
	}
	var d *eventData
	if row != nil {
		d = &eventData{Row: *row, Pretty: prettyJSON(row.Raw)}
	}
	c.page(w, r, "event", "Event", "Audit", d, err, "cloudtrail:LookupEvents")
}

func prettyJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s
	}
	return string(b)
}

// whyData explains a refused request.
type whyData struct {
	Row          eventRow
	AuthCause    string
	Canonical    string
	StringToSign string
	Message      *authz.Message
	Statements   []stmtView
	Decisive     string
	NoAllow      bool
	Suggestion   string
	Conditions   []field
	Missing      []string
	DecodeErr    *apiError
	NoMessage    bool
}

type stmtView struct {
	Policy, PolicyType, Sid, Effect string
	Index                           int
	Decisive                        bool
}

// whyDenied explains an AccessDenied or authentication-failure event. For
// a denial it decodes the event's encoded authorization message with STS
// DecodeAuthorizationMessage as the signed-in principal (so
// sts:DecodeAuthorizationMessage governs it, as in AWS): the message is the
// evaluation the server made at the time of the request, with the
// policies as they were then, not a re-run against today's policies.
func (c *Console) whyDenied(w http.ResponseWriter, r *http.Request) {
	row, err := c.oneEvent(r)
	if err == nil && row == nil {
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
		return
	}
	if err != nil {
		c.page(w, r, "why", "Why denied", "Audit", nil, err, "cloudtrail:LookupEvents")
		return
	}
	d := &whyData{Row: *row}
	var ev struct {
		Additional map[string]any `json:"additionalEventData"`
		EventTime  string         `json:"eventTime"`
	}
	_ = json.Unmarshal([]byte(row.Raw), &ev)
	if row.AuthFailure || !row.Denied {
		d.AuthCause = authCause(row.ErrorCode, row.ErrorMessage)
		d.Canonical, _ = ev.Additional["canonicalRequest"].(string)
		d.StringToSign, _ = ev.Additional["stringToSign"].(string)
		c.page(w, r, "why", "Why denied", "Audit", d, nil, "")
		return
	}
	enc, _ := ev.Additional["encodedAuthorizationMessage"].(string)
	if enc == "" {
		d.NoMessage = true
		c.page(w, r, "why", "Why denied", "Audit", d, nil, "")
		return
	}
	out, err := c.call(r, "sts", "DecodeAuthorizationMessage", url.Values{"EncodedMessage": {enc}})
	if err != nil {
		d.DecodeErr = asAPIError(err, "sts:DecodeAuthorizationMessage")
		c.page(w, r, "why", "Why denied", "Audit", d, nil, "")
		return
	}
	var msg authz.Message
	if err := json.Unmarshal([]byte(out.(*sts.DecodeAuthorizationMessageOutput).DecodedMessage), &msg); err != nil {
		d.NoMessage = true
		c.page(w, r, "why", "Why denied", "Audit", d, nil, "")
		return
	}
	d.Message = &msg
	explain(d, &msg)
	c.page(w, r, "why", "Why denied", "Audit", d, nil, "")
}

// explain turns a decoded message into the page's statements, decisive
// statement and the smallest change that would allow the request.
func explain(d *whyData, m *authz.Message) {
	name := func(kind string, idx int) string {
		if m.Policies != nil {
			if strings.Contains(kind, "boundary") && m.Policies.Boundary != "" {
				return m.Policies.Boundary
			}
			if idx >= 0 && idx < len(m.Policies.Identity) && m.Policies.Identity[idx] != "" && strings.Contains(kind, "identity") {
				return m.Policies.Identity[idx]
			}
		}
		return kind + " #" + strconv.Itoa(idx+1)
	}
	ex := m.MatchedStmts
	action, resource := m.Context.Action, m.Context.Resource
	for k, v := range m.Context.Conditions {
		d.Conditions = append(d.Conditions, field{k, strings.Join(v, ", ")})
	}
	sortFields(d.Conditions)
	if ex == nil {
		d.NoAllow = true
		d.Suggestion = suggestAllow(action, resource, m.Context.Principal.ARN)
		return
	}
	d.Missing = ex.MissingContextKeys
	for _, s := range ex.Matched {
		sv := stmtView{Policy: name(s.PolicyType, s.Policy), PolicyType: s.PolicyType, Sid: s.Sid, Effect: s.Effect, Index: s.Statement + 1}
		if ex.Decisive != nil && ex.Decisive.Policy == s.Policy && ex.Decisive.Statement == s.Statement && ex.Decisive.PolicyType == s.PolicyType {
			sv.Decisive = true
		}
		d.Statements = append(d.Statements, sv)
	}
	switch {
	case ex.Decisive != nil && ex.Decisive.Effect == "Deny":
		s := ex.Decisive
		d.Decisive = "Statement " + strconv.Itoa(s.Statement+1) + sidText(s.Sid) + " (Deny) of " + name(s.PolicyType, s.Policy)
		d.Suggestion = "Remove or narrow statement " + strconv.Itoa(s.Statement+1) + sidText(s.Sid) + " of " + name(s.PolicyType, s.Policy) +
			" so that it no longer matches " + action + " on " + resource + ": an explicit Deny wins over every Allow."
	case ex.DecidedBy != "" && !strings.Contains(ex.DecidedBy, "identity"):
		d.Decisive = "No Allow in the " + ex.DecidedBy
		d.Suggestion = "Add an Allow for " + action + " on " + resource + " to the " + ex.DecidedBy + "."
	default:
		d.NoAllow = true
		d.Suggestion = suggestAllow(action, resource, m.Context.Principal.ARN)
	}
	if len(d.Missing) > 0 {
		d.Suggestion += " Statements matched the action and resource but needed condition keys the request lacked: " + strings.Join(d.Missing, ", ") + "."
	}
}

func sidText(sid string) string {
	if sid == "" {
		return ""
	}
	return " (Sid " + sid + ")"
}

// suggestAllow is the smallest identity-based policy that allows the request.
func suggestAllow(action, resource, principal string) string {
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]string{"Effect": "Allow", "Action": action, "Resource": resource}}})
	return "Attach to " + principal + " (or a group of it) a policy with: " + string(doc)
}

func sortFields(fs []field) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Name < fs[j-1].Name; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// authCause says in plain words why a request failed authentication.
func authCause(code, msg string) string {
	switch code {
	case "InvalidClientTokenId":
		return "The access key id is unknown to this account, was deleted, or is inactive (AWS gives the same answer for all three), or a session token was sent with a long-term key."
	case "SignatureDoesNotMatch":
		if strings.Contains(msg, "Signature expired") || strings.Contains(msg, "earlier than") || strings.Contains(msg, "later than") {
			return "The request's time is too far from the server's clock (clock skew): " + msg
		}
		return "The signature the client computed differs from the server's: the secret key is wrong, or the client signed a different request. The canonical request the server computed is below; compare it with the client's."
	case "ExpiredToken":
		return "The temporary credentials (session token) had expired when the request was made."
	case "IncompleteSignature":
		return "The Authorization header or presigned query was malformed or missing parts: " + msg
	case "MissingAuthenticationToken":
		return "The request was not signed."
	case "RequestExpired":
		return "The presigned request had expired: " + msg
	}
	if code == "" {
		return "This request was not refused."
	}
	return code + ": " + msg
}
