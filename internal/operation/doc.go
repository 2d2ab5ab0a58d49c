package operation

import (
	"fmt"
	"sort"
	"strings"
)

// Markdown renders the registry as docs/authorization.md: every operation
// with its action, resources and how each is found, condition keys,
// caller-type rules and flags. unsupported lists the condition keys of the
// Service Authorization Reference that cannot exist in Castellan.
func Markdown(unsupported map[string]string) string {
	var b strings.Builder
	b.WriteString(`# Authorization of every operation

<!-- Generated from internal/operation by ` + "`go test ./internal/operation -update`" + `; do not edit. -->

Castellan authorises each STS, IAM and CloudTrail operation from one registry
(` + "`internal/operation`" + `). For every operation it names the IAM action, the
resources the call is authorised on and where each comes from, the condition keys
the request sets (besides the global ` + "`aws:*`" + ` keys every request has), the
rules on the kind of caller AWS applies before any policy, and whether the call
only reads (CloudTrail's ` + "`readOnly`" + `), needs a tagging action too when it passes
tags, or issues credentials.

How resources are found:

- **stored** — the existing entity named by the member (a name, or an ARN), with its
  *stored* path and name; a path claimed anywhere in the request changes nothing.
  Its tags are ` + "`aws:ResourceTag/*`" + ` and ` + "`iam:ResourceTag/*`" + `. An entity that does not
  exist is authorised on the ARN the request names (path ` + "`/`" + `), then answers
  ` + "`NoSuchEntity`" + `.
- **created** — the entity the call creates, at the path and name the request gives.
- **renamed** — the entity after a rename or move: the new path and name, each
  defaulting to the stored entity's. The old ARN is authorised too.
- **list** — the kind's list resource (` + "`arn:aws:iam::ACCOUNT:user/`" + `).
- ` + "`*`" + ` — no resource-level permissions.
- *(caller)* — the member may be omitted; then the calling IAM user.

Members the botocore model does not define for an operation have no effect at all:
the edge hands the authorizer only the model's members.

` + "`iam:PermissionsBoundary`" + ` is the boundary the request sets (CreateUser,
CreateRole, Put*PermissionsBoundary) or else the target user's or role's current
boundary. ` + "`iam:PolicyARN`" + ` is the request's PolicyArn.

The root (with long-term keys) is allowed every operation except where a caller rule
says otherwise. GetSessionToken credentials without MFA cannot call IAM
(` + "`InvalidClientTokenId`" + `); on STS they may call only AssumeRole and
GetCallerIdentity. GetFederationToken credentials may call only GetCallerIdentity on
STS.

`)
	svc := ""
	for _, o := range All() {
		if o.Service != svc {
			svc = o.Service
			fmt.Fprintf(&b, "\n## %s\n\n", strings.ToUpper(svc[:1])+svc[1:])
			b.WriteString("| Operation | Action | Resources | Condition keys | Caller rules | Flags |\n|---|---|---|---|---|---|\n")
		}
		action := "—"
		if o.Action != "" {
			action = "`" + o.Action + "`"
			if o.SelfAuthorized {
				action += " (evaluated by STS with the trust policy)"
			}
		} else {
			action = "none needed"
		}
		var res []string
		for _, r := range o.Resources {
			res = append(res, describe(r))
		}
		var keys []string
		for _, k := range o.Keys {
			keys = append(keys, "`"+k+"`")
		}
		var flags []string
		if o.ReadOnly {
			flags = append(flags, "read-only")
		}
		if o.TagAction != "" {
			flags = append(flags, "with tags also `"+o.TagAction+"`")
		}
		if o.IssuesCredentials {
			flags = append(flags, "issues credentials")
		}
		if o.Unsigned {
			flags = append(flags, "unsigned")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", o.Name, action, orDash(strings.Join(res, "; ")),
			orDash(strings.Join(keys, ", ")), orDash(strings.Join(o.CallerRules(), "; ")), orDash(strings.Join(flags, "; ")))
	}
	b.WriteString("\nOperations of the models not listed here answer `NotImplemented` (501).\n")
	if len(unsupported) > 0 {
		b.WriteString("\n## Condition keys that cannot exist here\n\nThe Service Authorization Reference lists these keys for actions Castellan answers;\nCastellan never sets them, so a policy condition on them behaves as on an absent key.\n\n| Key | Why |\n|---|---|\n")
		for _, k := range sortedKeys(unsupported) {
			fmt.Fprintf(&b, "| `%s` | %s |\n", k, unsupported[k])
		}
	}
	return b.String()
}

func describe(r Resource) string {
	switch r.From {
	case Wildcard:
		return "`*`"
	case Listed:
		return string(r.Kind) + " list"
	case Created:
		if r.Path != "" {
			return fmt.Sprintf("%s created at %s + %s", r.Kind, r.Path, r.Name)
		}
		return fmt.Sprintf("%s created from %s", r.Kind, r.Name)
	case Renamed:
		return fmt.Sprintf("%s renamed to %s + %s", r.Kind, r.Path, r.Name)
	}
	s := fmt.Sprintf("%s stored, by %s", r.Kind, r.Name)
	if r.Name == "" {
		s = "the calling " + string(r.Kind)
	}
	switch r.Kind {
	case Principal:
		s = "user, group or role stored, by " + r.Name
	case AccessKey:
		s = "user stored, owner of " + r.Name
	}
	if r.DefaultCaller && r.Name != "" {
		s += " (caller)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
