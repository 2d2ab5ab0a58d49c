package policy

import (
	"strconv"
	"strings"
)

// Parse validates doc for use as a policy of the given kind and compiles it.
//
// An invalid document yields an [*Error] whose Code is
// "MalformedPolicyDocument" and whose Message is AWS's text for the first
// problem found, checked in the order IAM checks: JSON syntax and element
// types, Version, legacy parsing (exact Effect, date and number condition
// values, truncated ARNs), Sid characters and uniqueness, presence of actions, resource ARN
// formats, action vendor prefixes, presence of resources. Then come the
// rules of the kind (Principal where not allowed or missing, trust-policy
// actions). Documents longer than [MaxDocumentBytes] bytes yield a
// LimitExceeded error; per-kind size quotas are left to the caller (see
// [Size] and [MaxSize]).
func Parse(doc string, kind Kind) (*Policy, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, &Error{Code: CodeLimitExceeded, Message: "Cannot exceed quota for PolicySize: " + itoa(MaxDocumentBytes)}
	}
	return parse(doc, kind)
}

// ParseAWSManaged is [Parse] without the [MaxDocumentBytes] bound, for the
// AWS managed policies (arn:aws:iam::aws:policy/…) a server embeds: AWS
// does not hold its own policies to the customer quota, and one of them
// (AWSSupportServiceRolePolicy) is longer. Never use it for documents a
// caller supplies.
func ParseAWSManaged(doc string, kind Kind) (*Policy, error) { return parse(doc, kind) }

func parse(doc string, kind Kind) (*Policy, error) {
	root, err := decodeJSON(doc)
	if err != nil {
		if kind == Trust {
			return nil, malformed(msgInvalidJSON)
		}
		return nil, malformed(msgSyntax)
	}
	v := validator{kind: kind}
	if e := v.validate(&root); e != nil {
		return nil, e
	}
	p := &Policy{text: doc, kind: kind, version: v.version, id: v.id}
	vars := v.version == Version2012
	p.stmts = make([]statement, len(v.stmts))
	for i, s := range v.stmts {
		p.stmts[i] = compileStatement(s, vars)
	}
	return p, nil
}

// MustParse is like [Parse] but panics on error. It is meant for policies
// written in Go source and tests.
func MustParse(doc string, kind Kind) *Policy {
	p, err := Parse(doc, kind)
	if err != nil {
		panic("policy: MustParse: " + err.Error())
	}
	return p
}

// rawStatement is a statement after the syntax check.
type rawStatement struct {
	start, end                  int
	sid                         *string
	effect                      string
	action, notAction           []string
	hasAction, hasNotAction     bool
	resource, notResource       []string
	hasResource, hasNotResource bool
	principal, notPrincipal     *jvalue
	condition                   *jvalue
}

type validator struct {
	kind    Kind
	version string
	id      string
	stmts   []rawStatement
}

var statementKeys = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"Condition": true,
}

func (v *validator) validate(root *jvalue) *Error {
	if !v.syntax(root) {
		return malformed(msgSyntax)
	}
	// Version.
	if v.version != Version2012 && v.kind.requires2012() {
		return malformed(msgVersion)
	}
	if e := v.kindRules(); e != nil {
		return e
	}
	if !v.legacy() {
		return malformed(msgLegacy)
	}
	if v.kind != Resource {
		// IAM allows only [0-9A-Za-z] in a Sid; other services' resource
		// policies are laxer.
		for _, s := range v.stmts {
			if s.sid != nil && !alphanumeric(*s.sid) {
				return malformed(msgSidAlnum)
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range v.stmts {
		if s.sid == nil || *s.sid == "" {
			continue
		}
		if seen[*s.sid] {
			return malformed(msgSidUnique)
		}
		seen[*s.sid] = true
	}
	for _, s := range v.stmts {
		if len(s.action) == 0 && len(s.notAction) == 0 {
			return malformed(msgNoActions)
		}
	}
	for _, s := range v.stmts {
		for _, r := range s.resource {
			if msg := resourceFormatError(r); msg != "" {
				return malformed(msg)
			}
		}
		for _, r := range s.notResource {
			if msg := resourceFormatError(r); msg != "" {
				return malformed(msg)
			}
		}
	}
	for _, s := range v.stmts {
		for _, a := range s.action {
			if msg := actionError(a); msg != "" {
				return malformed(msg)
			}
		}
		for _, a := range s.notAction {
			if msg := actionError(a); msg != "" {
				return malformed(msg)
			}
		}
	}
	if v.kind != Trust {
		for _, s := range v.stmts {
			if len(s.resource) == 0 && len(s.notResource) == 0 {
				return malformed(msgNoResources)
			}
		}
	}
	if v.kind == Trust {
		for _, s := range v.stmts {
			for _, a := range s.action {
				if !trustAction(a) {
					return malformed(msgTrustActions)
				}
			}
			if s.hasNotAction {
				return malformed(msgTrustActions)
			}
		}
	}
	if v.kind == Trust {
		// Resource policies of other services name principals IAM
		// cannot check (CloudFront identities, …); only trust policies
		// are held to IAM's principal formats.
		for _, s := range v.stmts {
			pv := s.principal
			if pv == nil {
				pv = s.notPrincipal
			}
			if msg := principalError(pv); msg != "" {
				return malformed(msg)
			}
		}
	}
	return nil
}

func (k Kind) requires2012() bool { return k == Identity || k == Boundary }

// kindRules checks which elements the kind allows.
func (v *validator) kindRules() *Error {
	for _, s := range v.stmts {
		switch {
		case v.kind.identityLike():
			if s.principal != nil || s.notPrincipal != nil {
				return malformed(msgNoPrincipal)
			}
		case v.kind == Trust:
			if s.notPrincipal != nil {
				return malformed(msgProhibitedFmt + "NotPrincipal")
			}
			if s.hasResource {
				return malformed(msgProhibitedFmt + "Resource")
			}
			if s.hasNotResource {
				return malformed(msgProhibitedFmt + "NotResource")
			}
			if s.principal == nil {
				return malformed(msgMissingPrinc)
			}
		case v.kind == Resource:
			if s.principal == nil && s.notPrincipal == nil {
				return malformed(msgMissingPrinc)
			}
		}
	}
	return nil
}

// syntax checks the shape of the document and collects its statements.
func (v *validator) syntax(root *jvalue) bool {
	if root.kind != jObject {
		return false
	}
	var stmt *jvalue
	for i := range root.obj {
		m := &root.obj[i]
		switch m.name {
		case "Version":
			if m.val.kind != jString || (m.val.str != Version2012 && m.val.str != Version2008) {
				return false
			}
			v.version = m.val.str
		case "Id":
			if m.val.kind != jString {
				return false
			}
			v.id = m.val.str
		case "Statement":
			stmt = &m.val
		default:
			return false
		}
	}
	if stmt == nil {
		return false
	}
	switch stmt.kind {
	case jObject:
		return v.statement(stmt)
	case jArray:
		if len(stmt.arr) == 0 {
			// AWS: an empty Statement array is a syntax error.
			return false
		}
		for i := range stmt.arr {
			if stmt.arr[i].kind != jObject || !v.statement(&stmt.arr[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func (v *validator) statement(o *jvalue) bool {
	s := rawStatement{start: o.start, end: o.end}
	for i := range o.obj {
		m := &o.obj[i]
		val := &m.val
		if !statementKeys[m.name] {
			return false
		}
		var ok bool
		switch m.name {
		case "Sid":
			if val.kind != jString {
				return false
			}
			s.sid = &val.str
			ok = true
		case "Effect":
			if val.kind != jString || (!strings.EqualFold(val.str, "Allow") && !strings.EqualFold(val.str, "Deny")) {
				return false
			}
			s.effect = val.str
			ok = true
		case "Action":
			s.action, ok = stringList(val)
			s.hasAction = true
		case "NotAction":
			s.notAction, ok = stringList(val)
			s.hasNotAction = true
		case "Resource":
			s.resource, ok = stringList(val)
			s.hasResource = true
		case "NotResource":
			s.notResource, ok = stringList(val)
			s.hasNotResource = true
		case "Principal":
			s.principal, ok = val, principalSyntax(val)
		case "NotPrincipal":
			s.notPrincipal, ok = val, principalSyntax(val)
		case "Condition":
			s.condition, ok = val, conditionSyntax(val)
		}
		if !ok {
			return false
		}
	}
	if s.effect == "" {
		return false
	}
	if (s.hasAction && s.hasNotAction) || (s.hasResource && s.hasNotResource) || (s.principal != nil && s.notPrincipal != nil) {
		return false
	}
	v.stmts = append(v.stmts, s)
	return true
}

// stringList accepts a string or an array of strings (null elements are
// ignored, as IAM does).
func stringList(v *jvalue) ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for i := range v.arr {
			switch v.arr[i].kind {
			case jString:
				out = append(out, v.arr[i].str)
			case jNull:
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

func principalSyntax(v *jvalue) bool {
	switch v.kind {
	case jString:
		return v.str == "*"
	case jObject:
		if len(v.obj) == 0 {
			return false
		}
		for i := range v.obj {
			switch v.obj[i].name {
			case "AWS", "Federated", "Service", "CanonicalUser":
			default:
				return false
			}
			l, ok := stringList(&v.obj[i].val)
			if !ok || len(l) == 0 {
				return false
			}
		}
		return true
	}
	return false
}

func conditionSyntax(v *jvalue) bool {
	if v.kind != jObject {
		return false
	}
	for i := range v.obj {
		blk := &v.obj[i].val
		if blk.kind != jObject {
			return false
		}
		if _, ok := parseOperator(v.obj[i].name); !ok && len(blk.obj) > 0 {
			return false
		}
		for j := range blk.obj {
			val := &blk.obj[j].val
			switch val.kind {
			case jString, jBool, jNumber:
			case jArray:
				for k := range val.arr {
					if _, ok := val.arr[k].scalarText(); !ok {
						return false
					}
				}
			default:
				return false
			}
		}
	}
	return true
}

// conditionValues returns the values of a condition key as text.
func conditionValues(v *jvalue) []string {
	if s, ok := v.scalarText(); ok {
		return []string{s}
	}
	out := make([]string, 0, len(v.arr))
	for i := range v.arr {
		s, _ := v.arr[i].scalarText()
		out = append(out, s)
	}
	return out
}

// legacy performs the checks AWS reports as "The policy failed legacy
// parsing".
func (v *validator) legacy() bool {
	if !v.legacyResources() {
		return false
	}
	for _, s := range v.stmts {
		if s.effect != "Allow" && s.effect != "Deny" {
			return false
		}
		if s.condition == nil {
			continue
		}
		for i := range s.condition.obj {
			op, ok := parseOperator(s.condition.obj[i].name)
			if !ok {
				continue
			}
			for _, m := range s.condition.obj[i].val.obj {
				for _, val := range conditionValues(&m.val) {
					switch op.family() {
					case famDate:
						if !legacyDate(val) {
							return false
						}
					case famNumeric:
						if _, err := strconv.ParseFloat(val, 64); err != nil {
							return false
						}
					case famIP:
						if _, ok := parsePrefix(val); !ok {
							return false
						}
					}
				}
			}
		}
	}
	return true
}

var validPartitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true, "*": true,
}

// legacyResources is the resource part of legacy parsing. IAM checks the
// Resource elements of every statement, then the NotResource ones; once a
// resource has a format error (resourceFormatError, reported later) it
// parses no further resources the legacy way.
func (v *validator) legacyResources() bool {
	formatError := false
	for _, notRes := range []bool{false, true} {
		for _, s := range v.stmts {
			rs := s.resource
			if notRes {
				rs = s.notResource
			}
			for _, r := range rs {
				formatError = formatError || resourceFormatError(r) != ""
			}
			if formatError {
				return true
			}
			for _, r := range rs {
				if truncatedARN(r) || emptyService(r) {
					return false
				}
			}
		}
	}
	return true
}

// emptyService reports an ARN-like resource whose service field (the
// third) is empty, such as "arn:aws::::bucket": a legacy-parsing failure.
func emptyService(r string) bool {
	if r == "*" || r == "" {
		return false
	}
	f := strings.SplitN(r, ":", 4)
	return len(f) >= 3 && f[2] == ""
}

// legacyDate reports whether a Date condition value passes legacy parsing,
// which is laxer than evaluation in some ways (a bare "01T", a year of any
// width, hours without minutes) and stricter in others (at most nine
// fraction digits, a time zone offset only as +HH or +HH:MM): a value with
// "t" or "-" is an ISO 8601 date-time, any other an epoch-seconds count in
// [0, 2^63-1]. Numbers read as Python's int() reads them (surrounding
// spaces, a sign, underscores between digits), because that is the
// parser whose behaviour the checks reproduce.
func legacyDate(v string) bool {
	v = strings.ToLower(v)
	if !strings.ContainsAny(v, "t-") {
		n, ok := pyInt(v)
		return ok && n >= 0
	}
	datePart, timePart, _ := strings.Cut(v, "t")
	neg := strings.HasPrefix(datePart, "-")
	if neg {
		datePart = datePart[1:]
	}
	dp := strings.Split(datePart, "-")
	yearText := dp[0]
	if neg {
		yearText = "-" + yearText
	}
	inRange := func(s string, lo, hi int64) bool {
		n, ok := pyInt(s)
		return ok && n >= lo && n <= hi
	}
	if !inRange(yearText, -292275054, 292278993) || len(dp) > 3 {
		return false
	}
	if len(dp) > 1 && !inRange(dp[1], 1, 12) || len(dp) > 2 && !inRange(dp[2], 1, 31) {
		return false
	}
	tp := strings.Split(timePart, ":")
	if tp[0] != "" && !inRange(tp[0], 0, 23) || len(tp) > 1 && !inRange(tp[1], 0, 59) {
		return false
	}
	if len(tp) < 3 {
		return true
	}
	secs := tp[2]
	switch {
	case strings.Contains(secs, "z"):
		var after string
		secs, after, _ = strings.Cut(secs, "z")
		if after != "" {
			return false
		}
	case strings.Contains(secs, "+"):
		var zone string
		secs, zone, _ = strings.Cut(secs, "+")
		zh, zm, hasMin := strings.Cut(zone, ":")
		if len(zh) != 2 || !inRange(zh, 0, 23) || hasMin && (len(zm) != 2 || !inRange(zm, 0, 59)) {
			return false
		}
	}
	whole, frac, hasFrac := strings.Cut(secs, ".")
	return inRange(whole, 0, 59) && (!hasFrac || inRange(frac, 0, 999999999))
}

// pyInt parses an integer the way Python's int() does for ASCII text:
// optional surrounding whitespace, an optional sign, digits with single
// underscores between them. ok is false for anything else and for values
// outside int64.
func pyInt(s string) (int64, bool) {
	s = strings.Trim(s, " \t\n\r\v\f")
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return 0, false
	}
	for i := 0; i < len(body); i++ {
		if (body[i] < '0' || body[i] > '9') && body[i] != '_' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s[:len(s)-len(body)]+strings.ReplaceAll(body, "_", ""), 10, 64)
	return n, err == nil
}

// truncatedARN reports an ARN in a valid partition with an empty field that
// has fewer than six fields, such as "arn:aws:s3::bucket".
func truncatedARN(r string) bool {
	if r == "*" || strings.Count(r, ":") >= 5 || !strings.Contains(r, "::") {
		return false
	}
	parts := strings.SplitN(r, ":", 3)
	return len(parts) >= 2 && validPartitions[parts[1]]
}

var iamResourcePrefixes = []string{
	"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
	"report/", "access-report/",
}

// resourceFormatError returns AWS's message for a malformed Resource or
// NotResource value, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return "Resource " + r + ` must be in ARN format or "*".`
	}
	partition, rest, hasVendor := strings.Cut(rest, ":")
	if !validPartitions[partition] {
		f := strings.Split(rest, ":")
		field := func(i int) string {
			if i < len(f) && (f[i] != "" || len(f) > 1) {
				return f[i]
			}
			return "*"
		}
		last := "*"
		if len(f) > 3 {
			last = strings.Join(f[3:], ":")
		}
		return `Partition "` + partition + `" is not valid for resource "arn:` + partition + ":" +
			field(0) + ":" + field(1) + ":" + field(2) + ":" + last + `".`
	}
	if !hasVendor {
		return msgResVendor
	}
	vendor, rest, _ := strings.Cut(rest, ":")
	// An empty vendor ("arn:aws::::x") is a legacy-parsing failure
	// (emptyService), not a format error.
	if strings.ContainsAny(vendor, "*?") {
		return msgResVendor
	}
	region, rest, _ := strings.Cut(rest, ":")
	account, res, _ := strings.Cut(rest, ":")
	switch vendor {
	case "iam":
		if region != "" {
			return "IAM resource " + r + " cannot contain region information."
		}
		if res != "*" && res != "root" && !hasAnyPrefix(res, iamResourcePrefixes) {
			return msgIAMResPath
		}
	case "s3":
		if region != "" && account == "" {
			return "Resource " + r + " can not contain region information."
		}
	}
	return ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// actionError returns AWS's message for an action without a valid vendor
// prefix, or "".
func actionError(a string) string {
	if a == "*" {
		return ""
	}
	vendor, _, ok := strings.Cut(a, ":")
	if !ok {
		return msgVendor
	}
	if strings.Count(a, ":") > 1 {
		return msgOneColon
	}
	if vendor == "" {
		return msgVendor
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '*' || c == '?' || c == '_') {
			return "Vendor " + vendor + " is not valid"
		}
	}
	return ""
}

// trustAction reports whether a trust policy may name action a.
func trustAction(a string) bool {
	if a == "*" {
		return true
	}
	vendor, _, _ := strings.Cut(a, ":")
	return strings.EqualFold(vendor, "sts")
}

// principalError validates Principal values of trust and resource policies.
func principalError(v *jvalue) string {
	if v == nil || v.kind != jObject {
		return ""
	}
	for i := range v.obj {
		name := v.obj[i].name
		l, _ := stringList(&v.obj[i].val)
		for _, p := range l {
			bad := p == ""
			if name == "AWS" && !bad {
				bad = !validAWSPrincipal(p)
			}
			if bad {
				return `Invalid principal in policy: "` + name + `":"` + p + `"`
			}
		}
	}
	return ""
}

func validAWSPrincipal(p string) bool {
	if p == "*" || isAccountID(p) || isUniqueID(p) {
		return true
	}
	a, ok := parseARN(p)
	if !ok || !validPartitions[a.partition] || a.partition == "*" || a.region != "" || !isAccountID(a.account) {
		return false
	}
	if strings.ContainsAny(p, "*?") {
		return false
	}
	switch a.service {
	case "iam":
		return a.resource == "root" || strings.HasPrefix(a.resource, "user/") || strings.HasPrefix(a.resource, "role/")
	case "sts":
		return strings.HasPrefix(a.resource, "assumed-role/") || strings.HasPrefix(a.resource, "federated-user/")
	}
	return false
}

// isUniqueID reports an IAM unique id (AIDA…, AROA…), which is what IAM
// shows in place of a user or role ARN once the entity is deleted; such a
// principal is accepted when a stored policy is loaded and matches nobody.
func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || !(strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// alphanumeric checks a Sid. AWS documents [0-9A-Za-z]; '_' is accepted
// too, because the shared validation vectors (valid-040, valid-041) accept
// it.
func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// arn is a split ARN.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return arn{}, false
	}
	return arn{f[1], f[2], f[3], f[4], f[5]}, true
}
