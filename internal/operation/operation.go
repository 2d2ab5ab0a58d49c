// Package operation is the one registry of what every STS, IAM and
// CloudTrail operation Castellan answers means for authorisation: the IAM
// action, each resource and how it is found, the condition keys the request
// sets, which callers may call it at all, whether it only reads, which
// tagging action a create with tags also needs, and whether it issues
// credentials. The edge, the authorizer, the audit trail and the monitor
// read it; nothing else keeps a table of operations.
//
// Resources are always derived from stored state (the entity found by its
// name or ARN, with its real path) or, for creations and renames, from the
// target name and path the request names. A member the botocore model does
// not define for an operation is never consulted: the edge filters the
// request's parameters through the model before they reach the authorizer.
package operation

import (
	"sort"
	"strings"
)

// Kind is an IAM (or STS) resource type, as the ARN names it.
type Kind string

// Resource kinds.
const (
	Any             Kind = "*" // no resource-level permissions: "*"
	User            Kind = "user"
	Group           Kind = "group"
	Role            Kind = "role"
	Policy          Kind = "policy"
	MFA             Kind = "mfa"
	OIDCProvider    Kind = "oidc-provider"
	InstanceProfile Kind = "instance-profile"
	FederatedUser   Kind = "federated-user" // arn:aws:sts::ACCT:federated-user/NAME
	// Principal is a user, group or role named by its ARN (the simulator's
	// PolicySourceArn); its kind is the ARN's.
	Principal Kind = "principal"
	// AccessKey is the user owning the access key the member names
	// (GetAccessKeyLastUsed); the resource is that user.
	AccessKey Kind = "access-key"
)

// Source says where a resource's ARN comes from.
type Source int

// Resource sources.
const (
	// Stored: the existing entity named by the Name member (a friendly name
	// or, for ARN-named kinds, an ARN); the ARN is the stored one, with the
	// entity's real path and name. When the member is absent and
	// DefaultCaller is set, the calling IAM user.
	Stored Source = iota
	// Created: the entity the call creates, at the Path member (default
	// "/") with the Name member.
	Created
	// Renamed: the entity as it will be after the call: the Path member
	// (NewPath) and Name member (NewUserName …), each defaulting to the
	// stored entity's (the operation's first resource).
	Renamed
	// Listed: the kind's list resource, "arn:aws:iam::ACCT:user/" (what
	// AWS names in AccessDenied for ListUsers and friends).
	Listed
	// Wildcard: "*".
	Wildcard
)

// Resource is one resource an operation is authorised on. Every resource
// of an operation must be allowed.
type Resource struct {
	Kind Kind
	From Source
	// Name is the member holding the name (or ARN); Path the member
	// holding the path (Created, Renamed).
	Name, Path string
	// DefaultCaller: a Stored user whose Name member is absent is the
	// calling IAM user (GetUser, CreateAccessKey …).
	DefaultCaller bool
}

// CallerRule is a rule AWS applies to the caller before any policy.
type CallerRule int

// Caller rules.
const (
	// NoRoot: the account's root (with long-term or session credentials)
	// may not call the operation ("Roles may not be assumed by root
	// accounts.").
	NoRoot CallerRule = 1 << iota
	// NoSession: temporary credentials may not call it ("Cannot call X
	// with session credentials").
	NoSession
	// SessionTokenOK: credentials from GetSessionToken may call this STS
	// operation (they may call only these on STS).
	SessionTokenOK
	// FederatedOK: credentials from GetFederationToken may call this STS
	// operation (they may call only these on STS).
	FederatedOK
)

// Op is one operation's entry in the registry.
type Op struct {
	Service string // signing name: sts, iam, cloudtrail
	Name    string // AssumeRole
	// Action is the IAM action ("iam:CreateUser"); "" when the operation
	// needs no permission (GetCallerIdentity, GetSessionToken) or
	// authorises itself (AssumeRole*: trust and identity policies are
	// evaluated together by STS; AssumeRoleWithWebIdentity is unsigned).
	Action string
	// SelfAuthorized: the service evaluates Action itself (AssumeRole).
	SelfAuthorized bool
	Resources      []Resource
	// Keys are the service-specific condition keys the request sets, as
	// the Service Authorization Reference names them
	// ("aws:RequestTag/${TagKey}"); global keys are always set.
	Keys []string
	// Callers are the caller-type rules (bits of CallerRule).
	Callers CallerRule
	// ReadOnly is CloudTrail's readOnly classification.
	ReadOnly bool
	// TagAction is the action a create with Tags also needs ("iam:TagUser").
	TagAction string
	// IssuesCredentials: the result carries credentials (temporary keys, or
	// a long-term access key).
	IssuesCredentials bool
	// Unsigned: the operation authenticates by its own token.
	Unsigned bool
}

// Has reports whether the op has caller rule r.
func (o *Op) Has(r CallerRule) bool { return o.Callers&r != 0 }

// registry is built once from the tables; read only afterwards.
var registry = build()

func build() map[string]map[string]*Op {
	r := map[string]map[string]*Op{}
	for _, list := range [][]*Op{iamOps(), stsOps(), cloudTrailOps()} {
		for _, o := range list {
			if r[o.Service] == nil {
				r[o.Service] = map[string]*Op{}
			}
			if _, dup := r[o.Service][o.Name]; dup {
				panic("operation: duplicate entry " + o.Service + ":" + o.Name)
			}
			r[o.Service][o.Name] = o
		}
	}
	return r
}

// Lookup returns the entry of service's operation; nil when Castellan does
// not answer it (the edge then says NotImplemented).
func Lookup(service, name string) *Op { return registry[service][name] }

// All returns every entry, ordered by service and name.
func All() []*Op {
	var out []*Op
	for _, ops := range registry {
		for _, o := range ops {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ReadOnly classifies an operation name as CloudTrail's readOnly field
// does. Registered operations answer from their entry; other names (an
// unknown action in a refused request) by CloudTrail's naming rule.
func ReadOnly(name string) bool {
	for _, ops := range registry {
		if o, ok := ops[name]; ok {
			return o.ReadOnly
		}
	}
	return readOnlyByName(name)
}

// IssuesCredentials reports whether any service's operation of that name
// issues credentials.
func IssuesCredentials(name string) bool {
	for _, ops := range registry {
		if o, ok := ops[name]; ok && o.IssuesCredentials {
			return true
		}
	}
	return false
}

// readOnlyByName is CloudTrail's rule: reads are Get…, List…, Describe…,
// Lookup…, Decode… and Simulate…, except those that create something.
func readOnlyByName(name string) bool {
	switch name {
	case "GetSessionToken", "GetFederationToken", "GenerateCredentialReport", "GenerateServiceLastAccessedDetails":
		return false
	}
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Decode", "Simulate"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Entity is a stored IAM entity as the authorizer sees it.
type Entity struct {
	// ARN is the entity's real ARN (stored path and name).
	ARN        string
	Path, Name string
	// Tags become aws:ResourceTag/* and iam:ResourceTag/*.
	Tags map[string]string
	// Boundary is the ARN of a user's or role's permissions boundary.
	Boundary string
}
