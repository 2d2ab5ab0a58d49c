package authn

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// slowKeys is a KeyReader whose first GetAccessKey waits for a signal, so
// a test can change the key while that read is in flight.
type slowKeys struct {
	status  atomic.Value // store.AccessKeyStatus
	reads   atomic.Int32
	reading chan struct{}
	release chan struct{}
}

func (k *slowKeys) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	status := k.status.Load().(store.AccessKeyStatus) // read "before the change"
	if k.reads.Add(1) == 1 {
		close(k.reading)
		<-k.release
	}
	return store.AccessKey{AccountID: "123456789012", ID: id, Secret: secret.New("s"), Status: status}, nil
}

func (k *slowKeys) GetUserByID(ctx context.Context, accountID, id string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}

// TestInvalidateDuringLoad: a key read before an invalidation (another
// node deactivated it while this node was loading it) is not cached, so
// the next request reads the change.
func TestInvalidateDuringLoad(t *testing.T) {
	keys := &slowKeys{reading: make(chan struct{}), release: make(chan struct{})}
	keys.status.Store(store.KeyActive)
	s := NewSource(Config{Keys: keys})
	const id = "AKIAEXAMPLEEXAMPLE01"
	done := make(chan error)
	go func() {
		_, err := s.Credential(t.Context(), id, "")
		done <- err
	}()
	<-keys.reading
	keys.status.Store(store.KeyInactive) // the change commits…
	s.Invalidate(id)                     // …and its notification arrives
	close(keys.release)
	if err := <-done; err != nil {
		t.Fatalf("Credential during the change = %v, want the old verdict (nil)", err)
	}
	if _, err := s.Credential(t.Context(), id, ""); err == nil {
		t.Error("Credential after the invalidation = nil: the stale load was cached")
	}
}
