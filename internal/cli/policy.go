package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/castellan-sts/castellan/internal/client"
	"github.com/castellan-sts/castellan/policy"
)

func newPolicyCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with IAM policy documents",
	}
	cmd.AddCommand(newPolicyExplainCmd(streams))
	return cmd
}

// policyExplainFlags are the flags of `castellan policy explain`.
type policyExplainFlags struct {
	client clientFlags
	output string

	message string

	policies  []string
	boundary  string
	sessions  []string
	resPolicy string
	action    string
	resource  string
	principal string
	context   []string
}

func newPolicyExplainCmd(streams IO) *cobra.Command {
	var f policyExplainFlags
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Explain an authorization decision: decode a denial, or evaluate policies offline",
		Long: `Explain says which statement allowed or denied a request and which condition keys
the policies asked for that the request did not have.

With --message, it decodes the encoded authorization message a denial carried
(the X-Castellan-Authorization-Message header) through STS
DecodeAuthorizationMessage on a running server, with the usual credential chain
(--profile, environment, shared files); the caller needs
sts:DecodeAuthorizationMessage.

Without --message it evaluates offline, with the same engine the server uses:
identity policies (--policy, repeatable), a permissions boundary (--boundary),
session policies (--session, repeatable) and a resource-based policy
(--resource-policy), for one --action on one --resource with the condition keys
given by --context key=value (repeat a key for several values).`,
		Example: `  castellan policy explain --message "$MSG" --profile admin --endpoint-url https://sts.example.com
  castellan policy explain --policy admin.json --boundary boundary.json \
      --action iam:CreateUser --resource arn:aws:iam::123456789012:user/alice \
      --context aws:MultiFactorAuthPresent=true --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd, streams.Getenv); err != nil {
				return err
			}
			if err := checkOutput(f.output); err != nil {
				return err
			}
			if cmd.Flags().Changed("message") {
				if len(f.policies)+len(f.sessions) > 0 || f.boundary != "" || f.resPolicy != "" {
					return errors.New("--message decodes a server's explanation; it does not take policy files")
				}
				return explainMessage(cmd, streams, &f)
			}
			return explainOffline(streams, &f)
		},
	}
	fl := cmd.Flags()
	f.client.bind(cmd, "to call DecodeAuthorizationMessage")
	fl.StringVar(&f.output, "output", "text", "text or json")
	fl.StringVar(&f.message, "message", "", "encoded authorization message to decode (\"-\": read it from stdin)")
	fl.StringArrayVar(&f.policies, "policy", nil, "identity-based policy file (repeatable)")
	fl.StringVar(&f.boundary, "boundary", "", "permissions boundary policy file")
	fl.StringArrayVar(&f.sessions, "session", nil, "session policy file (repeatable)")
	fl.StringVar(&f.resPolicy, "resource-policy", "", "resource-based policy file (needs --principal)")
	fl.StringVar(&f.action, "action", "", "action to evaluate, e.g. iam:CreateUser")
	fl.StringVar(&f.resource, "resource", "*", "resource ARN")
	fl.StringVar(&f.principal, "principal", "", "caller ARN: matched by a resource policy's Principal; sets aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and a user's aws:username unless --context does")
	fl.StringArrayVar(&f.context, "context", nil, "condition key=value (repeatable; repeat a key for several values)")
	return cmd
}

// explainMessage decodes an encoded authorization message on the server.
func explainMessage(cmd *cobra.Command, streams IO, f *policyExplainFlags) error {
	encoded := strings.TrimSpace(f.message)
	if encoded == "-" {
		b, err := io.ReadAll(io.LimitReader(streams.Stdin, 1<<20))
		if err != nil {
			return err
		}
		encoded = strings.TrimSpace(string(b))
	}
	if encoded == "" {
		return errors.New("--message is empty")
	}
	ctx := cmd.Context()
	cfg, err := client.LoadConfig(ctx, f.client.options())
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = client.DefaultRegion
	}
	out, err := sts.NewFromConfig(cfg).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if err != nil {
		return fmt.Errorf("DecodeAuthorizationMessage: %w", err)
	}
	decoded := aws.ToString(out.DecodedMessage)
	var msg decodedMessage
	if err := json.Unmarshal([]byte(decoded), &msg); err != nil {
		return fmt.Errorf("the decoded message is not Castellan's JSON: %w", err)
	}
	if f.output == "json" {
		// The server's document as it is, indented.
		var v any
		_ = json.Unmarshal([]byte(decoded), &v)
		return writeJSON(streams.Stdout, v)
	}
	return msg.writeText(streams.Stdout)
}

// decodedMessage is the JSON a Castellan denial's encoded message carries
// (internal/authz.Message).
type decodedMessage struct {
	Allowed      bool                `json:"allowed"`
	ExplicitDeny bool                `json:"explicitDeny"`
	Explanation  *policy.Explanation `json:"matchedStatements"`
	Failures     []string            `json:"failures"`
	Context      struct {
		Principal struct {
			ID  string `json:"id"`
			ARN string `json:"arn"`
		} `json:"principal"`
		Action     string              `json:"action"`
		Resource   string              `json:"resource"`
		Conditions map[string][]string `json:"conditions"`
	} `json:"context"`
	// Policies names the policies the indexes refer to, when the server
	// could (IAM simulator names: user_NAME_POLICY, a managed policy's name).
	Policies *struct {
		Identity []string `json:"identity"`
		Boundary string   `json:"boundary"`
	} `json:"policies"`
}

// policyName is the name of the policy a statement is in, or "".
func (m *decodedMessage) policyName(r policy.StatementRef) string {
	if m.Policies == nil {
		return ""
	}
	switch r.Type {
	case policy.IdentityBased:
		if r.Policy < len(m.Policies.Identity) {
			return m.Policies.Identity[r.Policy]
		}
	case policy.PermissionsBoundary:
		return m.Policies.Boundary
	}
	return ""
}

func (m *decodedMessage) writeText(w io.Writer) error {
	c := m.Context
	fmt.Fprintf(w, "Principal:  %s (%s)\n", c.Principal.ARN, c.Principal.ID)
	fmt.Fprintf(w, "Action:     %s\n", c.Action)
	fmt.Fprintf(w, "Resource:   %s\n", c.Resource)
	x := m.Explanation
	if x == nil {
		x = &policy.Explanation{Decision: "implicitDeny"}
		if m.Allowed {
			x.Decision = "allowed"
		} else if m.ExplicitDeny {
			x.Decision = "explicitDeny"
		}
	}
	writeExplanation(w, x, func(r policy.StatementRef) string { return describeRef(r, m.policyName(r)) })
	for _, f := range m.Failures {
		fmt.Fprintf(w, "Failure:    %s\n", f)
	}
	if len(c.Conditions) > 0 {
		fmt.Fprintln(w, "Request context:")
		keys := make([]string, 0, len(c.Conditions))
		for k := range c.Conditions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s = %s\n", k, strings.Join(c.Conditions[k], ", "))
		}
	}
	return nil
}

// writeExplanation prints the decision, the decisive statement, the
// statements that applied and the missing keys; name describes a statement.
func writeExplanation(w io.Writer, x *policy.Explanation, name func(policy.StatementRef) string) {
	decision := x.Decision
	if x.DecidedBy != "" {
		switch x.Decision {
		case "allowed":
			decision += " by " + article(x.DecidedBy)
		case "explicitDeny":
			decision += " in " + article(x.DecidedBy)
		default:
			decision += ": no " + x.DecidedBy + " allows it"
		}
	}
	fmt.Fprintf(w, "Decision:   %s\n", decision)
	if d := x.Decisive; d != nil {
		d.StatementRef.Type = policyTypeOf(d.PolicyType)
		fmt.Fprintf(w, "Decided by: %s %s\n", d.Effect, name(d.StatementRef))
	}
	if len(x.Matched) > 0 {
		fmt.Fprintln(w, "Statements that applied:")
		for _, m := range x.Matched {
			m.StatementRef.Type = policyTypeOf(m.PolicyType)
			fmt.Fprintf(w, "  %-5s %s\n", m.Effect, name(m.StatementRef))
		}
	} else {
		fmt.Fprintln(w, "Statements that applied: none")
	}
	if len(x.MissingContextKeys) > 0 {
		fmt.Fprintf(w, "Missing context keys: %s\n", strings.Join(x.MissingContextKeys, ", "))
	}
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// policyTypeOf maps PolicyType.String() back (StatementRef.Type is not
// part of the JSON form).
func policyTypeOf(s string) policy.PolicyType {
	for t := policy.IdentityBased; t <= policy.SessionPolicy; t++ {
		if t.String() == s {
			return t
		}
	}
	return policy.NoPolicy
}

// describeRef names a statement by its policy type, policy number and Sid;
// file, when known, names the policy (its file, or its IAM name).
func describeRef(r policy.StatementRef, file string) string {
	var b strings.Builder
	b.WriteString(r.Type.String())
	if file != "" {
		fmt.Fprintf(&b, " %s", file)
	} else if r.Type == policy.IdentityBased || r.Type == policy.SessionPolicy {
		fmt.Fprintf(&b, " #%d", r.Policy+1)
	}
	fmt.Fprintf(&b, ", statement %d", r.Statement+1)
	if r.Sid != "" {
		fmt.Fprintf(&b, " (Sid %q)", r.Sid)
	}
	return b.String()
}

// principalContext fills the condition keys a caller's ARN determines
// (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and, for an
// IAM user, aws:username), unless --context gave them.
func principalContext(ctx policy.ContextMap, arn string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return
	}
	set := func(k, v string) {
		if _, ok := ctx.Values(strings.ToLower(k)); !ok && v != "" {
			ctx.Set(k, v)
		}
	}
	res := parts[5]
	typ := ""
	switch {
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		typ = policy.PrincipalTypeUser
		set(policy.KeyUsername, res[strings.LastIndexByte(res, '/')+1:])
	case parts[2] == "iam" && res == "root":
		typ = policy.PrincipalTypeAccount
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		typ = policy.PrincipalTypeAssumedRole
	case parts[2] == "sts" && strings.HasPrefix(res, "federated-user/"):
		typ = policy.PrincipalTypeFederatedUser
	}
	set(policy.KeyPrincipalArn, arn)
	set(policy.KeyPrincipalAccount, parts[4])
	set(policy.KeyPrincipalType, typ)
}

// offlinePolicy is a policy file and its compiled document.
type offlinePolicy struct {
	file string
	p    *policy.Policy
}

func loadPolicyFile(file string, kind policy.Kind) (offlinePolicy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return offlinePolicy{}, err
	}
	p, err := policy.Parse(string(b), kind)
	if err != nil {
		return offlinePolicy{}, fmt.Errorf("%s: %w", file, err)
	}
	return offlinePolicy{file: file, p: p}, nil
}

// offlineResult is the JSON form of an offline explanation.
type offlineResult struct {
	Decision             string             `json:"decision"`
	DecidedBy            string             `json:"decidedBy,omitempty"`
	AccessDeniedMessage  string             `json:"accessDeniedMessage,omitempty"`
	Decisive             *offlineStatement  `json:"decisiveStatement,omitempty"`
	Matched              []offlineStatement `json:"matchedStatements"`
	MissingContextValues []string           `json:"missingContextValues"`
}

type offlineStatement struct {
	PolicyType     string          `json:"policyType"`
	File           string          `json:"file"`
	StatementIndex int             `json:"statementIndex"`
	Sid            string          `json:"sid,omitempty"`
	Effect         string          `json:"effect"`
	Start          policy.Position `json:"startPosition"`
	End            policy.Position `json:"endPosition"`
}

func explainOffline(streams IO, f *policyExplainFlags) error {
	if f.action == "" {
		return errors.New("--action is required (or --message to decode a server's explanation)")
	}
	if len(f.policies) == 0 && f.resPolicy == "" {
		return errors.New("give at least one --policy (or --resource-policy)")
	}
	if f.resPolicy != "" && f.principal == "" {
		return errors.New("--resource-policy needs --principal, the caller its Principal element is matched against")
	}
	var identity, sessions []offlinePolicy
	var boundary, resource *offlinePolicy
	in := &policy.Input{}
	for _, file := range f.policies {
		p, err := loadPolicyFile(file, policy.InlineUser)
		if err != nil {
			return err
		}
		identity = append(identity, p)
		in.Identity = append(in.Identity, p.p)
	}
	if f.boundary != "" {
		p, err := loadPolicyFile(f.boundary, policy.Boundary)
		if err != nil {
			return err
		}
		boundary, in.Boundary = &p, p.p
	}
	for _, file := range f.sessions {
		p, err := loadPolicyFile(file, policy.Session)
		if err != nil {
			return err
		}
		sessions = append(sessions, p)
		in.Session = append(in.Session, p.p)
	}
	if f.resPolicy != "" {
		p, err := loadPolicyFile(f.resPolicy, policy.Resource)
		if err != nil {
			return err
		}
		resource, in.Resource = &p, p.p
	}
	ctx := policy.ContextMap{}
	for _, kv := range f.context {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--context %q: want key=value", kv)
		}
		vals, _ := ctx.Values(strings.ToLower(k))
		ctx.Set(k, append(vals, v)...)
	}
	principalContext(ctx, f.principal)
	req := &policy.Request{Principal: policy.Principal{ARN: f.principal}, Action: f.action, Resource: f.resource, Context: ctx}
	res, x := policy.Explain(req, in)

	source := func(r policy.StatementRef) *offlinePolicy {
		switch r.Type {
		case policy.IdentityBased:
			if r.Policy < len(identity) {
				return &identity[r.Policy]
			}
		case policy.SessionPolicy:
			if r.Policy < len(sessions) {
				return &sessions[r.Policy]
			}
		case policy.PermissionsBoundary:
			return boundary
		case policy.ResourceBased:
			return resource
		}
		return nil
	}
	stmt := func(m policy.MatchedStatement) offlineStatement {
		m.StatementRef.Type = policyTypeOf(m.PolicyType)
		s := offlineStatement{PolicyType: m.PolicyType, StatementIndex: m.Statement, Sid: m.Sid, Effect: m.Effect}
		if src := source(m.StatementRef); src != nil {
			s.File = src.file
			s.Start, s.End = src.p.StatementPosition(m.Statement)
		}
		return s
	}
	out := offlineResult{Decision: x.Decision, DecidedBy: x.DecidedBy, Matched: []offlineStatement{}, MissingContextValues: x.MissingContextKeys}
	if !res.Allowed() {
		principal := f.principal
		if principal == "" {
			principal = "<caller>" // not "anonymous": the caller is just not named
		}
		out.AccessDeniedMessage = policy.AccessDeniedMessage(principal, f.action, f.resource, res)
	}
	if x.Decisive != nil {
		d := stmt(*x.Decisive)
		out.Decisive = &d
	}
	for _, m := range x.Matched {
		out.Matched = append(out.Matched, stmt(m))
	}
	if f.output == "json" {
		return writeJSON(streams.Stdout, out)
	}
	w := streams.Stdout
	fmt.Fprintf(w, "Action:     %s\n", f.action)
	fmt.Fprintf(w, "Resource:   %s\n", f.resource)
	writeExplanation(w, x, func(r policy.StatementRef) string {
		src := source(r)
		if src == nil {
			return describeRef(r, "")
		}
		start, end := src.p.StatementPosition(r.Statement)
		return fmt.Sprintf("%s (lines %d:%d-%d:%d)", describeRef(r, src.file), start.Line, start.Column, end.Line, end.Column)
	})
	if out.AccessDeniedMessage != "" {
		fmt.Fprintf(w, "AWS would answer: AccessDenied: %s\n", out.AccessDeniedMessage)
	}
	return nil
}
