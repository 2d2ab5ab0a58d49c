package iam

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/castellan-sts/castellan/internal/ratelimit"
)

// Guessing limits (issue 14). An MFA device accepts at most
// MFAMaxFailures wrong codes within MFAFailureWindow; then it refuses
// every code, the right one too, for MFALockout, with the same message as
// a wrong code, so the guesser learns nothing. Console passwords follow
// Vault's defaults. The counts are per node (in memory): a cluster of N
// nodes allows N times as many guesses before every node has locked.
const (
	MFAMaxFailures        = 10
	MFAFailureWindow      = 5 * time.Minute
	MFALockout            = 15 * time.Minute
	PasswordMaxFailures   = 5
	PasswordFailureWindow = 15 * time.Minute
	PasswordLockout       = 15 * time.Minute
)

// Lockout kinds, as LockoutReporter receives them.
const (
	LockoutMFA      = "mfa"
	LockoutPassword = "password"
)

// Lockout describes an MFA device or a console password locked out.
type Lockout struct {
	Kind         string // LockoutMFA or LockoutPassword
	UserName     string // the user ("" for the root's device)
	UserID       string // the user's id, or the account id for the root
	SerialNumber string // the MFA device (LockoutMFA)
	Failures     int
	Until        time.Time
}

// AbuseReporter hears of lockouts and of password checks refused for
// want of a hashing slot: it audits, notifies and counts them.
// Implementations must not block for long.
type AbuseReporter interface {
	// LockedOut reports a new lockout.
	LockedOut(ctx context.Context, l Lockout)
	// RefusedLocked reports an attempt refused during a lockout of kind.
	RefusedLocked(kind string)
	// HashThrottled reports a password operation refused with Throttling.
	HashThrottled()
}

// errLockedOut is the private cause of a refusal during a lockout; the
// public error is the one a wrong code or password gets.
var errLockedOut = errors.New("iam: locked out after too many wrong attempts")

// errWrongCode is the private cause of a wrong MFA code.
var errWrongCode = errors.New("iam: wrong MFA code")

// guessLimits are a service's lockouts.
type guessLimits struct {
	mfa, password *ratelimit.Lockout
	report        AbuseReporter
	// hashSlots bounds concurrent argon2id computations (password.go).
	hashSlots chan struct{}
	// decoy is a hash of no one's password. A console password check
	// that has nothing to compare (no such user, no login profile, a
	// locked-out user) hashes against it, so a guesser cannot tell those
	// cases from a wrong password by how long the answer takes.
	decoy func() string
}

func newGuessLimits(r AbuseReporter) guessLimits {
	return guessLimits{
		mfa:       ratelimit.NewLockout(MFAMaxFailures, MFAFailureWindow, MFALockout, 0),
		password:  ratelimit.NewLockout(PasswordMaxFailures, PasswordFailureWindow, PasswordLockout, 0),
		report:    r,
		hashSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
		decoy:     sync.OnceValue(func() string { return hashPassword("castellan decoy: matches no password") }),
	}
}

// decoyCheck spends what a real password check spends (a hashing slot and
// one argon2id computation) on a password that cannot match. Its only
// error is the hashing slots' Throttling.
func (s *Service) decoyCheck(ctx context.Context, password string) error {
	_, err := s.matches(ctx, s.guess.decoy(), password)
	return err
}

// mfaKey is a device's lockout key: serial numbers are unique regardless
// of case.
func mfaKey(serial string) string { return strings.ToLower(serial) }

// ClearMFALockout lifts a device's lockout (ResyncMFADevice does).
func (s *Service) ClearMFALockout(serial string) { s.guess.mfa.Clear(mfaKey(serial)) }

// ClearPasswordLockout lifts a user's console-password lockout (an
// administrator setting a new password does).
func (s *Service) ClearPasswordLockout(userID string) { s.guess.password.Clear(userID) }

func (s *Service) lockedRefusal(kind string) {
	if s.guess.report != nil {
		s.guess.report.RefusedLocked(kind)
	}
}

func (s *Service) lockedOut(ctx context.Context, l Lockout) {
	s.log.Warn("locked out after too many wrong attempts", "kind", l.Kind, "user", l.UserName, "serial_number", l.SerialNumber, "until", l.Until)
	if s.guess.report != nil {
		s.guess.report.LockedOut(ctx, l)
	}
}
