package iam

import (
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/store"
)

// Tag is an IAM tag as the API shapes it.
type Tag struct {
	Key   string
	Value string
}

// TagList is an optional list of tags in a result: left out when empty, as
// AWS does (a `xml:"Tags>member,omitempty"` tag would still write an empty
// <Tags></Tags>, which clients show as "Tags": []).
type TagList []Tag

// MarshalXML writes the tags as <member> elements of start.
func (l TagList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Member []Tag `xml:"member"`
	}{l}, start)
}

// AttachedPermissionsBoundary is a user's or role's boundary.
type AttachedPermissionsBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// AttachedPolicy names a managed policy attached to an entity.
type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

// Paging is the part of every List result that pages.
type Paging struct {
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

// arn builds an IAM ARN of the account: kind is "user", "group", "role",
// "policy"; path is "/" or "/a/b/".
func (s *Service) arn(kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + s.account + ":" + kind + path + name
}

func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// listOptions turns Marker/MaxItems/PathPrefix into store options.
func listOptions(marker string, maxItems *int32, pathPrefix string) store.ListOptions {
	limit := DefaultMaxItems
	if maxItems != nil && *maxItems > 0 {
		limit = int(*maxItems)
	}
	return store.ListOptions{Marker: marker, Limit: limit, PathPrefix: pathPrefix}
}

func paging(next string) Paging { return Paging{IsTruncated: next != "", Marker: next} }

// pageSlice pages an in-memory, ordered list by index markers.
func pageSlice[T any](items []T, marker string, maxItems *int32) ([]T, Paging, error) {
	opt := listOptions(marker, maxItems, "")
	start := 0
	if marker != "" {
		n, err := parseIndexMarker(marker)
		if err != nil || n > len(items) {
			return nil, Paging{}, awserr.Errorf(awserr.InvalidInput, "Invalid Marker.")
		}
		start = n
	}
	end := min(start+opt.Limit, len(items))
	var p Paging
	if end < len(items) {
		p = Paging{IsTruncated: true, Marker: indexMarker(end)}
	}
	return items[start:end], p, nil
}

// pageByKey pages an in-memory list by the key of its last item, so paging
// stays stable under concurrent writes: an item that exists for the whole
// paging is returned exactly once. items are sorted by key first.
func pageByKey[T any](items []T, key func(T) string, marker string, maxItems *int32) ([]T, Paging) {
	opt := listOptions(marker, maxItems, "")
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if marker != "" {
		start, _ = slices.BinarySearchFunc(items, marker, func(it T, m string) int {
			if key(it) <= m {
				return -1
			}
			return 1
		})
	}
	end := min(start+opt.Limit, len(items))
	page := items[start:end]
	if end < len(items) {
		return page, Paging{IsTruncated: true, Marker: key(page[len(page)-1])}
	}
	return page, Paging{}
}

func indexMarker(n int) string {
	return "i" + itoa(n)
}

func parseIndexMarker(m string) (int, error) {
	if !strings.HasPrefix(m, "i") || len(m) < 2 || len(m) > 10 {
		return 0, errors.New("bad marker")
	}
	n := 0
	for _, c := range m[1:] {
		if c < '0' || c > '9' {
			return 0, errors.New("bad marker")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// isNotFound reports a store.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func noSuchUser(name string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "The group with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "The role with name %s cannot be found.", name)
}

// deleteConflict maps a store refusal to AWS's DeleteConflict message.
func deleteConflict(err error) (error, bool) {
	de, ok := errors.AsType[*store.DependentsError](err)
	if !ok {
		return nil, false
	}
	var msg string
	switch de.Dependent {
	case store.DepAccessKeys:
		msg = "Cannot delete entity, must delete access keys first."
	case store.DepInlinePolicies:
		msg = "Cannot delete entity, must delete policies first."
	case store.DepAttachedPolicies:
		msg = "Cannot delete entity, must detach all policies first."
	case store.DepGroupMemberships, store.DepGroupMembers:
		msg = "Cannot delete entity, must remove users from group first."
	case store.DepLoginProfile:
		msg = "Cannot delete entity, must delete login profile first."
	case store.DepMFADevices:
		msg = "Cannot delete entity, must delete MFA device first."
	case store.DepPolicyAttachments, store.DepBoundaryUses:
		msg = "Cannot delete a policy attached to entities."
	case store.DepPolicyVersions:
		msg = "This policy has more than one version. Before you delete a policy, you must delete the policy's non-default versions."
	case store.DepDefaultVersion:
		msg = "Cannot delete the default version of a policy."
	default:
		msg = "Cannot delete entity, must remove referenced objects first."
	}
	return awserr.Errorf(awserr.DeleteConflict, "%s", msg).WithCause(err), true
}

// tagsIn converts and checks request tags: no duplicate keys (IAM compares
// them case-insensitively).
func tagsIn(tags []Tag) ([]store.Tag, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	seen := make(map[string]bool, len(tags))
	out := make([]store.Tag, 0, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return nil, awserr.Errorf(awserr.InvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		out = append(out, store.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}

func tagsOut(tags []store.Tag) TagList {
	if len(tags) == 0 {
		return nil
	}
	out := make(TagList, len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// mergeTags adds or replaces tags (keys compare case-insensitively) and
// enforces TagsPerEntity.
func mergeTags(have, add []store.Tag, kind string) ([]store.Tag, error) {
	out := append([]store.Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > TagsPerEntity {
		return nil, awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for TagsPer%s: %d", kind, TagsPerEntity)
	}
	return out, nil
}

// removeTags drops the tags with the given keys (case-insensitively).
func removeTags(have []store.Tag, keys []string) []store.Tag {
	var out []store.Tag
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// ListTagsOutput is the result of ListUserTags, ListRoleTags.
type ListTagsOutput struct {
	Tags []Tag `xml:"Tags>member"`
	Paging
}

func listTags(tags []store.Tag, marker string, maxItems *int32) (*ListTagsOutput, error) {
	page, p, err := pageSlice(tagsOut(tags), marker, maxItems)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []Tag{}
	}
	return &ListTagsOutput{Tags: page, Paging: p}, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func boundaryOut(arn string) *AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &AttachedPermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}
