package monitor

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// ReportHeader is the credential report's header: AWS's 22 columns, in
// AWS's order (reference §6).
var ReportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// Report timing (IAM: a report is reused for 4 hours; GetCredentialReport
// calls it expired after that).
const (
	reportFresh = 4 * time.Hour
	// reportStale is when an unfinished generation is presumed dead (a
	// crash mid-generation) and a new one may start.
	reportStale = 5 * time.Minute
)

// ReportStore is what the credential report reads.
type ReportStore interface {
	store.CredentialReports
	GetAccount(ctx context.Context) (store.Account, error)
	ListUsers(ctx context.Context, accountID string, opt store.ListOptions) (store.Page[store.User], error)
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error)
	GetLoginProfile(ctx context.Context, accountID, userID string) (store.LoginProfile, error)
	GetPasswordPolicy(ctx context.Context, accountID string) (store.PasswordPolicy, error)
	UserCredentialCounts(ctx context.Context, accountID, userID string) (store.UserCredentialCounts, error)
	ListMFADevices(ctx context.Context, accountID string, opt store.MFAListOptions) (store.Page[store.MFADevice], error)
}

// Reports implements GenerateCredentialReport and GetCredentialReport.
type Reports struct {
	st      ReportStore
	account string
	now     func() time.Time
	log     *slog.Logger
}

// NewReports returns the credential report service.
func NewReports(st ReportStore, account string, now func() time.Time, log *slog.Logger) *Reports {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reports{st: st, account: account, now: now, log: log}
}

// GenerateCredentialReportOutput is GenerateCredentialReport's result.
type GenerateCredentialReportOutput struct {
	State       string
	Description string
}

// GetCredentialReportOutput is GetCredentialReport's result. Content is
// the base64 CSV (the query protocol's blob encoding).
type GetCredentialReportOutput struct {
	Content       string
	ReportFormat  string
	GeneratedTime time.Time
}

// GenerateCredentialReport starts a report unless a fresh one exists or one
// is being generated.
func (r *Reports) GenerateCredentialReport(ctx context.Context, _ *identity.Call) (*GenerateCredentialReportOutput, error) {
	now := r.now().UTC().Truncate(time.Microsecond) // the store's precision: generate compares it
	start := false
	c, err := r.st.UpdateCredentialReport(ctx, r.account, func(c *store.CredentialReport) error {
		start = false
		switch {
		case c.State == store.ReportComplete && now.Sub(c.GeneratedAt) < reportFresh:
		case (c.State == store.ReportStarted || c.State == store.ReportInProgress) && now.Sub(c.StartedAt) < reportStale:
			c.State = store.ReportInProgress
		default:
			c.State, c.StartedAt, start = store.ReportStarted, now, true
		}
		return nil
	})
	if err != nil {
		return nil, awserr.Internal(err)
	}
	if start {
		go r.generate(context.WithoutCancel(ctx), now)
		return &GenerateCredentialReportOutput{State: string(store.ReportStarted), Description: "No report exists. Starting a new report generation task"}, nil
	}
	if c.State == store.ReportComplete {
		return &GenerateCredentialReportOutput{State: string(store.ReportComplete)}, nil
	}
	return &GenerateCredentialReportOutput{State: string(c.State), Description: "Report generation in progress"}, nil
}

func (r *Reports) generate(ctx context.Context, started time.Time) {
	ctx, cancel := context.WithTimeout(ctx, reportStale)
	defer cancel()
	content, err := r.Build(ctx)
	if err != nil {
		r.log.Error("generating credential report", "err", err)
		return
	}
	_, err = r.st.UpdateCredentialReport(ctx, r.account, func(c *store.CredentialReport) error {
		if !c.StartedAt.Equal(started) {
			return errors.New("monitor: a newer report generation took over")
		}
		c.State, c.GeneratedAt, c.Content = store.ReportComplete, r.now().UTC(), content
		return nil
	})
	if err != nil {
		r.log.Warn("storing credential report", "err", err)
	}
}

// GetCredentialReport returns the latest report.
func (r *Reports) GetCredentialReport(ctx context.Context, _ *identity.Call) (*GetCredentialReportOutput, error) {
	c, err := r.st.GetCredentialReport(ctx, r.account)
	if errors.Is(err, store.ErrNotFound) || err == nil && c.State == "" {
		return nil, awserr.Errorf(awserr.ReportNotPresent, "Credential report not present. Use GenerateCredentialReport to generate a report.")
	}
	if err != nil {
		return nil, awserr.Internal(err)
	}
	if c.State != store.ReportComplete {
		return nil, awserr.Errorf(awserr.ReportInProgress, "Credential report generation is in progress. Try again later.")
	}
	if r.now().Sub(c.GeneratedAt) >= reportFresh {
		return nil, awserr.Errorf(awserr.ReportExpired, "The credential report is expired. Use GenerateCredentialReport to generate a new report.")
	}
	return &GetCredentialReportOutput{
		Content:       base64.StdEncoding.EncodeToString(c.Content),
		ReportFormat:  "text/csv",
		GeneratedTime: c.GeneratedAt,
	}, nil
}

// reportTime renders a report date as AWS does: 2022-03-23T10:21:07+00:00.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func boolStr(b bool) string { return strconv.FormatBool(b) }

// Build renders the report CSV now: the root first, then users by name.
func (r *Reports) Build(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(ReportHeader); err != nil {
		return nil, err
	}
	acct, err := r.st.GetAccount(ctx)
	if err != nil {
		return nil, err
	}
	policy, err := r.st.GetPasswordPolicy(ctx, r.account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// Root.
	rootKeys, err := r.st.ListAccessKeys(ctx, r.account, "")
	if err != nil {
		return nil, err
	}
	mfa, err := r.st.ListMFADevices(ctx, r.account, store.MFAListOptions{UserID: r.account, Limit: 1})
	if err != nil {
		return nil, err
	}
	row := []string{"<root_account>", "arn:aws:iam::" + r.account + ":root", reportTime(acct.CreatedAt),
		"not_supported", "no_information", "not_supported", "not_supported", boolStr(len(mfa.Items) > 0)}
	row = append(row, keyColumns(rootKeys)...)
	row = append(row, "false", "N/A", "false", "N/A")
	if err := w.Write(row); err != nil {
		return nil, err
	}
	marker := ""
	for {
		p, err := r.st.ListUsers(ctx, r.account, store.ListOptions{Marker: marker, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, u := range p.Items {
			row, err := r.userRow(ctx, u, policy)
			if err != nil {
				return nil, err
			}
			if err := w.Write(row); err != nil {
				return nil, err
			}
		}
		if p.Next == "" {
			break
		}
		marker = p.Next
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func (r *Reports) userRow(ctx context.Context, u store.User, policy store.PasswordPolicy) ([]string, error) {
	path := u.Path
	if path == "" {
		path = "/"
	}
	row := []string{u.Name, "arn:aws:iam::" + u.AccountID + ":user" + path + u.Name, reportTime(u.CreatedAt)}
	lp, err := r.st.GetLoginProfile(ctx, u.AccountID, u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		row = append(row, "false", "N/A", "N/A", "N/A")
	case err != nil:
		return nil, err
	default:
		used := "no_information"
		if !u.PasswordLastUsed.IsZero() {
			used = reportTime(u.PasswordLastUsed)
		}
		changed := lp.PasswordChangedAt
		if changed.IsZero() {
			changed = lp.CreatedAt
		}
		next := "N/A"
		if policy.MaxPasswordAge > 0 {
			next = reportTime(changed.Add(time.Duration(policy.MaxPasswordAge) * 24 * time.Hour))
		}
		row = append(row, "true", used, reportTime(changed), next)
	}
	n, err := r.st.UserCredentialCounts(ctx, u.AccountID, u.ID)
	if err != nil {
		return nil, err
	}
	row = append(row, boolStr(n.MFADevices > 0))
	keys, err := r.st.ListAccessKeys(ctx, u.AccountID, u.ID)
	if err != nil {
		return nil, err
	}
	row = append(row, keyColumns(keys)...)
	return append(row, "false", "N/A", "false", "N/A"), nil
}

// keyColumns renders the two access-key column groups (oldest key first).
func keyColumns(keys []store.AccessKey) []string {
	var out []string
	for i := range 2 {
		if i >= len(keys) {
			out = append(out, "false", "N/A", "N/A", "N/A", "N/A")
			continue
		}
		k := keys[i]
		out = append(out, boolStr(k.Status == store.KeyActive), reportTime(k.CreatedAt))
		if k.LastUsedAt.IsZero() {
			out = append(out, "N/A", "N/A", "N/A")
		} else {
			out = append(out, reportTime(k.LastUsedAt), orNA(k.LastUsedRegion), orNA(k.LastUsedService))
		}
	}
	return out
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}
