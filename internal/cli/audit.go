package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/audit"
)

// auditFilters are the LookupEvents filters of `audit lookup` and `audit tail`.
type auditFilters struct {
	eventName, username, accessKeyID, eventSource, resourceName, resourceType, readOnly, eventID string
	start, end                                                                                   string
	output                                                                                       string
}

func (f *auditFilters) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.eventName, "event-name", "", "only events with this eventName (e.g. AssumeRole)")
	fl.StringVar(&f.username, "username", "", "only events of this user name (root, a user, a role session name)")
	fl.StringVar(&f.accessKeyID, "access-key-id", "", "only events of this access key id (requests signed with it, its lifecycle)")
	fl.StringVar(&f.eventSource, "event-source", "", "only events of this source (sts.amazonaws.com, iam.amazonaws.com, …)")
	fl.StringVar(&f.resourceName, "resource-name", "", "only events naming this resource (name or ARN)")
	fl.StringVar(&f.resourceType, "resource-type", "", "only events naming a resource of this type (AWS::IAM::User, …)")
	fl.StringVar(&f.readOnly, "read-only", "", "true: only reads; false: only writes")
	fl.StringVar(&f.eventID, "event-id", "", "only the event with this id")
	fl.StringVar(&f.start, "start-time", "", "only events at or after this time (RFC 3339, or a duration ago such as 1h)")
	fl.StringVar(&f.end, "end-time", "", "only events at or before this time (RFC 3339, or a duration ago)")
	fl.StringVarP(&f.output, "output", "o", "table", "output: table or json (one CloudTrail record per line)")
}

// input builds the LookupEvents input (CloudTrail allows one attribute).
func (f *auditFilters) input(now time.Time) (*audit.LookupEventsInput, error) {
	in := &audit.LookupEventsInput{}
	for _, a := range []struct{ key, v string }{
		{"EventName", f.eventName}, {"Username", f.username}, {"AccessKeyId", f.accessKeyID}, {"EventSource", f.eventSource},
		{"ResourceName", f.resourceName}, {"ResourceType", f.resourceType}, {"ReadOnly", f.readOnly}, {"EventId", f.eventID},
	} {
		if a.v != "" {
			in.LookupAttributes = append(in.LookupAttributes, audit.LookupAttribute{AttributeKey: a.key, AttributeValue: a.v})
		}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, fmt.Errorf("give at most one filter flag: CloudTrail looks events up by one attribute at a time")
	}
	for _, t := range []struct {
		v   string
		dst **audit.EpochTime
	}{{f.start, &in.StartTime}, {f.end, &in.EndTime}} {
		if t.v == "" {
			continue
		}
		tt, err := parseWhen(t.v, now)
		if err != nil {
			return nil, err
		}
		et := audit.EpochTime(tt)
		*t.dst = &et
	}
	switch f.output {
	case "table", "json":
	default:
		return nil, fmt.Errorf("--output %q: want table or json", f.output)
	}
	return in, nil
}

// parseWhen reads an RFC 3339 time or a duration before now.
func parseWhen(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-01-02T15:04:05Z) or a duration ago (90m)", v)
}

func newAuditCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Look up and follow the audit trail",
		Long: `Read the CloudTrail-format audit trail of a deployment from its store: the same
events, filters and records as aws cloudtrail lookup-events against the server.`,
	}
	cmd.AddCommand(newAuditLookupCmd(streams), newAuditTailCmd(streams))
	return cmd
}

func newAuditLookupCmd(streams IO) *cobra.Command {
	var af adminFlags
	var f auditFilters
	var max int
	cmd := &cobra.Command{
		Use:   "lookup",
		Short: "Print the events matching a filter, newest first",
		Example: `  castellan audit lookup --event-name AssumeRole
  castellan audit lookup --access-key-id ASIAQ7EXAMPLEKEY1234 --output json
  castellan audit lookup --username alice --start-time 24h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := f.input(time.Now())
			if err != nil {
				return err
			}
			a, err := af.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			lk := audit.NewLookup(a.Store, nil, nil)
			var events []audit.LookupEvent
			for len(events) < max {
				in.MaxResults = ptr(min(audit.MaxLookupResults, max-len(events)))
				out, err := lk.LookupEvents(cmd.Context(), nil, in)
				if err != nil {
					return err
				}
				events = append(events, out.Events...)
				if out.NextToken == "" {
					break
				}
				in.NextToken = out.NextToken
			}
			return printEvents(streams.Stdout, f.output, events, true)
		},
	}
	af.register(cmd)
	f.register(cmd)
	cmd.Flags().IntVar(&max, "max-items", 100, "print at most this many events")
	return cmd
}

func newAuditTailCmd(streams IO) *cobra.Command {
	var af adminFlags
	var f auditFilters
	var n int
	var follow bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print the latest events, oldest first, and optionally follow new ones",
		Example: `  castellan audit tail -n 20
  castellan audit tail --follow --event-source sts.amazonaws.com --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := f.input(time.Now())
			if err != nil {
				return err
			}
			a, err := af.open(cmd, streams)
			if err != nil {
				return err
			}
			defer a.Close()
			lk := audit.NewLookup(a.Store, nil, nil)
			seen := map[string]bool{}
			header := true
			poll := func(ctx context.Context, limit int) error {
				q := *in
				q.MaxResults = ptr(min(audit.MaxLookupResults, max(limit, 1)))
				var fresh []audit.LookupEvent
				for len(fresh) < limit {
					out, err := lk.LookupEvents(ctx, nil, &q)
					if err != nil {
						return err
					}
					stop := false
					for _, e := range out.Events {
						if seen[e.EventID] {
							stop = true
							break
						}
						fresh = append(fresh, e)
					}
					if stop || out.NextToken == "" {
						break
					}
					q.NextToken = out.NextToken
				}
				if len(fresh) > limit {
					fresh = fresh[:limit]
				}
				for _, e := range fresh {
					seen[e.EventID] = true
				}
				slices.Reverse(fresh)
				if len(fresh) > 0 {
					if err := printEvents(streams.Stdout, f.output, fresh, header); err != nil {
						return err
					}
					header = false
				}
				return nil
			}
			if err := poll(cmd.Context(), n); err != nil {
				return err
			}
			if !follow {
				return nil
			}
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-cmd.Context().Done():
					return nil
				case <-t.C:
				}
				if err := poll(cmd.Context(), 1000); err != nil {
					return err
				}
			}
		},
	}
	af.register(cmd)
	f.register(cmd)
	cmd.Flags().IntVarP(&n, "lines", "n", 10, "how many of the latest events to print first")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events as they are recorded")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often --follow polls the store")
	return cmd
}

func ptr[T any](v T) *T { return &v }

// printEvents writes events as a table or as JSON lines (the CloudTrail records).
func printEvents(w io.Writer, output string, events []audit.LookupEvent, header bool) error {
	if output == "json" {
		for _, e := range events {
			if _, err := io.WriteString(w, e.CloudTrailEvent+"\n"); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if header {
		fmt.Fprintln(tw, "TIME\tEVENT\tSOURCE\tUSER\tACCESS KEY\tSOURCE IP\tERROR")
	}
	for _, e := range events {
		var rec struct {
			SourceIP  string `json:"sourceIPAddress"`
			ErrorCode string `json:"errorCode"`
		}
		_ = json.Unmarshal([]byte(e.CloudTrailEvent), &rec)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", time.Time(e.EventTime).UTC().Format(time.RFC3339), e.EventName,
			strings.TrimSuffix(e.EventSource, ".amazonaws.com"), dash(e.Username), dash(e.AccessKeyID), dash(rec.SourceIP), dash(rec.ErrorCode))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
