package iam

import (
	"slices"
	"strings"
	"testing"
)

// TestPageByKey: paging by the last key returns every item that exists for
// the whole paging exactly once, whatever is added or removed meanwhile.
func TestPageByKey(t *testing.T) {
	id := func(s string) string { return s }
	items := []string{"e", "a", "c", "g", "b"}
	two := int32(2)
	var got []string
	page, p := pageByKey(slices.Clone(items), id, "", &two)
	got = append(got, page...)
	// Between pages: "a" (seen) is removed, "d" (ahead) and "0" (behind) added.
	items = []string{"e", "c", "g", "b", "d", "0"}
	for p.IsTruncated {
		page, p = pageByKey(slices.Clone(items), id, p.Marker, &two)
		got = append(got, page...)
	}
	if strings.Join(got, "") != "abcdeg" {
		t.Errorf("paged %v, want a b c d e g", got)
	}
	page, p = pageByKey([]string{"a"}, id, "", nil)
	if len(page) != 1 || p.IsTruncated || p.Marker != "" {
		t.Errorf("single page = %v, %+v", page, p)
	}
	page, _ = pageByKey([]string{"a", "b"}, id, "zzz", nil)
	if len(page) != 0 {
		t.Errorf("past the end = %v", page)
	}
}
