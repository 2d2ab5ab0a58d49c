package main

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
)

type gen struct {
	reqAction, reqResource string // the request being generated
	r                      *rand.Rand
	docs                   []string
	docIndex               map[string]int
}

type obj = map[string]any

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool    { return g.r.Float64() < p }

// doc interns a policy document in the pool and returns its index.
func (g *gen) doc(stmts []obj) (int, json.RawMessage) {
	d := obj{"Version": "2012-10-17", "Statement": stmts}
	b, _ := json.Marshal(d)
	s := string(b)
	if i, ok := g.docIndex[s]; ok {
		return i, b
	}
	g.docs = append(g.docs, s)
	g.docIndex[s] = len(g.docs) - 1
	return len(g.docs) - 1, b
}

var (
	iamUserActions = []string{"iam:CreateUser", "iam:DeleteUser", "iam:GetUser", "iam:TagUser", "iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:PutUserPolicy", "iam:ListAccessKeys"}
	iamRoleActions = []string{"iam:GetRole", "iam:PassRole", "iam:DeleteRole", "iam:TagRole"}
	s3ObjActions   = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging"}
	s3BktActions   = []string{"s3:ListBucket", "s3:GetBucketPolicy"}
	userARNs       = []string{"arn:aws:iam::" + acct + ":user/alice", "arn:aws:iam::" + acct + ":user/bob", "arn:aws:iam::" + acct + ":user/eng/carol", "arn:aws:iam::" + acct + ":user/Alice"}
	roleARNs       = []string{"arn:aws:iam::" + acct + ":role/Dev", "arn:aws:iam::" + acct + ":role/app/Worker", "arn:aws:iam::" + acct + ":role/Admin"}
	objARNs        = []string{"arn:aws:s3:::bucket/home/alice/notes.txt", "arn:aws:s3:::bucket/home/bob/x.txt", "arn:aws:s3:::bucket/public/readme", "arn:aws:s3:::bucket/home/dev/plan", "arn:aws:s3:::other-bucket/a/b/c", "arn:aws:s3:::bucket/lit"}
	bktARNs        = []string{"arn:aws:s3:::bucket", "arn:aws:s3:::other-bucket"}
)

// request picks an action and a resource of a matching type.
func (g *gen) request() (action, resource string) {
	switch g.r.IntN(4) {
	case 0:
		return g.pick(iamUserActions...), g.pick(userARNs...)
	case 1:
		return g.pick(iamRoleActions...), g.pick(roleARNs...)
	case 2:
		return g.pick(s3ObjActions...), g.pick(objARNs...)
	}
	return g.pick(s3BktActions...), g.pick(bktARNs...)
}

func (g *gen) actionPattern(service string) any {
	var pool []string
	switch service {
	case "s3":
		pool = []string{"s3:*", "s3:Get*", "s3:*Object", "s3:List*", "s3:GetObject", "s3:getobject", "S3:PutObject", "s3:?etObject", "s3:*Object*", "s3:Delete*", "s3:ListBucket", "s3:*Bucket*"}
	default:
		pool = []string{"iam:*", "iam:Get*", "iam:*User", "iam:*Access*", "iam:?etUser", "iam:Create*", "iam:CreateUser", "IAM:createuser", "iam:PassRole", "iam:*Role", "iam:Tag*", "iam:DeleteUser", "iam:GetRole", "iam:Put*Policy"}
	}
	if g.chance(0.08) {
		return "*"
	}
	if g.chance(0.3) {
		n := 2 + g.r.IntN(2)
		l := make([]string, n)
		for i := range l {
			l[i] = g.pick(pool...)
		}
		return l
	}
	return g.pick(pool...)
}

func (g *gen) resourcePattern(service string) any {
	var pool []string
	switch service {
	case "s3":
		pool = []string{"*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/home/${aws:username}/*",
			"arn:aws:s3:::bucket/home/${aws:PrincipalTag/team, 'alice'}/*", "arn:aws:s3:::*bucket*", "arn:aws:s3:::bucket/home/?lice/*",
			"arn:aws:s3:::bucket/public/*", "arn:aws:s3:::other-bucket/*", "arn:aws:s3:::bucket/${*}lit", "arn:aws:s3:::bucket/*lit",
			"arn:aws:s3:::bucket/home/${aws:PrincipalTag/team}/*", "arn:aws:s3:::*/home/*/notes.txt", "arn:aws:s3:::bucket/home/${aws:userid}/*",
			"arn:aws:s3:*:*:*", "arn:aws:s3:::b?cket/*"}
	default:
		pool = []string{"*", "arn:aws:iam::" + acct + ":user/*", "arn:aws:iam::*:user/a*", "arn:aws:iam::" + acct + ":user/eng/*",
			"arn:aws:iam::" + acct + ":user/${aws:username}", "arn:aws:iam::" + acct + ":role/*", "arn:aws:iam::" + acct + ":role/app/*",
			"arn:aws:iam::*:role/Dev", "arn:aws:iam::" + acct + ":*", "arn:aws:iam::" + acct + ":user/alice", "arn:aws:iam::" + acct + ":user/Alice",
			"arn:aws:iam::" + acct + ":user/${aws:PrincipalTag/team, 'bob'}", "arn:aws:iam::" + otherAcct + ":user/*", "arn:aws:iam::" + acct + ":user/?o?",
			"arn:aws:iam::" + acct + ":role/${aws:PrincipalTag/team}*"}
	}
	if g.chance(0.25) {
		return []string{g.pick(pool...), g.pick(pool...)}
	}
	return g.pick(pool...)
}

type condTemplate struct {
	ops    []string
	key    string
	values []string
	set    bool // may take ForAllValues:/ForAnyValue:
}

var condTemplates = []condTemplate{
	{[]string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}, "aws:username", []string{"alice", "Alice", "bob", "al*", "a?ice", "${aws:PrincipalTag/team}"}, false},
	{[]string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase"}, "aws:PrincipalTag/team", []string{"dev", "ops", "d*", "DEV", "${aws:username}"}, true},
	{[]string{"StringEquals", "StringLike", "StringNotEquals"}, "aws:RequestedRegion", []string{"us-east-1", "eu-*", "eu-west-1"}, false},
	{[]string{"StringLike", "StringNotLike"}, "aws:UserAgent", []string{"aws-cli/*", "*Boto3*", "?oto3*"}, false},
	{[]string{"StringEquals", "StringLike", "StringNotEquals", "StringNotLike"}, "aws:TagKeys", []string{"team", "cost", "env", "t*"}, true},
	{[]string{"StringEquals", "StringNotEquals"}, "aws:RequestTag/team", []string{"dev", "ops"}, true},
	{[]string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"}, "aws:MultiFactorAuthAge", []string{"3600", "300", "30", "7200.5"}, false},
	{[]string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"}, "aws:CurrentTime", []string{"2026-01-01T00:00:00Z", "2027-06-01T00:00:00Z", "2026-11-26T11:00:00Z", "2026-03-01T12:00:00+02:00", "2026-11-26"}, false},
	{[]string{"DateLessThan", "DateGreaterThan"}, "aws:TokenIssueTime", []string{"2026-11-26T10:00:00Z", "2026-11-26T12:00:00+01:00"}, false},
	{[]string{"NumericLessThan", "NumericGreaterThan", "NumericEquals"}, "aws:EpochTime", []string{"1767225600", "1800000000"}, false},
	{[]string{"Bool"}, "aws:MultiFactorAuthPresent", []string{"true", "false"}, false},
	{[]string{"Bool"}, "aws:SecureTransport", []string{"true", "false"}, false},
	{[]string{"IpAddress", "NotIpAddress"}, "aws:SourceIp", []string{"10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "203.0.113.7", "8.0.0.0/8"}, false},
	{[]string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}, "aws:PrincipalArn", []string{"arn:aws:iam::" + acct + ":user/*", "arn:aws:iam::*:role/Dev", "arn:aws:iam::" + acct + ":user/alice", "arn:aws:iam::" + otherAcct + ":*", "arn:aws:iam::" + acct + ":role/?ev"}, false},
	{[]string{"StringEquals", "StringLike"}, "aws:PrincipalAccount", []string{acct, otherAcct, "1111*"}, false},
	{[]string{"Null"}, "aws:MultiFactorAuthAge", []string{"true", "false"}, false},
	{[]string{"Null"}, "aws:PrincipalTag/team", []string{"true", "false"}, false},
	{[]string{"Null"}, "aws:TagKeys", []string{"true", "false"}, false},
}

func (g *gen) condition() obj {
	c := obj{}
	n := 1 + g.r.IntN(2)
	for i := 0; i < n; i++ {
		t := condTemplates[g.r.IntN(len(condTemplates))]
		op := g.pick(t.ops...)
		if op != "Null" && g.chance(0.2) {
			op += "IfExists"
		}
		if t.set && g.chance(0.6) {
			op = g.pick("ForAllValues:", "ForAnyValue:") + op
		}
		var val any
		if op == "Null" || op == "Bool" || op == "BoolIfExists" || !g.chance(0.35) {
			val = g.pick(t.values...)
		} else {
			val = []string{g.pick(t.values...), g.pick(t.values...)}
		}
		blk, _ := c[op].(obj)
		if blk == nil {
			blk = obj{}
			c[op] = blk
		}
		blk[t.key] = val
	}
	return c
}

func (g *gen) identityStatement(i int) obj {
	service := g.pick("iam", "s3")
	if g.reqAction != "" && g.chance(0.35) {
		// Aim at the request, so that allows and explicit denies are
		// common enough to test the decision logic.
		s := obj{"Effect": "Allow", "Action": g.aimedAction(), "Resource": g.aimedResource()}
		if g.chance(0.12) {
			s["Effect"] = "Deny"
		}
		if g.chance(0.4) {
			s["Condition"] = g.condition()
		}
		return s
	}
	s := obj{"Effect": "Allow"}
	if g.chance(0.25) {
		s["Effect"] = "Deny"
	}
	if g.chance(0.4) {
		s["Sid"] = "S" + string(rune('A'+i))
	}
	if g.chance(0.12) {
		s["NotAction"] = g.actionPattern(service)
	} else {
		s["Action"] = g.actionPattern(service)
	}
	if g.chance(0.1) {
		s["NotResource"] = g.resourcePattern(service)
	} else {
		s["Resource"] = g.resourcePattern(service)
	}
	if g.chance(0.45) {
		s["Condition"] = g.condition()
	}
	return s
}

// aimedAction returns a pattern that matches the request's action.
func (g *gen) aimedAction() any {
	a := g.reqAction
	vendor, name, _ := strings.Cut(a, ":")
	switch g.r.IntN(5) {
	case 0:
		return a
	case 1:
		return strings.ToUpper(vendor) + ":" + strings.ToLower(name)
	case 2:
		return vendor + ":*"
	case 3:
		return vendor + ":" + name[:2] + "*"
	}
	return []string{vendor + ":?" + name[1:], g.pick("iam:GetUser", "s3:ListBucket")}
}

// aimedResource returns a pattern that matches the request's resource,
// or nearly.
func (g *gen) aimedResource() any {
	r := g.reqResource
	switch g.r.IntN(5) {
	case 0:
		return r
	case 1:
		return "*"
	case 2:
		if i := strings.LastIndexByte(r, '/'); i > 0 {
			return r[:i+1] + "*"
		}
		return r + "*"
	case 3:
		return strings.Replace(r, "alice", "${aws:username}", 1)
	}
	return []string{r[:len(r)-1] + "?", "arn:aws:s3:::nothing"}
}

func (g *gen) identityDoc() (int, json.RawMessage) {
	n := 1 + g.r.IntN(4)
	st := make([]obj, n)
	for i := range st {
		st[i] = g.identityStatement(i)
	}
	return g.doc(st)
}

func (g *gen) awsPrincipal() any {
	switch g.r.IntN(11) {
	case 0:
		return "*"
	case 1:
		return obj{"AWS": acct}
	case 2:
		return obj{"AWS": "arn:aws:iam::" + acct + ":root"}
	case 3:
		return obj{"AWS": "arn:aws:iam::" + acct + ":user/alice"}
	case 4:
		return obj{"AWS": otherAcct}
	case 5:
		return obj{"AWS": "arn:aws:iam::" + otherAcct + ":user/bob"}
	case 6:
		return obj{"AWS": "arn:aws:iam::" + acct + ":role/Dev"}
	case 7:
		return obj{"AWS": "arn:aws:sts::" + acct + ":assumed-role/Dev/sess"}
	case 8:
		return obj{"AWS": []string{"arn:aws:iam::" + acct + ":user/bob", "arn:aws:iam::" + otherAcct + ":root"}}
	case 9:
		if g.chance(0.5) {
			return obj{"AWS": "arn:aws:sts::" + acct + ":federated-user/fed"}
		}
	}
	return obj{"AWS": "*"}
}

func (g *gen) bucketPolicy() (int, json.RawMessage) {
	n := 1 + g.r.IntN(3)
	st := make([]obj, n)
	for i := range st {
		s := obj{"Effect": "Allow", "Action": g.actionPattern("s3"), "Resource": g.resourcePattern("s3")}
		if g.chance(0.25) {
			s["Effect"] = "Deny"
		}
		if s["Effect"] == "Deny" && g.chance(0.2) {
			s["NotPrincipal"] = obj{"AWS": g.pick("arn:aws:iam::"+acct+":user/alice", "arn:aws:iam::"+otherAcct+":user/bob")}
		} else {
			s["Principal"] = g.awsPrincipal()
		}
		if g.chance(0.3) {
			s["Condition"] = g.condition()
		}
		st[i] = s
	}
	return g.doc(st)
}

func (g *gen) trustPolicy() (int, json.RawMessage) {
	n := 1 + g.r.IntN(2)
	st := make([]obj, n)
	for i := range st {
		s := obj{"Effect": "Allow", "Principal": g.awsPrincipal(), "Action": g.pick("sts:AssumeRole", "sts:*", "sts:Assume*", "sts:AssumeRoleWithSAML")}
		if g.chance(0.15) {
			s["Effect"] = "Deny"
		}
		if g.chance(0.3) {
			s["Condition"] = g.condition()
		}
		st[i] = s
	}
	return g.doc(st)
}

type principal struct {
	arn, role, account, name string
}

func (g *gen) context(p principal) map[string][]string {
	c := map[string][]string{}
	put := func(k string, p float64, vals ...string) {
		if g.chance(p) {
			c[k] = []string{g.pick(vals...)}
		}
	}
	if p.name != "" {
		put("aws:username", 0.85, p.name)
	}
	put("aws:PrincipalTag/team", 0.6, "dev", "ops", "Dev", "alice")
	put("aws:RequestedRegion", 0.6, "us-east-1", "eu-west-1")
	put("aws:UserAgent", 0.5, "aws-cli/2.15.0", "Boto3/1.26.0")
	if g.chance(0.5) {
		all := []string{"team", "cost", "env"}
		k := g.r.IntN(4)
		g.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		c["aws:TagKeys"] = append([]string{}, all[:k]...)
		if k == 0 {
			delete(c, "aws:TagKeys")
		}
	}
	put("aws:RequestTag/team", 0.4, "dev", "ops")
	put("aws:MultiFactorAuthAge", 0.4, "30", "7200", "3600")
	put("aws:MultiFactorAuthPresent", 0.6, "true", "false")
	put("aws:SecureTransport", 0.8, "true", "false")
	put("aws:CurrentTime", 0.85, "2026-11-26T11:00:00Z", "2025-03-01T00:00:00Z", "2027-12-01T00:00:00Z")
	put("aws:EpochTime", 0.5, "1764154800", "1800000001")
	put("aws:TokenIssueTime", 0.4, "2026-11-26T10:30:00Z", "2026-11-26T09:00:00Z")
	put("aws:SourceIp", 0.8, "10.1.2.3", "192.168.1.20", "8.8.8.8", "2001:db8::5", "203.0.113.7")
	put("aws:PrincipalArn", 0.8, firstNonEmpty(p.role, p.arn))
	put("aws:PrincipalAccount", 0.7, p.account)
	return c
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	alice   = principal{arn: "arn:aws:iam::" + acct + ":user/alice", account: acct, name: "alice"}
	session = principal{arn: "arn:aws:sts::" + acct + ":assumed-role/Dev/sess", role: "arn:aws:iam::" + acct + ":role/Dev", account: acct}
	bob     = principal{arn: "arn:aws:iam::" + otherAcct + ":user/bob", account: otherAcct, name: "bob"}
	root    = principal{arn: "arn:aws:iam::" + acct + ":root", account: acct}
	fed     = principal{arn: "arn:aws:sts::" + acct + ":federated-user/fed", account: acct}
)

// caseN generates case i.
func (g *gen) caseN(i int) (Case, oracleIn) {
	c := Case{ID: i, Boundary: -1, Session: -1, Resource: -1}
	var in oracleIn
	p := alice
	scenario := g.r.IntN(10)
	switch {
	case scenario < 4: // user, identity policies, maybe a boundary
		// The root user is not generated: the oracle gives it no
		// implicit access (see testdata/oracle/exceptions.json).
	case scenario < 6: // role session or federated user, maybe a session policy
		p = session
		if g.chance(0.2) {
			p = fed
		}
	case scenario < 8: // resource-based (bucket) policy, same or cross account
		p = g.pickPrincipal(alice, session, bob, fed)
	default: // trust policy
		p = g.pickPrincipal(alice, session, bob)
	}
	c.Principal, c.RoleARN = p.arn, p.role
	if scenario >= 8 {
		c.Action = "sts:AssumeRole"
		c.ResourceARN = g.pick(roleARNs...)
		c.ResourceAccount = acct
	} else {
		c.Action, c.ResourceARN = g.request()
		if scenario >= 6 {
			for strings.HasPrefix(c.Action, "iam:") {
				c.Action, c.ResourceARN = g.request()
			}
		}
		c.ResourceAccount = acct
		if strings.HasPrefix(c.ResourceARN, "arn:aws:s3") && scenario < 6 {
			c.ResourceAccount = p.account
		}
	}
	in.Action, in.Resource, in.ResourceAccount, in.Principal = c.Action, c.ResourceARN, c.ResourceAccount, p.arn
	g.reqAction, g.reqResource = c.Action, c.ResourceARN
	nid := g.r.IntN(4)
	if scenario < 6 && nid == 0 {
		nid = 1
	}
	for k := 0; k < nid; k++ {
		idx, raw := g.identityDoc()
		c.Identity = append(c.Identity, idx)
		in.IdentityPolicies = append(in.IdentityPolicies, raw)
	}
	if scenario >= 8 && g.chance(0.5) {
		idx, raw := g.doc([]obj{{"Effect": "Allow", "Action": g.pick("sts:AssumeRole", "sts:*", "*"), "Resource": g.pick("*", "arn:aws:iam::"+acct+":role/*", "arn:aws:iam::"+acct+":role/Dev")}})
		c.Identity = append(c.Identity, idx)
		in.IdentityPolicies = append(in.IdentityPolicies, raw)
	}
	if in.IdentityPolicies == nil {
		in.IdentityPolicies = []json.RawMessage{}
	}
	if g.chance(0.3) {
		idx, raw := g.identityDoc()
		c.Boundary = idx
		in.PermissionBoundaries = []json.RawMessage{raw}
	}
	if p == root {
		// the root user has no identity policies or boundary
		c.Identity, in.IdentityPolicies, c.Boundary, in.PermissionBoundaries = nil, []json.RawMessage{}, -1, nil
	}
	if (p.role != "" && g.chance(0.4)) || (p == fed && g.chance(0.8)) {
		idx, raw := g.identityDoc()
		c.Session = idx
		in.SessionPolicy = raw
	}
	switch {
	case scenario >= 8:
		idx, raw := g.trustPolicy()
		c.Resource, c.Trust = idx, true
		in.ResourcePolicy = raw
	case scenario >= 6:
		idx, raw := g.bucketPolicy()
		c.Resource = idx
		in.ResourcePolicy = raw
	}
	c.Context = g.context(p)
	in.Context = c.Context
	return c, in
}

func (g *gen) pickPrincipal(ps ...principal) principal { return ps[g.r.IntN(len(ps))] }
