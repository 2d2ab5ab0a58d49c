package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/castellan-sts/castellan/internal/config"
)

func (e *env) cloudtrail(creds aws.Credentials) *cloudtrail.Client {
	cfg := e.awsConfig(creds, "us-east-1")
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{}}
	return cloudtrail.NewFromConfig(cfg)
}

// record is the part of a CloudTrail record the tests read.
type record struct {
	EventName    string `json:"eventName"`
	EventSource  string `json:"eventSource"`
	EventType    string `json:"eventType"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	EventID      string `json:"eventID"`
	EventTime    string `json:"eventTime"`
	ReadOnly     bool   `json:"readOnly"`
	RequestID    string `json:"requestID"`
	UserIdentity struct {
		Type           string          `json:"type"`
		ARN            string          `json:"arn"`
		AccessKeyID    string          `json:"accessKeyId"`
		UserName       string          `json:"userName"`
		SessionContext json.RawMessage `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	ServiceEventDetails map[string]any `json:"serviceEventDetails"`
}

type looked struct {
	ev  cttypes.Event
	rec record
	raw string
}

// lookup pages through LookupEvents (as root) with one attribute (key ""
// for none) and returns every event, newest first.
func (e *env) lookup(t *testing.T, key cttypes.LookupAttributeKey, value string, pageSize int32) []looked {
	t.Helper()
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(pageSize)}
	if key != "" {
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(value)}}
	}
	var out []looked
	ct := e.cloudtrail(e.root)
	for {
		page, err := lookupPage(ct, in)
		if err != nil {
			var de *smithy.DeserializationError
			if errors.As(err, &de) {
				t.Logf("deserialization snapshot (%d bytes): %q", len(de.Snapshot), de.Snapshot)
			}
			t.Fatalf("LookupEvents(%s=%q): %v", key, value, err)
		}
		if len(page.Events) > int(pageSize) {
			t.Fatalf("LookupEvents returned %d events for MaxResults %d", len(page.Events), pageSize)
		}
		for _, ev := range page.Events {
			var r record
			if err := json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &r); err != nil {
				t.Fatalf("CloudTrailEvent is not JSON: %v\n%s", err, aws.ToString(ev.CloudTrailEvent))
			}
			out = append(out, looked{ev, r, aws.ToString(ev.CloudTrailEvent)})
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	return out
}

// waitLookup polls until cond holds for the lookup's events (read-only
// events are written asynchronously).
func (e *env) waitLookup(t *testing.T, key cttypes.LookupAttributeKey, value string, cond func([]looked) bool) []looked {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.lookup(t, key, value, 50)
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			var names []string
			for _, l := range got {
				names = append(names, l.rec.EventName+"/"+l.rec.ErrorCode)
			}
			t.Fatalf("LookupEvents(%s=%q): condition not met; events: %v", key, value, names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lookupPage calls LookupEvents, retrying a response body cut by the
// client itself: the Go SDK closes the request body as soon as the
// response headers arrive, and against a loopback server that answers
// within microseconds the transport's write loop can still be finishing;
// it then closes the connection under the response body ("use of closed
// network connection"). The server's log shows the answer complete.
func lookupPage(ct *cloudtrail.Client, in *cloudtrail.LookupEventsInput) (*cloudtrail.LookupEventsOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := ct.LookupEvents(context.Background(), in)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "use of closed network connection") {
			return out, err
		}
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestAuditFailures checks that each kind of refusal is recorded with its
// errorCode and the key presented, and that no secret reaches the trail.
func TestAuditFailures(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.MinSessionDuration = time.Second })
	ctx := context.Background()
	alice := e.newUser(t, "alice")
	secrets := []string{e.root.SecretAccessKey, alice.SecretAccessKey}

	gst, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	temp := tempCreds(gst.Credentials)
	secrets = append(secrets, temp.SecretAccessKey, temp.SessionToken)

	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000001", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	wrongSecret := aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "not-the-secret-0123456789abcdef"}
	tampered := temp
	tampered.SessionToken = temp.SessionToken[:len(temp.SessionToken)-4] + "AAAA"
	secrets = append(secrets, unknown.SecretAccessKey, wrongSecret.SecretAccessKey)

	cases := []struct {
		name  string
		call  func() error
		code  string
		akid  string
		event string
	}{
		{"UnknownKey", func() error { _, err := e.sts(unknown).GetCallerIdentity(ctx, nil); return err }, "InvalidClientTokenId", unknown.AccessKeyID, "GetCallerIdentity"},
		{"WrongSecret", func() error { _, err := e.sts(wrongSecret).GetCallerIdentity(ctx, nil); return err }, "SignatureDoesNotMatch", alice.AccessKeyID, "GetCallerIdentity"},
		{"TamperedToken", func() error { _, err := e.sts(tampered).GetCallerIdentity(ctx, nil); return err }, "InvalidClientTokenId", temp.AccessKeyID, "GetCallerIdentity"},
		{"AccessDenied", func() error {
			_, err := e.iam(alice).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
			return err
		}, "AccessDenied", alice.AccessKeyID, "CreateUser"},
		{"ExpiredToken", func() error {
			time.Sleep(time.Until(aws.ToTime(gst.Credentials.Expiration)) + 1100*time.Millisecond)
			_, err := e.sts(temp).GetCallerIdentity(ctx, nil)
			return err
		}, "ExpiredToken", temp.AccessKeyID, "GetCallerIdentity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := apiCode(err); got != tc.code {
				t.Fatalf("call error = %v (code %q), want %s", err, got, tc.code)
			}
			got := e.waitLookup(t, cttypes.LookupAttributeKeyAccessKeyId, tc.akid, func(ls []looked) bool {
				for _, l := range ls {
					if l.rec.ErrorCode == tc.code && l.rec.EventName == tc.event {
						return true
					}
				}
				return false
			})
			for _, l := range got {
				if l.rec.ErrorCode != tc.code {
					continue
				}
				if l.rec.UserIdentity.AccessKeyID != tc.akid || aws.ToString(l.ev.AccessKeyId) != tc.akid {
					t.Errorf("event's access key = %q/%q, want %q", l.rec.UserIdentity.AccessKeyID, aws.ToString(l.ev.AccessKeyId), tc.akid)
				}
				if l.rec.ErrorMessage == "" || l.rec.ResponseElements != nil {
					t.Errorf("failure event: errorMessage %q, responseElements %v", l.rec.ErrorMessage, l.rec.ResponseElements)
				}
			}
		})
	}

	// No secret anywhere: not in the store's records, not in the files.
	all := e.lookup(t, "", "", 50)
	for _, l := range all {
		for _, s := range secrets {
			if strings.Contains(l.raw, s) {
				t.Errorf("event %s (%s) contains a secret", l.rec.EventName, l.rec.EventID)
			}
		}
		for _, bad := range []string{"secretAccessKey", "sessionToken", "SecretAccessKey", "SessionToken"} {
			if strings.Contains(l.raw, `"`+bad+`"`) {
				t.Errorf("event %s has a %s field: %s", l.rec.EventName, bad, l.raw)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(e.dataDir, "audit", "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no audit file written")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("audit file %s contains a secret", f)
			}
		}
	}

	// The successful CreateAccessKey is recorded with its key id but not its secret.
	ck := e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "CreateAccessKey", func(ls []looked) bool { return len(ls) == 1 })
	ak, _ := ck[0].rec.ResponseElements["accessKey"].(map[string]any)
	if ak["accessKeyId"] != alice.AccessKeyID || ak["secretAccessKey"] != nil {
		t.Errorf("CreateAccessKey responseElements = %v", ck[0].rec.ResponseElements)
	}
	if ck[0].rec.RequestParameters["userName"] != "alice" || ck[0].rec.UserIdentity.Type != "Root" {
		t.Errorf("CreateAccessKey event: %s", ck[0].raw)
	}
	// GetSessionToken's credentials keep the key id and expiry only.
	gs := e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "GetSessionToken", func(ls []looked) bool { return len(ls) == 1 })
	cr, _ := gs[0].rec.ResponseElements["credentials"].(map[string]any)
	if cr["accessKeyId"] != temp.AccessKeyID || cr["expiration"] == nil || len(cr) != 2 {
		t.Errorf("GetSessionToken credentials = %v, want accessKeyId and expiration only", cr)
	}
}

func TestLookupEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	start := time.Now().Add(-time.Second)
	for i := range 7 {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u" + string(rune('a'+i)))}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := e.sts(e.root).GetCallerIdentity(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Pagination: 7 CreateUser events in pages of 3, newest first.
	got := e.lookup(t, cttypes.LookupAttributeKeyEventName, "CreateUser", 3)
	var names []string
	for _, l := range got {
		names = append(names, l.rec.RequestParameters["userName"].(string))
		if aws.ToString(l.ev.EventName) != "CreateUser" || aws.ToString(l.ev.EventSource) != "iam.amazonaws.com" ||
			aws.ToString(l.ev.ReadOnly) != "false" || aws.ToString(l.ev.Username) != "root" {
			t.Errorf("event fields: %+v", l.ev)
		}
		if len(l.ev.Resources) != 1 || aws.ToString(l.ev.Resources[0].ResourceType) != "AWS::IAM::User" {
			t.Errorf("resources = %+v", l.ev.Resources)
		}
	}
	if want := []string{"ug", "uf", "ue", "ud", "uc", "ub", "ua"}; !slices.Equal(names, want) {
		t.Errorf("CreateUser events = %v, want %v (newest first)", names, want)
	}

	gci := e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "GetCallerIdentity", func(ls []looked) bool { return len(ls) == 3 })
	if gci[0].rec.ReadOnly != true || gci[0].rec.ResponseElements != nil || gci[0].rec.EventSource != "sts.amazonaws.com" {
		t.Errorf("GetCallerIdentity event: %s", gci[0].raw)
	}
	tests := []struct {
		name  string
		key   cttypes.LookupAttributeKey
		value string
		check func(l looked) bool
		n     int
	}{
		{"Username", cttypes.LookupAttributeKeyUsername, "root", func(l looked) bool { return aws.ToString(l.ev.Username) == "root" }, -1},
		{"AccessKeyId", cttypes.LookupAttributeKeyAccessKeyId, e.root.AccessKeyID, func(l looked) bool { return aws.ToString(l.ev.AccessKeyId) == e.root.AccessKeyID }, -1},
		{"EventSource", cttypes.LookupAttributeKeyEventSource, "sts.amazonaws.com", func(l looked) bool { return aws.ToString(l.ev.EventSource) == "sts.amazonaws.com" }, -1},
		{"ReadOnly", cttypes.LookupAttributeKeyReadOnly, "true", func(l looked) bool { return aws.ToString(l.ev.ReadOnly) == "true" }, -1},
		{"ResourceName", cttypes.LookupAttributeKeyResourceName, "uc", func(l looked) bool { return l.rec.RequestParameters["userName"] == "uc" }, 1},
		{"ResourceType", cttypes.LookupAttributeKeyResourceType, "AWS::IAM::User", func(l looked) bool { return l.rec.EventName == "CreateUser" }, 7},
		{"EventId", cttypes.LookupAttributeKeyEventId, aws.ToString(got[2].ev.EventId), func(l looked) bool { return aws.ToString(l.ev.EventId) == aws.ToString(got[2].ev.EventId) }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ls := e.lookup(t, tc.key, tc.value, 50)
			if len(ls) == 0 || tc.n >= 0 && len(ls) != tc.n {
				t.Fatalf("LookupEvents(%s=%s) = %d events, want %d", tc.key, tc.value, len(ls), tc.n)
			}
			for _, l := range ls {
				if !tc.check(l) {
					t.Errorf("LookupEvents(%s=%s) returned %s", tc.key, tc.value, l.raw)
				}
			}
		})
	}

	// Time range: nothing before the test started; everything up to now.
	ct := e.cloudtrail(e.root)
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{EndTime: aws.Time(start.Add(-time.Hour))})
	if err != nil || len(out.Events) != 0 {
		t.Errorf("LookupEvents(EndTime before start) = %d events, %v", len(out.Events), err)
	}
	out, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}})
	if err != nil || len(out.Events) != 7 {
		t.Errorf("LookupEvents(time range) = %d events, %v; want 7", len(out.Events), err)
	}

	// Errors in the JSON protocol's forms.
	errs := []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		{"TwoAttributes", &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("a")},
			{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("b")}}}, "InvalidLookupAttributesException"},
		{"BadKey", &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: "Nope", AttributeValue: aws.String("a")}}}, "InvalidLookupAttributesException"},
		{"TimeRange", &cloudtrail.LookupEventsInput{StartTime: aws.Time(time.Now()), EndTime: aws.Time(time.Now().Add(-time.Hour))}, "InvalidTimeRangeException"},
		{"NextToken", &cloudtrail.LookupEventsInput{NextToken: aws.String("garbage")}, "InvalidNextTokenException"},
		{"MaxResults", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
	}
	for _, tc := range errs {
		if _, err := ct.LookupEvents(ctx, tc.in); apiCode(err) != tc.code {
			t.Errorf("%s: LookupEvents error = %v, want %s", tc.name, err, tc.code)
		}
	}
	// A token from another query is refused.
	p1, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
	if err != nil || p1.NextToken == nil {
		t.Fatalf("LookupEvents(MaxResults 1) = %v, %v", p1, err)
	}
	if _, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: p1.NextToken, LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}}); apiCode(err) != "InvalidNextTokenException" {
		t.Errorf("NextToken of another query: %v", err)
	}

	// Authentication failures in the JSON forms; non-root callers are refused.
	bad := aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000002", SecretAccessKey: "x-secret-that-is-long-enough"}
	if _, err := e.cloudtrail(bad).LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown key: %v, want UnrecognizedClientException", err)
	}
	bob := e.newUser(t, "bob")
	if _, err := e.cloudtrail(bob).LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("user without policy: %v, want AccessDeniedException", err)
	}
}
