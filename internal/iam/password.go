package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/store"
)

// Console passwords are stored as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, unpadded
// base64), each with its own random salt. The parameters travel with the
// hash, so raising them later keeps old hashes verifiable.
type argon2Params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// passwordHashParams are OWASP's minimum for argon2id (19 MiB, 2 passes,
// 1 lane): a password check costs tens of milliseconds, and reuse
// prevention checks up to PasswordReusePrevention+1 hashes.
var passwordHashParams = argon2Params{memory: 19 * 1024, time: 2, threads: 1}

const (
	passwordSaltBytes = 16
	passwordHashBytes = 32
)

var b64 = base64.RawStdEncoding

// hashPassword returns the encoded argon2id hash of pw with a new salt.
func hashPassword(pw string) string {
	salt := make([]byte, passwordSaltBytes)
	_, _ = rand.Read(salt)
	p := passwordHashParams
	h := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, passwordHashBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(h))
}

// PasswordHashWait is how long a password operation waits for a hashing
// slot before it is refused with Throttling. Slots number the CPUs
// (GOMAXPROCS): each argon2id computation holds 19 MiB and a core for tens
// of milliseconds, so concurrent wrong-password calls cost bounded memory.
const PasswordHashWait = time.Second

// hashSlot waits up to PasswordHashWait for a hashing slot; release
// returns it.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	slots := s.guess.hashSlots
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	default:
	}
	t := time.NewTimer(PasswordHashWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-t.C:
		if s.guess.report != nil {
			s.guess.report.HashThrottled()
		}
		return nil, awserr.New(awserr.Throttling).WithCause(errors.New("iam: no password-hashing slot within " + PasswordHashWait.String()))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash is hashPassword in a hashing slot.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(pw), nil
}

// matches is passwordMatches in a hashing slot.
func (s *Service) matches(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return passwordMatches(encoded, pw), nil
}

// errBadHash means a stored hash cannot be parsed.
var errBadHash = errors.New("iam: malformed password hash")

// passwordMatches reports, in constant time over the hash, whether pw is
// the password encoded hashes. A malformed hash matches nothing.
func passwordMatches(encoded, pw string) bool {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func parseHash(encoded string) (argon2Params, []byte, []byte, error) {
	var p argon2Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, errBadHash
	}
	// Bound the work a corrupted row could ask for.
	if p.memory < 8 || p.memory > 1<<21 || p.time < 1 || p.time > 16 || p.threads < 1 {
		return p, nil, nil, errBadHash
	}
	salt, err1 := b64.DecodeString(parts[4])
	hash, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(hash) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, hash, nil
}

// defaultPasswordPolicy is what AWS enforces when the account has no
// password policy: at least 8 characters, and at least three of the four
// character classes.
var defaultPasswordPolicy = store.PasswordPolicy{MinimumPasswordLength: 8}

// defaultPolicyClasses is the number of character classes the default
// policy requires.
const defaultPolicyClasses = 3

// passwordSymbols are the characters IAM counts as non-alphanumeric.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// passwordProblems lists how pw falls short of the policy (custom is false
// for the default policy), in words for the log; nil when it complies.
func passwordProblems(p store.PasswordPolicy, custom bool, pw string) []string {
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	var probs []string
	if n := len([]rune(pw)); n < p.MinimumPasswordLength {
		probs = append(probs, fmt.Sprintf("shorter than %d characters", p.MinimumPasswordLength))
	}
	if !custom {
		classes := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				classes++
			}
		}
		if classes < defaultPolicyClasses {
			probs = append(probs, fmt.Sprintf("uses %d of the character classes upper case, lower case, numbers and symbols; at least %d are needed", classes, defaultPolicyClasses))
		}
		return probs
	}
	for _, c := range []struct {
		need, have bool
		what       string
	}{
		{p.RequireUppercaseCharacters, upper, "no upper-case letter"},
		{p.RequireLowercaseCharacters, lower, "no lower-case letter"},
		{p.RequireNumbers, digit, "no number"},
		{p.RequireSymbols, symbol, "no symbol (" + passwordSymbols + ")"},
	} {
		if c.need && !c.have {
			probs = append(probs, c.what)
		}
	}
	return probs
}
