package console

import (
	"bufio"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/castellan-sts/castellan/internal/iam"
	"github.com/castellan-sts/castellan/internal/monitor"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/policy"
)

type dashboardData struct {
	Summary    []iam.SummaryEntry
	SummaryErr *apiError
	Counts     map[string]int
	Sessions   int
	Denied     []eventRow
	DeniedErr  *apiError
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) {
	d := &dashboardData{Counts: map[string]int{}}
	if out, err := c.call(r, "iam", "GetAccountSummary", nil); err == nil {
		for _, e := range out.(*iam.GetAccountSummaryOutput).SummaryMap {
			d.Counts[e.Key] = e.Value
		}
	} else {
		d.SummaryErr = sectionErr(err, "iam:GetAccountSummary")
	}
	d.Sessions = len(c.store.list(sessionsVisibleTo(sessionFrom(r)), ""))
	// The last denied requests: scan recent events (one LookupEvents page).
	rows, _, err := c.lookup(r, auditQuery{Max: auditPageSize})
	d.DeniedErr = sectionErr(err, "cloudtrail:LookupEvents")
	for _, e := range rows {
		if e.Denied || e.AuthFailure {
			d.Denied = append(d.Denied, e)
		}
	}
	c.page(w, r, "dashboard", "Dashboard", "Dashboard", d, nil, "")
}

type listData struct {
	Items  any
	Next   string
	Scope  string
	Editor *policyEditor
}

func nextLink(base string, truncated bool, marker string) string {
	if !truncated || marker == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "marker=" + url.QueryEscape(marker)
}

func pageParams(r *http.Request) url.Values {
	p := url.Values{"MaxItems": {"50"}}
	if m := r.URL.Query().Get("marker"); m != "" {
		p.Set("Marker", truncate(m, 512))
	}
	return p
}

func (c *Console) groups(w http.ResponseWriter, r *http.Request) {
	out, err := c.call(r, "iam", "ListGroups", pageParams(r))
	var d *listData
	if err == nil {
		lg := out.(*iam.ListGroupsOutput)
		d = &listData{Items: lg.Groups, Next: nextLink("/console/groups", lg.IsTruncated, lg.Marker)}
	}
	c.page(w, r, "groups", "Groups", "Groups", d, err, "iam:ListGroups")
}

func (c *Console) createGroup(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("group"))
	if _, err := c.call(r, "iam", "CreateGroup", url.Values{"GroupName": {name}}); err != nil {
		c.actionFailed(w, r, err, "iam:CreateGroup", "/console/groups")
		return
	}
	redirect(w, r, "/console/groups/"+url.PathEscape(name), "Group "+name+" was created.")
}

type groupData struct {
	Out         *iam.GetGroupOutput
	Attached    []iam.AttachedPolicy
	AttachedErr *apiError
	Inline      []string
	InlineErr   *apiError
}

func (c *Console) groupDetail(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	out, err := c.call(r, "iam", "GetGroup", url.Values{"GroupName": {name}})
	var d *groupData
	if err == nil {
		d = &groupData{Out: out.(*iam.GetGroupOutput)}
		gn := url.Values{"GroupName": {name}}
		if a, err := c.call(r, "iam", "ListAttachedGroupPolicies", gn); err == nil {
			d.Attached = a.(*iam.ListAttachedPoliciesOutput).AttachedPolicies
		} else {
			d.AttachedErr = sectionErr(err, "iam:ListAttachedGroupPolicies")
		}
		if a, err := c.call(r, "iam", "ListGroupPolicies", gn); err == nil {
			d.Inline = a.(*iam.ListPolicyNamesOutput).PolicyNames
		} else {
			d.InlineErr = sectionErr(err, "iam:ListGroupPolicies")
		}
	}
	c.page(w, r, "group", "Group "+name, "Groups", d, err, "iam:GetGroup")
}

func (c *Console) roles(w http.ResponseWriter, r *http.Request) {
	out, err := c.call(r, "iam", "ListRoles", pageParams(r))
	var d *listData
	if err == nil {
		lr := out.(*iam.ListRolesOutput)
		d = &listData{Items: lr.Roles, Next: nextLink("/console/roles", lr.IsTruncated, lr.Marker)}
	}
	c.page(w, r, "roles", "Roles", "Roles", d, err, "iam:ListRoles")
}

type roleData struct {
	Role        iam.Role
	Trust       string
	Attached    []iam.AttachedPolicy
	AttachedErr *apiError
}

func (c *Console) roleDetail(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	out, err := c.call(r, "iam", "GetRole", url.Values{"RoleName": {name}})
	var d *roleData
	if err == nil {
		role := out.(*iam.GetRoleOutput).Role
		d = &roleData{Role: role, Trust: prettyJSON(urlDecoded(role.AssumeRolePolicyDocument))}
		if a, err := c.call(r, "iam", "ListAttachedRolePolicies", url.Values{"RoleName": {name}}); err == nil {
			d.Attached = a.(*iam.ListAttachedPoliciesOutput).AttachedPolicies
		} else {
			d.AttachedErr = sectionErr(err, "iam:ListAttachedRolePolicies")
		}
	}
	c.page(w, r, "role", "Role "+name, "Roles", d, err, "iam:GetRole")
}

func urlDecoded(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (c *Console) policies(w http.ResponseWriter, r *http.Request) {
	scope := r.URL.Query().Get("scope")
	if scope != "AWS" && scope != "All" {
		scope = "Local"
	}
	p := pageParams(r)
	p.Set("Scope", scope)
	out, err := c.call(r, "iam", "ListPolicies", p)
	var d *listData
	if err == nil {
		lp := out.(*iam.ListPoliciesOutput)
		d = &listData{Items: lp.Policies, Scope: scope, Next: nextLink("/console/policies?scope="+scope, lp.IsTruncated, lp.Marker)}
	}
	c.page(w, r, "policies", "Policies", "Policies", d, err, "iam:ListPolicies")
}

// policyEditor is the JSON editor's state: the document and the
// validator's findings, each with its line and column.
type policyEditor struct {
	Name     string
	Document string
	Problems []policyProblem
	APIError *apiError
}

type policyProblem struct {
	Line, Column int
	Message      string
}

// validateDocument runs the policy package's validator, the one IAM
// uses, and reports its error in IAM's exact words. A JSON syntax error
// also gets its line and column (the validator itself reports none).
func validateDocument(doc string) []policyProblem {
	_, err := policy.Parse(doc, policy.Identity)
	if err == nil {
		return nil
	}
	pp := policyProblem{Message: err.Error()}
	var v any
	if jerr := json.Unmarshal([]byte(doc), &v); jerr != nil {
		var se *json.SyntaxError
		if errors.As(jerr, &se) {
			pp.Line, pp.Column = lineColumn(doc, int(se.Offset))
		}
	}
	return []policyProblem{pp}
}

// lineColumn converts a byte offset into a 1-based line and column.
func lineColumn(doc string, off int) (int, int) {
	off = min(max(off, 0), len(doc))
	line, col := 1, 1
	for _, r := range doc[:off] {
		if r == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return line, col
}

func (c *Console) createPolicy(w http.ResponseWriter, r *http.Request) {
	ed := &policyEditor{Name: strings.TrimSpace(r.PostFormValue("policy_name")), Document: r.PostFormValue("document")}
	if ed.Problems = validateDocument(ed.Document); len(ed.Problems) > 0 {
		c.render(w, r, http.StatusBadRequest, "policies", &view{Title: "Policies", Nav: "Policies", Data: &listData{Scope: "Local", Editor: ed}})
		return
	}
	out, err := c.call(r, "iam", "CreatePolicy", url.Values{"PolicyName": {ed.Name}, "PolicyDocument": {ed.Document}})
	if err != nil {
		c.actionFailed(w, r, err, "iam:CreatePolicy", "/console/policies")
		return
	}
	arn := out.(*iam.PolicyOutput).Policy.Arn
	redirect(w, r, "/console/policy?arn="+url.QueryEscape(arn), "Policy "+ed.Name+" was created.")
}

type policyData struct {
	Policy   iam.Policy
	Versions []iam.PolicyVersion
	Version  string
	Document string
	Compare  string
	Diff     []diffLine
	Editor   *policyEditor
}

func (c *Console) loadPolicy(r *http.Request, arn, version, compare string) (*policyData, error) {
	out, err := c.call(r, "iam", "GetPolicy", url.Values{"PolicyArn": {arn}})
	if err != nil {
		return nil, err
	}
	d := &policyData{Policy: out.(*iam.PolicyOutput).Policy}
	if vs, err := c.call(r, "iam", "ListPolicyVersions", url.Values{"PolicyArn": {arn}}); err == nil {
		d.Versions = vs.(*iam.ListPolicyVersionsOutput).Versions
	}
	if version == "" {
		version = d.Policy.DefaultVersionId
	}
	d.Version = version
	doc, err := c.policyDocument(r, arn, version)
	if err != nil {
		return nil, err
	}
	d.Document = doc
	if compare != "" && compare != version {
		other, err := c.policyDocument(r, arn, compare)
		if err == nil {
			d.Compare = compare
			d.Diff = diffLines(other, doc)
		}
	}
	return d, nil
}

func (c *Console) policyDocument(r *http.Request, arn, version string) (string, error) {
	out, err := c.call(r, "iam", "GetPolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {version}})
	if err != nil {
		return "", err
	}
	return prettyJSON(urlDecoded(out.(*iam.PolicyVersionOutput).PolicyVersion.Document)), nil
}

func (c *Console) policyDetail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, err := c.loadPolicy(r, truncate(q.Get("arn"), 2048), truncate(q.Get("version"), 16), truncate(q.Get("compare"), 16))
	title := "Policy"
	if d != nil {
		title = "Policy " + d.Policy.PolicyName
		d.Editor = &policyEditor{Document: d.Document}
	}
	c.page(w, r, "policy", title, "Policies", d, err, "iam:GetPolicy")
}

func (c *Console) policyAction(w http.ResponseWriter, r *http.Request) {
	arn := r.PostFormValue("arn")
	back := "/console/policy?arn=" + url.QueryEscape(arn)
	switch r.PostFormValue("do") {
	case "new-version":
		doc := r.PostFormValue("document")
		if probs := validateDocument(doc); len(probs) > 0 {
			d, err := c.loadPolicy(r, arn, "", "")
			if err != nil {
				c.page(w, r, "policy", "Policy", "Policies", nil, err, "iam:GetPolicy")
				return
			}
			d.Editor = &policyEditor{Document: doc, Problems: probs}
			c.render(w, r, http.StatusBadRequest, "policy", &view{Title: "Policy " + d.Policy.PolicyName, Nav: "Policies", Data: d})
			return
		}
		if _, err := c.call(r, "iam", "CreatePolicyVersion", url.Values{"PolicyArn": {arn}, "PolicyDocument": {doc}, "SetAsDefault": {"true"}}); err != nil {
			c.actionFailed(w, r, err, "iam:CreatePolicyVersion", back)
			return
		}
		redirect(w, r, back, "A new default version was saved.")
	case "set-default":
		v := r.PostFormValue("version")
		if _, err := c.call(r, "iam", "SetDefaultPolicyVersion", url.Values{"PolicyArn": {arn}, "VersionId": {v}}); err != nil {
			c.actionFailed(w, r, err, "iam:SetDefaultPolicyVersion", back)
			return
		}
		redirect(w, r, back, "Version "+v+" is now the default.")
	case "delete":
		if !c.confirmed(w, r, "Delete policy "+arn+"? This cannot be undone.", back) {
			return
		}
		if _, err := c.call(r, "iam", "DeletePolicy", url.Values{"PolicyArn": {arn}}); err != nil {
			c.actionFailed(w, r, err, "iam:DeletePolicy", back)
			return
		}
		redirect(w, r, "/console/policies", "Policy "+arn+" was deleted.")
	default:
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
	}
}

// diffLine is one line of a version diff.
type diffLine struct {
	Op   string // " ", "+", "-"
	Text string
}

// diffLines is a line diff (longest common subsequence; policy
// documents are small, at most a few hundred lines).
func diffLines(a, b string) []diffLine {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) > 2000 || len(y) > 2000 {
		return []diffLine{{"-", "(documents too long to compare)"}}
	}
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, diffLine{" ", x[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{"-", x[i]})
			i++
		default:
			out = append(out, diffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, diffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, diffLine{"+", y[j]})
	}
	return out
}

type sessionsData struct {
	Console []sessionView
	Issued  []store.IssuedSession
	All     bool
}

// sessions lists console sign-ins (a principal sees its own, the root
// every one) and, for the root, the issued temporary credentials of the
// session index. No IAM API lists either, so the rule is the console's:
// the root is the operator; a user manages only their own sign-ins.
func (c *Console) sessions(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	d := &sessionsData{All: s.principal.IsRoot()}
	filter := sessionsVisibleTo(s)
	if d.All {
		if c.cfg.Sessions != nil {
			list, err := c.cfg.Sessions.ListSessions(r.Context(), store.SessionListOptions{Now: c.now(), Limit: 200})
			if err != nil {
				c.page(w, r, "sessions", "Sessions", "Sessions", nil, err, "")
				return
			}
			d.Issued = list
		}
	}
	d.Console = c.store.list(filter, s.id)
	c.page(w, r, "sessions", "Sessions", "Sessions", d, nil, "")
}

// sessionsVisibleTo is the principal whose console sessions s may see:
// its own, or "" (every one) for the root. The Sessions page and the
// dashboard's count share it.
func sessionsVisibleTo(s *session) string {
	if s.principal.IsRoot() {
		return ""
	}
	return s.principal.ARN
}

func (c *Console) revokeSession(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	id := r.PostFormValue("session")
	owner := c.store.owner(id)
	if owner == "" || (!s.principal.IsRoot() && owner != s.principal.ARN) {
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
		return
	}
	if !c.confirmed(w, r, "Revoke this console session of "+owner+"? It is signed out at once.", "/console/sessions") {
		return
	}
	c.store.revoke(id)
	if id == s.id {
		clearCookie(w, r)
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	redirect(w, r, "/console/sessions", "The session was revoked.")
}

// reportPageSize is how many rows one page of the credential report shows.
const reportPageSize = 100

type reportData struct {
	Header     []string
	Rows       [][]string
	Time       string
	Notice     string
	First      int // the number of the page's first row, from 1
	Last       int
	Prev, Next string
}

func (c *Console) credentialReport(w http.ResponseWriter, r *http.Request) {
	out, err := c.call(r, "iam", "GetCredentialReport", nil)
	if err != nil && !isDenied(err) {
		// No report yet (or a stale one): ask for one, as AWS's console does.
		if _, gerr := c.call(r, "iam", "GenerateCredentialReport", nil); gerr != nil {
			err = gerr
		} else {
			out, err = c.call(r, "iam", "GetCredentialReport", nil)
		}
	}
	if err != nil {
		d := &reportData{Notice: "The report is being generated; reload this page in a moment."}
		if isDenied(err) {
			c.page(w, r, "report", "Credential report", "Credential report", nil, err, "iam:GetCredentialReport")
			return
		}
		c.page(w, r, "report", "Credential report", "Credential report", d, nil, "")
		return
	}
	rep := out.(*monitor.GetCredentialReportOutput)
	// The report arrives base64-encoded; both views decode it as they
	// read it rather than holding a decoded copy.
	content := func() io.Reader { return base64.NewDecoder(base64.StdEncoding, strings.NewReader(rep.Content)) }
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="credential-report.csv"`)
		if _, err := io.Copy(w, content()); err != nil {
			c.log.Warn("console: writing the credential report", "err", err)
		}
		return
	}
	page := 1
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		page = n
	}
	d := &reportData{Time: rep.GeneratedTime.UTC().Format("2006-01-02 15:04:05 UTC")}
	unreadable := func(err error) {
		c.log.Error("console: reading the credential report", "err", err)
		d.Notice = "The report could not be read here; download the CSV instead."
		c.page(w, r, "report", "Credential report", "Credential report", d, nil, "")
	}
	header, rows, more, err := reportPage(content(), page)
	if err != nil {
		unreadable(err)
		return
	}
	if len(rows) == 0 && page > 1 {
		// Past the end (a stale or forged page number): the last page.
		var total int
		header, rows, total, err = reportLastPage(content())
		if err != nil {
			unreadable(err)
			return
		}
		page, more = max(1, (total+reportPageSize-1)/reportPageSize), false
	}
	d.Header, d.Rows = header, rows
	d.First, d.Last = (page-1)*reportPageSize+1, (page-1)*reportPageSize+len(rows)
	if page > 1 {
		d.Prev = "/console/credential-report?page=" + strconv.Itoa(page-1)
	}
	if more {
		d.Next = "/console/credential-report?page=" + strconv.Itoa(page+1)
	}
	c.page(w, r, "report", "Credential report", "Credential report", d, nil, "")
}

// reportPage reads the header and the rows of page (from 1) of a
// credential report CSV, and whether rows follow: it parses the rows
// before the page and one after it, never builds the whole table.
func reportPage(src io.Reader, page int) (header []string, rows [][]string, more bool, err error) {
	cr := csv.NewReader(bufio.NewReader(src))
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	header = slices.Clone(rec)
	skip := (page - 1) * reportPageSize
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return header, rows, false, nil
		}
		if err != nil {
			return nil, nil, false, err
		}
		if i < skip {
			continue
		}
		if len(rows) == reportPageSize {
			return header, rows, true, nil
		}
		rows = append(rows, slices.Clone(rec))
	}
}

// reportLastPage reads the header and last page of a report, and its
// number of rows, keeping at most one page of rows in memory.
func reportLastPage(src io.Reader) (header []string, rows [][]string, total int, err error) {
	cr := csv.NewReader(bufio.NewReader(src))
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, err
	}
	header = rec
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return header, rows, total, nil
		}
		if err != nil {
			return nil, nil, 0, err
		}
		if total%reportPageSize == 0 {
			rows = rows[:0]
		}
		rows = append(rows, rec)
		total++
	}
}

type settingsData struct {
	Policy     *iam.PasswordPolicy
	PolicyErr  *apiError
	Aliases    []string
	AliasesErr *apiError
	Regions    string
	TokenV     string
}

func (c *Console) settings(w http.ResponseWriter, r *http.Request) {
	d := &settingsData{Regions: c.cfg.Region, TokenV: "—"}
	if out, err := c.call(r, "iam", "GetAccountPasswordPolicy", nil); err == nil {
		pp := out.(*iam.GetAccountPasswordPolicyOutput).PasswordPolicy
		d.Policy = &pp
	} else if isDenied(err) {
		d.PolicyErr = sectionErr(err, "iam:GetAccountPasswordPolicy")
	}
	if out, err := c.call(r, "iam", "ListAccountAliases", nil); err == nil {
		d.Aliases = out.(*iam.ListAccountAliasesOutput).AccountAliases
	} else {
		d.AliasesErr = sectionErr(err, "iam:ListAccountAliases")
	}
	if out, err := c.call(r, "iam", "GetAccountSummary", nil); err == nil {
		for _, e := range out.(*iam.GetAccountSummaryOutput).SummaryMap {
			if e.Key == "GlobalEndpointTokenVersion" {
				d.TokenV = strconv.Itoa(e.Value)
			}
		}
	}
	if len(c.cfg.Regions) > 0 {
		d.Regions = strings.Join(c.cfg.Regions, ", ")
	}
	c.page(w, r, "settings", "Settings", "Settings", d, nil, "")
}

func (c *Console) settingsPost(w http.ResponseWriter, r *http.Request) {
	back := "/console/settings"
	switch r.PostFormValue("do") {
	case "password-policy":
		p := url.Values{"MinimumPasswordLength": {r.PostFormValue("min_length")}}
		for _, k := range []struct{ form, param string }{{"symbols", "RequireSymbols"}, {"numbers", "RequireNumbers"},
			{"upper", "RequireUppercaseCharacters"}, {"lower", "RequireLowercaseCharacters"}, {"change", "AllowUsersToChangePassword"}} {
			p.Set(k.param, strconv.FormatBool(r.PostFormValue(k.form) == "on"))
		}
		if v := r.PostFormValue("reuse"); v != "" && v != "0" {
			p.Set("PasswordReusePrevention", v)
		}
		if _, err := c.call(r, "iam", "UpdateAccountPasswordPolicy", p); err != nil {
			c.actionFailed(w, r, err, "iam:UpdateAccountPasswordPolicy", back)
			return
		}
		redirect(w, r, back, "The password policy was saved.")
	case "alias":
		a := strings.TrimSpace(r.PostFormValue("alias"))
		if _, err := c.call(r, "iam", "CreateAccountAlias", url.Values{"AccountAlias": {a}}); err != nil {
			c.actionFailed(w, r, err, "iam:CreateAccountAlias", back)
			return
		}
		redirect(w, r, back, "The account alias is now "+a+".")
	case "token-version":
		v := "v1Token"
		if r.PostFormValue("version") == "2" {
			v = "v2Token"
		}
		if _, err := c.call(r, "iam", "SetSecurityTokenServicePreferences", url.Values{"GlobalEndpointTokenVersion": {v}}); err != nil {
			c.actionFailed(w, r, err, "iam:SetSecurityTokenServicePreferences", back)
			return
		}
		redirect(w, r, back, "The STS token version preference was saved.")
	default:
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
	}
}
