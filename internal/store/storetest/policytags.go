package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/castellan-sts/castellan/internal/store"
)

// testPolicyTags: UpdatePolicyTags stores what fn returns, keeps the
// policy's UpdateDate, leaves an aborted change unstored, and loses no tag
// under concurrent read-modify-write cycles.
func testPolicyTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAccount(t, s)
	p := mustPolicy(t, s, newPolicy("tagged", 1))
	got, err := s.UpdatePolicyTags(ctx, p.ARN, func(have []store.Tag) ([]store.Tag, error) {
		if len(have) != 0 {
			t.Errorf("tags of a new policy = %v", have)
		}
		return []store.Tag{{Key: "team", Value: "blue"}, {Key: "env", Value: ""}}, nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("UpdatePolicyTags = %v, %v", got, err)
	}
	back, err := s.GetPolicy(ctx, p.ARN)
	if err != nil || len(back.Tags) != 2 || back.Tags[0] != (store.Tag{Key: "team", Value: "blue"}) || back.Tags[1] != (store.Tag{Key: "env"}) {
		t.Errorf("GetPolicy after UpdatePolicyTags = %+v, %v", back.Tags, err)
	}
	if !back.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v (tagging is not an update of the policy)", back.UpdatedAt, p.UpdatedAt)
	}
	sentinel := errors.New("abort")
	_, err = s.UpdatePolicyTags(ctx, p.ARN, func([]store.Tag) ([]store.Tag, error) { return nil, sentinel })
	wantErr(t, "UpdatePolicyTags(fn fails)", err, sentinel)
	if back, _ := s.GetPolicy(ctx, p.ARN); len(back.Tags) != 2 {
		t.Errorf("aborted tag update was stored: %v", back.Tags)
	}
	_, err = s.UpdatePolicyTags(ctx, "arn:aws:iam::"+accountID+":policy/ghost", func(h []store.Tag) ([]store.Tag, error) { return h, nil })
	wantErr(t, "UpdatePolicyTags(ghost)", err, store.ErrNotFound)
	if _, err := s.UpdatePolicyTags(ctx, p.ARN, func([]store.Tag) ([]store.Tag, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if back, _ := s.GetPolicy(ctx, p.ARN); len(back.Tags) != 0 {
		t.Errorf("tags after clearing = %v", back.Tags)
	}

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := s.UpdatePolicyTags(t.Context(), p.ARN, func(have []store.Tag) ([]store.Tag, error) {
				return append(have, store.Tag{Key: fmt.Sprintf("k%d", i), Value: "v"}), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if back, err := s.GetPolicy(ctx, p.ARN); err != nil || len(back.Tags) != 20 {
		t.Errorf("tags after 20 concurrent updates = %d, %v; want 20", len(back.Tags), err)
	}
}
