package console

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/iam"
)

// usersPageSize is how many users one page of the Users list shows (one
// ListUsers page; each row then costs a few per-user calls).
const usersPageSize = 20

// userRow is a row of the Users page: AWS's column set.
type userRow struct {
	Name, Path, Groups, MFA                      string
	LastActivity, ConsoleLastSignIn, KeyLastUsed *time.Time
	PasswordAge, KeyAge                          string
	lastActivitySort, passwordSort, keyAgeSort   time.Time
}

type usersData struct {
	Rows       []userRow
	Filter     string
	PathPrefix string
	Sort       string
	Next       string
	Marker     string
	Columns    []column
	// Searched is set when a filter's search stopped at its budget: the
	// Next link continues it.
	Searched int
}

type column struct{ Key, Name, Href string }

func age(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	if d < 24*time.Hour {
		return "today"
	}
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

func later(a *time.Time, b time.Time) *time.Time {
	if b.IsZero() {
		return a
	}
	if a == nil || b.After(*a) {
		return &b
	}
	return a
}

func (c *Console) users(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := usersData{Filter: truncate(q.Get("filter"), 64), PathPrefix: truncate(q.Get("path"), 512), Sort: q.Get("sort"), Marker: truncate(q.Get("marker"), 512)}
	users, next, err := c.listUsers(r, d.Marker, d.PathPrefix, d.Filter)
	if err != nil {
		c.page(w, r, "users", "Users", "Users", nil, err, "iam:ListUsers")
		return
	}
	d.Next = next
	if d.Filter != "" && next != "" && len(users) < usersPageSize {
		d.Searched = filterBudget
	}
	now := c.now()
	for _, u := range users {
		d.Rows = append(d.Rows, c.userRow(r, u, now))
	}
	sortRows(d.Rows, d.Sort)
	base := url.Values{}
	if d.Filter != "" {
		base.Set("filter", d.Filter)
	}
	if d.PathPrefix != "" {
		base.Set("path", d.PathPrefix)
	}
	if d.Marker != "" {
		base.Set("marker", d.Marker)
	}
	for _, col := range []struct{ k, n string }{{"name", "User name"}, {"groups", "Groups"}, {"activity", "Last activity"}, {"mfa", "MFA"},
		{"password", "Password age"}, {"signin", "Console last sign-in"}, {"keyage", "Access key age"}, {"keyused", "Access key last used"}} {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("sort", col.k)
		d.Columns = append(d.Columns, column{Key: col.k, Name: col.n, Href: "/console/users?" + v.Encode()})
	}
	c.page(w, r, "users", "Users", "Users", d, nil, "")
}

// Filtering reads the users in ListUsers pages of filterBatch, and at
// most filterBudget users per request: a filter that matches few users
// continues from where the budget ran out (the page's Next link) rather
// than reading every user of a large account in one request.
const (
	filterBatch  = 1000
	filterBudget = 10 * filterBatch
)

// listUsers returns one page of the Users list from marker, and the
// marker of the next page ("" on the last). Without a filter that is one
// ListUsers page; with one, the page holds the next usersPageSize users
// whose name contains filter (case-insensitively) among all users, read
// in ListUsers pages (so iam:ListUsers governs it as before), not only
// among the users of one unfiltered page.
func (c *Console) listUsers(r *http.Request, marker, pathPrefix, filter string) ([]iam.User, string, error) {
	size := usersPageSize
	if filter != "" {
		size = filterBatch
	}
	needle := strings.ToLower(filter)
	var out []iam.User
	for read := 0; ; {
		params := url.Values{"MaxItems": {strconv.Itoa(size)}}
		if marker != "" {
			params.Set("Marker", marker)
		}
		if pathPrefix != "" {
			params.Set("PathPrefix", pathPrefix)
		}
		res, err := c.call(r, "iam", "ListUsers", params)
		if err != nil {
			return nil, "", err
		}
		lu := res.(*iam.ListUsersOutput)
		if filter == "" {
			next := ""
			if lu.IsTruncated {
				next = lu.Marker
			}
			return lu.Users, next, nil
		}
		for i, u := range lu.Users {
			if !strings.Contains(strings.ToLower(u.UserName), needle) {
				continue
			}
			out = append(out, u)
			if len(out) == usersPageSize {
				// ListUsers' marker is the last name read: the next
				// page starts after this user, unless none is left.
				if i < len(lu.Users)-1 || lu.IsTruncated {
					return out, u.UserName, nil
				}
				return out, "", nil
			}
		}
		read += len(lu.Users)
		if !lu.IsTruncated {
			return out, "", nil
		}
		marker = lu.Marker
		if read >= filterBudget {
			return out, marker, nil
		}
	}
}

// userRow gathers a row's columns with the calls AWS's console makes;
// a column the caller may not read shows "—" rather than failing the page.
func (c *Console) userRow(r *http.Request, u iam.User, now time.Time) userRow {
	row := userRow{Name: u.UserName, Path: u.Path, Groups: "—", MFA: "—", PasswordAge: "—", KeyAge: "—"}
	un := url.Values{"UserName": {u.UserName}}
	if u.PasswordLastUsed != nil {
		row.ConsoleLastSignIn = u.PasswordLastUsed
		row.LastActivity = later(row.LastActivity, *u.PasswordLastUsed)
	}
	if out, err := c.call(r, "iam", "ListGroupsForUser", un); err == nil {
		var names []string
		for _, g := range out.(*iam.ListGroupsOutput).Groups {
			names = append(names, g.GroupName)
		}
		row.Groups = strconv.Itoa(len(names))
		if len(names) > 0 {
			row.Groups = strings.Join(names, ", ")
		}
	}
	if out, err := c.call(r, "iam", "ListMFADevices", un); err == nil {
		row.MFA = "None"
		if n := len(out.(*iam.ListMFADevicesOutput).MFADevices); n > 0 {
			row.MFA = "Virtual"
		}
	}
	if out, err := c.call(r, "iam", "GetLoginProfile", un); err == nil {
		lp := out.(*iam.GetLoginProfileOutput).LoginProfile
		row.PasswordAge, row.passwordSort = age(now, lp.CreateDate), lp.CreateDate
	} else if !isDenied(err) {
		row.PasswordAge = "None"
	}
	if out, err := c.call(r, "iam", "ListAccessKeys", un); err == nil {
		var oldest time.Time
		for _, k := range out.(*iam.ListAccessKeysOutput).AccessKeyMetadata {
			if k.Status == "Active" && (oldest.IsZero() || k.CreateDate.Before(oldest)) {
				oldest = k.CreateDate
			}
			if lu, err := c.call(r, "iam", "GetAccessKeyLastUsed", url.Values{"AccessKeyId": {k.AccessKeyId}}); err == nil {
				if t := lu.(*iam.GetAccessKeyLastUsedOutput).AccessKeyLastUsed.LastUsedDate; t != nil {
					row.KeyLastUsed = later(row.KeyLastUsed, *t)
					row.LastActivity = later(row.LastActivity, *t)
				}
			}
		}
		row.KeyAge, row.keyAgeSort = age(now, oldest), oldest
		if oldest.IsZero() {
			row.KeyAge = "None"
		}
	}
	if row.LastActivity != nil {
		row.lastActivitySort = *row.LastActivity
	}
	return row
}

func tp(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// sortRows orders one page's rows by a column (the store pages by name;
// other orders apply within the page).
func sortRows(rows []userRow, by string) {
	less := map[string]func(a, b userRow) bool{
		"groups":   func(a, b userRow) bool { return a.Groups < b.Groups },
		"activity": func(a, b userRow) bool { return a.lastActivitySort.After(b.lastActivitySort) },
		"mfa":      func(a, b userRow) bool { return a.MFA < b.MFA },
		"password": func(a, b userRow) bool { return a.passwordSort.Before(b.passwordSort) },
		"signin":   func(a, b userRow) bool { return tp(a.ConsoleLastSignIn).After(tp(b.ConsoleLastSignIn)) },
		"keyage":   func(a, b userRow) bool { return a.keyAgeSort.Before(b.keyAgeSort) },
		"keyused":  func(a, b userRow) bool { return tp(a.KeyLastUsed).After(tp(b.KeyLastUsed)) },
	}[by]
	if less != nil {
		sort.SliceStable(rows, func(i, j int) bool { return less(rows[i], rows[j]) })
	}
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	params := url.Values{"UserName": {name}}
	if p := strings.TrimSpace(r.PostFormValue("path")); p != "" {
		params.Set("Path", p)
	}
	if _, err := c.call(r, "iam", "CreateUser", params); err != nil {
		c.actionFailed(w, r, err, "iam:CreateUser", "/console/users")
		return
	}
	redirect(w, r, "/console/users/"+url.PathEscape(name), "User "+name+" was created.")
}

// actionFailed shows why an action failed on a page of its own, with a
// way back.
func (c *Console) actionFailed(w http.ResponseWriter, r *http.Request, err error, action, back string) {
	v := &view{Title: "The action failed", Data: back}
	ae := asAPIError(err, action)
	status := statusOf(err)
	if isDenied(err) {
		v.Denied = ae
	} else {
		v.Error = ae
	}
	c.render(w, r, status, "failed", v)
}

type keyView struct {
	iam.AccessKeyMetadata
	LastUsed        *time.Time
	LastUsedService string
	LastUsedRegion  string
}

type userDetailData struct {
	User        iam.User
	Keys        []keyView
	KeysErr     *apiError
	MFA         []iam.MFADevice
	MFAErr      *apiError
	Profile     *iam.LoginProfile
	ProfileErr  *apiError
	Groups      []iam.Group
	GroupsErr   *apiError
	Attached    []iam.AttachedPolicy
	AttachedErr *apiError
	Inline      []string
	InlineErr   *apiError
	Events      []eventRow
	EventsErr   *apiError
	NewKey      *iam.AccessKey
	NewMFA      *iam.VirtualMFADevice
	QRCode      string
	Seed        string
}

// sectionErr keeps a section's denial to itself: the rest of the page
// still shows.
func sectionErr(err error, action string) *apiError {
	if err == nil {
		return nil
	}
	return asAPIError(err, action)
}

func (c *Console) loadUser(r *http.Request, name string) (*userDetailData, error) {
	out, err := c.call(r, "iam", "GetUser", url.Values{"UserName": {name}})
	if err != nil {
		return nil, err
	}
	d := &userDetailData{User: out.(*iam.GetUserOutput).User}
	un := url.Values{"UserName": {d.User.UserName}}
	if out, err := c.call(r, "iam", "ListAccessKeys", un); err == nil {
		for _, k := range out.(*iam.ListAccessKeysOutput).AccessKeyMetadata {
			kv := keyView{AccessKeyMetadata: k}
			if lu, err := c.call(r, "iam", "GetAccessKeyLastUsed", url.Values{"AccessKeyId": {k.AccessKeyId}}); err == nil {
				l := lu.(*iam.GetAccessKeyLastUsedOutput).AccessKeyLastUsed
				kv.LastUsed, kv.LastUsedService, kv.LastUsedRegion = l.LastUsedDate, l.ServiceName, l.Region
			}
			d.Keys = append(d.Keys, kv)
		}
	} else {
		d.KeysErr = sectionErr(err, "iam:ListAccessKeys")
	}
	if out, err := c.call(r, "iam", "ListMFADevices", un); err == nil {
		d.MFA = out.(*iam.ListMFADevicesOutput).MFADevices
	} else {
		d.MFAErr = sectionErr(err, "iam:ListMFADevices")
	}
	if out, err := c.call(r, "iam", "GetLoginProfile", un); err == nil {
		lp := out.(*iam.GetLoginProfileOutput).LoginProfile
		d.Profile = &lp
	} else if isDenied(err) {
		d.ProfileErr = sectionErr(err, "iam:GetLoginProfile")
	}
	if out, err := c.call(r, "iam", "ListGroupsForUser", un); err == nil {
		d.Groups = out.(*iam.ListGroupsOutput).Groups
	} else {
		d.GroupsErr = sectionErr(err, "iam:ListGroupsForUser")
	}
	if out, err := c.call(r, "iam", "ListAttachedUserPolicies", un); err == nil {
		d.Attached = out.(*iam.ListAttachedPoliciesOutput).AttachedPolicies
	} else {
		d.AttachedErr = sectionErr(err, "iam:ListAttachedUserPolicies")
	}
	if out, err := c.call(r, "iam", "ListUserPolicies", un); err == nil {
		d.Inline = out.(*iam.ListPolicyNamesOutput).PolicyNames
	} else {
		d.InlineErr = sectionErr(err, "iam:ListUserPolicies")
	}
	evs, _, err := c.lookup(r, auditQuery{AttrKey: "Username", AttrValue: d.User.UserName, Max: 10})
	d.Events, d.EventsErr = evs, sectionErr(err, "cloudtrail:LookupEvents")
	return d, nil
}

func (c *Console) userDetail(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := c.loadUser(r, name)
	c.page(w, r, "user", "User "+name, "Users", d, err, "iam:GetUser")
}

// userAction runs the actions of the user page; each is one API call.
func (c *Console) userAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	back := "/console/users/" + url.PathEscape(name)
	un := url.Values{"UserName": {name}}
	with := func(k, v string) url.Values {
		p := url.Values{"UserName": {name}}
		p.Set(k, v)
		return p
	}
	key := r.PostFormValue("access_key_id")
	var (
		action, op, done string
		params           url.Values
	)
	switch r.PathValue("action") {
	case "create-key":
		out, err := c.call(r, "iam", "CreateAccessKey", un)
		if err != nil {
			c.actionFailed(w, r, err, "iam:CreateAccessKey", back)
			return
		}
		d, err := c.loadUser(r, name)
		if err != nil {
			c.page(w, r, "user", "User "+name, "Users", nil, err, "iam:GetUser")
			return
		}
		k := out.(*iam.CreateAccessKeyOutput).AccessKey
		d.NewKey = &k
		// The secret is in this response only: it is never stored in the
		// clear, and the page is not cached (Cache-Control: no-store).
		c.render(w, r, http.StatusOK, "user", &view{Title: "User " + name, Nav: "Users", Data: d,
			Flash: "Access key " + k.AccessKeyId + " was created. Copy its secret now: it is shown only this once."})
		return
	case "deactivate-key", "activate-key":
		status := "Inactive"
		if r.PathValue("action") == "activate-key" {
			status = "Active"
		} else if !c.confirmed(w, r, "Deactivate access key "+key+"? Requests signed with it will be refused.", back) {
			return
		}
		op, action, params, done = "UpdateAccessKey", "iam:UpdateAccessKey", with("AccessKeyId", key), "Access key "+key+" is now "+status+"."
		params.Set("Status", status)
	case "delete-key":
		if !c.confirmed(w, r, "Delete access key "+key+"? This cannot be undone.", back) {
			return
		}
		op, action, params, done = "DeleteAccessKey", "iam:DeleteAccessKey", with("AccessKeyId", key), "Access key "+key+" was deleted."
	case "attach-policy":
		arn := strings.TrimSpace(r.PostFormValue("policy_arn"))
		op, action, params, done = "AttachUserPolicy", "iam:AttachUserPolicy", with("PolicyArn", arn), "Policy "+arn+" was attached."
	case "detach-policy":
		arn := r.PostFormValue("policy_arn")
		op, action, params, done = "DetachUserPolicy", "iam:DetachUserPolicy", with("PolicyArn", arn), "Policy "+arn+" was detached."
	case "boundary":
		arn := strings.TrimSpace(r.PostFormValue("policy_arn"))
		if arn == "" {
			op, action, params, done = "DeleteUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary", un, "The permissions boundary was removed."
		} else {
			op, action, params, done = "PutUserPermissionsBoundary", "iam:PutUserPermissionsBoundary", with("PermissionsBoundary", arn), "The permissions boundary is now "+arn+"."
		}
	case "add-group":
		g := strings.TrimSpace(r.PostFormValue("group"))
		op, action, params, done = "AddUserToGroup", "iam:AddUserToGroup", with("GroupName", g), name+" was added to "+g+"."
	case "remove-group":
		g := r.PostFormValue("group")
		op, action, params, done = "RemoveUserFromGroup", "iam:RemoveUserFromGroup", with("GroupName", g), name+" was removed from "+g+"."
	case "password":
		params = with("Password", r.PostFormValue("password"))
		params.Set("PasswordResetRequired", strconv.FormatBool(r.PostFormValue("reset_required") == "on"))
		op, action, done = "UpdateLoginProfile", "iam:UpdateLoginProfile", "The console password was set."
		if r.PostFormValue("exists") != "yes" {
			op, action = "CreateLoginProfile", "iam:CreateLoginProfile"
		}
	case "delete-password":
		if !c.confirmed(w, r, "Remove the console password of "+name+"? They will no longer be able to sign in.", back) {
			return
		}
		op, action, params, done = "DeleteLoginProfile", "iam:DeleteLoginProfile", un, "The console password was removed."
	case "tag":
		params = un
		params.Set("Tags.member.1.Key", r.PostFormValue("tag_key"))
		params.Set("Tags.member.1.Value", r.PostFormValue("tag_value"))
		op, action, done = "TagUser", "iam:TagUser", "The tag was saved."
	case "untag":
		params = un
		params.Set("TagKeys.member.1", r.PostFormValue("tag_key"))
		op, action, done = "UntagUser", "iam:UntagUser", "The tag was removed."
	case "create-mfa":
		out, err := c.call(r, "iam", "CreateVirtualMFADevice", url.Values{"VirtualMFADeviceName": {name}})
		if err != nil {
			c.actionFailed(w, r, err, "iam:CreateVirtualMFADevice", back)
			return
		}
		d, err := c.loadUser(r, name)
		if err != nil {
			c.page(w, r, "user", "User "+name, "Users", nil, err, "iam:GetUser")
			return
		}
		dev := out.(*iam.CreateVirtualMFADeviceOutput).VirtualMFADevice
		d.NewMFA, d.QRCode = &dev, "data:image/png;base64,"+dev.QRCodePNG
		if seed, err := base64.StdEncoding.DecodeString(dev.Base32StringSeed); err == nil {
			d.Seed = string(seed)
		}
		c.render(w, r, http.StatusOK, "user", &view{Title: "User " + name, Nav: "Users", Data: d,
			Flash: "Scan the QR code with an authenticator app, then enter two consecutive codes."})
		return
	case "enable-mfa":
		params = with("SerialNumber", r.PostFormValue("serial"))
		params.Set("AuthenticationCode1", r.PostFormValue("code1"))
		params.Set("AuthenticationCode2", r.PostFormValue("code2"))
		op, action, done = "EnableMFADevice", "iam:EnableMFADevice", "The MFA device was assigned."
	case "remove-mfa":
		serial := r.PostFormValue("serial")
		if !c.confirmed(w, r, "Remove MFA device "+serial+" from "+name+"?", back) {
			return
		}
		if _, err := c.call(r, "iam", "DeactivateMFADevice", with("SerialNumber", serial)); err != nil {
			c.actionFailed(w, r, err, "iam:DeactivateMFADevice", back)
			return
		}
		op, action, params, done = "DeleteVirtualMFADevice", "iam:DeleteVirtualMFADevice", url.Values{"SerialNumber": {serial}}, "The MFA device was removed."
	case "delete":
		if !c.confirmed(w, r, "Delete user "+name+"? This cannot be undone.", back) {
			return
		}
		if _, err := c.call(r, "iam", "DeleteUser", un); err != nil {
			c.actionFailed(w, r, err, "iam:DeleteUser", back)
			return
		}
		redirect(w, r, "/console/users", "User "+name+" was deleted.")
		return
	default:
		c.render(w, r, http.StatusNotFound, "notfound", &view{Title: "Page not found"})
		return
	}
	if _, err := c.call(r, "iam", op, params); err != nil {
		c.actionFailed(w, r, err, action, back)
		return
	}
	redirect(w, r, back, done)
}
