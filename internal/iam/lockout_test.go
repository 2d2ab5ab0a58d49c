package iam

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

// recordingReporter keeps what an AbuseReporter hears.
type recordingReporter struct {
	mu                     sync.Mutex
	lockouts               []Lockout
	refused, hashThrottled int
}

func (r *recordingReporter) LockedOut(_ context.Context, l Lockout) {
	r.mu.Lock()
	r.lockouts = append(r.lockouts, l)
	r.mu.Unlock()
}

func (r *recordingReporter) RefusedLocked(string) { r.mu.Lock(); r.refused++; r.mu.Unlock() }
func (r *recordingReporter) HashThrottled()       { r.mu.Lock(); r.hashThrottled++; r.mu.Unlock() }

// newClockedService is newTestService with a settable clock and a
// reporter.
func newClockedService(t *testing.T, now *time.Time, rep AbuseReporter) *Service {
	t.Helper()
	box, err := secret.NewBox(make([]byte, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.MemoryPath, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(t.Context(), store.Account{ID: benchAccount, CreatedAt: *now}); err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: st, Account: benchAccount, Now: func() time.Time { return *now }, Lockouts: rep})
}

// TestPasswordLockout: 5 wrong passwords within 15 minutes lock the
// console password for 15 minutes, during which the right one is refused
// too (as if wrong); then it works again. An administrator's new password
// lifts the lockout at once.
func TestPasswordLockout(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	rep := &recordingReporter{}
	s := newClockedService(t, &now, rep)
	ctx := context.Background()
	const right = "Corr3ct-Horse-Battery!"
	if _, err := s.CreateUser(ctx, benchCall, &CreateUserInput{UserName: "alice"}); err != nil {
		t.Fatal(err)
	}
	pw := right
	if _, err := s.CreateLoginProfile(ctx, benchCall, &CreateLoginProfileInput{UserName: "alice", Password: &pw}); err != nil {
		t.Fatal(err)
	}
	check := func(pw string) bool {
		t.Helper()
		ok, _, err := s.CheckConsolePassword(ctx, "alice", pw)
		if err != nil {
			t.Fatalf("CheckConsolePassword: %v", err)
		}
		return ok
	}
	if !check(right) {
		t.Fatal("the right password is refused before any failure")
	}
	for i := range PasswordMaxFailures - 1 {
		if check("wrong") {
			t.Fatalf("wrong password %d accepted", i+1)
		}
		now = now.Add(time.Minute)
	}
	if !check(right) {
		t.Fatalf("the right password is refused after %d failures (below the limit)", PasswordMaxFailures-1)
	}
	// The success reset the count: it takes PasswordMaxFailures more.
	for range PasswordMaxFailures {
		check("wrong")
	}
	lockedAt := now
	if check(right) {
		t.Fatalf("the right password is accepted after %d wrong ones", PasswordMaxFailures)
	}
	if len(rep.lockouts) != 1 || rep.lockouts[0].Kind != LockoutPassword || rep.lockouts[0].UserName != "alice" || !rep.lockouts[0].Until.Equal(lockedAt.Add(PasswordLockout)) {
		t.Errorf("lockouts reported %+v, want one for alice until %v", rep.lockouts, lockedAt.Add(PasswordLockout))
	}
	if rep.refused == 0 {
		t.Error("a refusal during the lockout was not reported")
	}
	// ChangePassword's old-password check is under the same lockout.
	call := &identity.Call{Caller: &identity.Principal{Type: identity.IAMUser, AccountID: benchAccount, UserName: "alice"}}
	if _, err := s.ChangePassword(ctx, call, &ChangePasswordInput{OldPassword: right, NewPassword: "An0ther-Passw0rd!"}); !errors.Is(err, awserr.AccessDenied) {
		t.Errorf("ChangePassword with the right old password during the lockout: %v, want AccessDenied", err)
	}
	now = lockedAt.Add(PasswordLockout - time.Second)
	if check(right) {
		t.Fatal("the lockout ended early")
	}
	now = lockedAt.Add(PasswordLockout)
	if !check(right) {
		t.Fatal("the right password is refused after the lockout")
	}
	// An administrator's new password lifts a lockout at once.
	for range PasswordMaxFailures {
		check("wrong")
	}
	pw = "Adm1n-Set-Passw0rd!"
	if _, err := s.UpdateLoginProfile(ctx, benchCall, &UpdateLoginProfileInput{UserName: "alice", Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if !check(pw) {
		t.Error("the administrator's new password is refused: the lockout survived it")
	}
}

// TestPasswordHashingSlots: while every hashing slot is taken, a password
// check waits PasswordHashWait and is refused with Throttling, reported;
// a slot freed within the wait lets it through.
func TestPasswordHashingSlots(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	rep := &recordingReporter{}
	s := newClockedService(t, &now, rep)
	ctx := context.Background()
	pw := "Corr3ct-Horse-Battery!"
	if _, err := s.CreateUser(ctx, benchCall, &CreateUserInput{UserName: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLoginProfile(ctx, benchCall, &CreateLoginProfileInput{UserName: "alice", Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if n := cap(s.guess.hashSlots); n != runtime.GOMAXPROCS(0) {
		t.Fatalf("%d hashing slots, want GOMAXPROCS (%d)", n, runtime.GOMAXPROCS(0))
	}
	// Every slot is busy (argon2id computations in flight).
	for range cap(s.guess.hashSlots) {
		s.guess.hashSlots <- struct{}{}
	}
	start := time.Now()
	_, _, err := s.CheckConsolePassword(ctx, "alice", pw)
	waited := time.Since(start)
	if !errors.Is(err, awserr.Throttling) {
		t.Fatalf("CheckConsolePassword with every slot busy: %v, want Throttling", err)
	}
	if waited < PasswordHashWait {
		t.Errorf("refused after %v, want a wait of %v first", waited, PasswordHashWait)
	}
	if rep.hashThrottled != 1 {
		t.Errorf("%d hash refusals reported, want 1", rep.hashThrottled)
	}
	// A slot freed during the wait serves the waiting check.
	time.AfterFunc(PasswordHashWait/5, func() { <-s.guess.hashSlots })
	if ok, _, err := s.CheckConsolePassword(ctx, "alice", pw); err != nil || !ok {
		t.Errorf("check with a slot freed during the wait: ok %v, err %v; want the password accepted", ok, err)
	}
}

// TestPasswordCheckHashesAlways: a check with nothing to compare — an
// unknown user name, a user without a console password, a locked-out user —
// spends a hashing slot like a wrong password, so the time of the answer
// tells a guesser neither which names exist nor that a lockout began. With
// every slot busy each of them waits and is refused with Throttling, as a
// real check is; without the decoy they answered at once.
func TestPasswordCheckHashesAlways(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	s := newClockedService(t, &now, &recordingReporter{})
	ctx := context.Background()
	pw := "Corr3ct-Horse-Battery!"
	for _, name := range []string{"alice", "nopass"} {
		if _, err := s.CreateUser(ctx, benchCall, &CreateUserInput{UserName: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateLoginProfile(ctx, benchCall, &CreateLoginProfileInput{UserName: "alice", Password: &pw}); err != nil {
		t.Fatal(err)
	}
	for range PasswordMaxFailures {
		if ok, _, err := s.CheckConsolePassword(ctx, "alice", "wrong-"+pw); ok || err != nil {
			t.Fatalf("wrong password: ok %v, err %v", ok, err)
		}
	}
	if ok, _, err := s.CheckConsolePassword(ctx, "alice", pw); ok || err != nil {
		t.Fatalf("locked out, right password: ok %v, err %v; want refused", ok, err)
	}
	for range cap(s.guess.hashSlots) {
		s.guess.hashSlots <- struct{}{}
	}
	for _, tc := range []struct{ what, user string }{
		{"unknown user", "mallory"},
		{"no login profile", "nopass"},
		{"locked-out user", "alice"},
	} {
		start := time.Now()
		_, _, err := s.CheckConsolePassword(ctx, tc.user, pw)
		if !errors.Is(err, awserr.Throttling) || time.Since(start) < PasswordHashWait {
			t.Errorf("%s with every hashing slot busy: %v after %v; want Throttling after a wait of %v, as a real check",
				tc.what, err, time.Since(start), PasswordHashWait)
		}
	}
	for range cap(s.guess.hashSlots) {
		<-s.guess.hashSlots
	}
	// Free slots: the answers are the plain ones again.
	if _, _, err := s.CheckConsolePassword(ctx, "mallory", pw); !errors.Is(err, awserr.NoSuchEntity) {
		t.Errorf("unknown user: %v, want NoSuchEntity", err)
	}
}
