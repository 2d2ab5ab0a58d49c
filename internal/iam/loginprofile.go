package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// LoginProfile is the IAM model's LoginProfile shape.
type LoginProfile struct {
	UserName              string
	CreateDate            time.Time
	PasswordResetRequired bool
}

// Console-password messages, as AWS words them.
const (
	msgPasswordPolicy = "Password does not conform to the account password policy."
	msgPasswordReuse  = "Policy constraint violation with password reuse prevention during password change."
	msgOldPassword    = "The old password was incorrect."
	msgRootPassword   = "Only IAM Users can change their own password."
)

func noSuchLoginProfile(userName string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "Login Profile for User %s cannot be found.", userName)
}

// profileUser is whose login profile an operation addresses: the named
// user, or without a name the calling user.
func (s *Service) profileUser(ctx context.Context, call *identity.Call, userName string) (store.User, error) {
	if userName == "" {
		p := call.Caller
		if p == nil || p.Type != identity.IAMUser || p.UserName == "" {
			return store.User{}, awserr.Errorf(awserr.ValidationError, "Must specify userName when calling with non-User credentials")
		}
		userName = p.UserName
	}
	return s.getUser(ctx, userName)
}

// passwordPolicy returns the account's policy, or AWS's default one
// (custom false) when none is set.
func (s *Service) passwordPolicy(ctx context.Context) (p store.PasswordPolicy, custom bool, err error) {
	p, err = s.st.GetPasswordPolicy(ctx, s.account)
	if isNotFound(err) {
		return defaultPasswordPolicy, false, nil
	}
	return p, err == nil, err
}

// newPasswordHash checks pw against the password policy and the user's
// history (prof nil for a new profile) and returns its hash.
func (s *Service) newPasswordHash(ctx context.Context, prof *store.LoginProfile, pw string) (string, error) {
	pol, custom, err := s.passwordPolicy(ctx)
	if err != nil {
		return "", err
	}
	if probs := passwordProblems(pol, custom, pw); len(probs) > 0 {
		return "", awserr.Errorf(awserr.PasswordPolicyViolation, msgPasswordPolicy).
			WithCause(errors.New("iam: password " + strings.Join(probs, "; ")))
	}
	if prof != nil && pol.PasswordReusePrevention > 0 {
		recent := append([]string{prof.PasswordHash}, prof.PreviousHashes...)
		for _, h := range recent[:min(len(recent), pol.PasswordReusePrevention)] {
			same, err := s.matches(ctx, h, pw)
			if err != nil {
				return "", err
			}
			if same {
				return "", awserr.Errorf(awserr.PasswordPolicyViolation, msgPasswordReuse)
			}
		}
	}
	return s.hash(ctx, pw)
}

// setPassword stores a new password hash computed from prof, keeping the
// old one in the history. It fails with ConcurrentModification when the
// password changed since prof was read (the hashing runs outside the
// store's transaction).
func (s *Service) setPassword(ctx context.Context, prof store.LoginProfile, hash string, reset *bool) error {
	now := s.timestamp()
	_, err := s.st.UpdateLoginProfile(ctx, s.account, prof.UserID, func(p *store.LoginProfile) error {
		if p.PasswordHash != prof.PasswordHash {
			return awserr.New(awserr.ConcurrentModification)
		}
		if hash != "" {
			p.PreviousHashes = append([]string{p.PasswordHash}, p.PreviousHashes...)
			p.PreviousHashes = p.PreviousHashes[:min(len(p.PreviousHashes), PasswordHistoryMax)]
			p.PasswordHash = hash
			p.PasswordChangedAt = now
		}
		if reset != nil {
			p.PasswordResetRequired = *reset
		}
		return nil
	})
	if isNotFound(err) {
		return noSuchLoginProfile(prof.UserName)
	}
	return err
}

// CreateLoginProfileInput is CreateLoginProfile's request.
type CreateLoginProfileInput struct {
	UserName              string
	Password              *string
	PasswordResetRequired bool
}

// CreateLoginProfileOutput is CreateLoginProfile's result.
type CreateLoginProfileOutput struct{ LoginProfile LoginProfile }

// CreateLoginProfile gives a user a console password that complies with
// the account password policy.
func (s *Service) CreateLoginProfile(ctx context.Context, call *identity.Call, in *CreateLoginProfileInput) (*CreateLoginProfileOutput, error) {
	u, err := s.profileUser(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	if in.Password == nil {
		return nil, awserr.Errorf(awserr.ValidationError, "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	}
	if _, err := s.st.GetLoginProfile(ctx, s.account, u.ID); err == nil {
		return nil, loginProfileExists(u.Name)
	}
	hash, err := s.newPasswordHash(ctx, nil, *in.Password)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	p := store.LoginProfile{AccountID: s.account, UserID: u.ID, UserName: u.Name, PasswordHash: hash,
		PasswordResetRequired: in.PasswordResetRequired, CreatedAt: now, PasswordChangedAt: now}
	if err := s.st.CreateLoginProfile(ctx, p); err != nil {
		switch {
		case errors.Is(err, store.ErrConflict):
			return nil, loginProfileExists(u.Name)
		case isNotFound(err):
			return nil, noSuchUser(u.Name)
		}
		return nil, err
	}
	return &CreateLoginProfileOutput{LoginProfile: LoginProfile{UserName: u.Name, CreateDate: now,
		PasswordResetRequired: in.PasswordResetRequired}}, nil
}

func loginProfileExists(userName string) error {
	return awserr.Errorf(awserr.EntityAlreadyExists, "Login Profile for user %s already exists.", userName)
}

// LoginProfileInput is GetLoginProfile's and DeleteLoginProfile's request.
type LoginProfileInput struct {
	UserName string
}

// GetLoginProfileOutput is GetLoginProfile's result.
type GetLoginProfileOutput struct{ LoginProfile LoginProfile }

// getLoginProfile loads a user's profile with AWS's NoSuchEntity.
func (s *Service) getLoginProfile(ctx context.Context, u store.User) (store.LoginProfile, error) {
	p, err := s.st.GetLoginProfile(ctx, s.account, u.ID)
	if isNotFound(err) {
		return store.LoginProfile{}, noSuchLoginProfile(u.Name)
	}
	return p, err
}

// GetLoginProfile returns a user's login profile (without UserName: the
// caller's).
func (s *Service) GetLoginProfile(ctx context.Context, call *identity.Call, in *LoginProfileInput) (*GetLoginProfileOutput, error) {
	u, err := s.profileUser(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := s.getLoginProfile(ctx, u)
	if err != nil {
		return nil, err
	}
	return &GetLoginProfileOutput{LoginProfile: LoginProfile{UserName: u.Name, CreateDate: p.CreatedAt,
		PasswordResetRequired: p.PasswordResetRequired}}, nil
}

// UpdateLoginProfileInput is UpdateLoginProfile's request.
type UpdateLoginProfileInput struct {
	UserName              string
	Password              *string
	PasswordResetRequired *bool
}

// UpdateLoginProfile sets a user's password (policy and reuse prevention
// apply) and/or its reset-required flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, _ *identity.Call, in *UpdateLoginProfileInput) (*struct{}, error) {
	u, err := s.getUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := s.getLoginProfile(ctx, u)
	if err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		if hash, err = s.newPasswordHash(ctx, &p, *in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.setPassword(ctx, p, hash, in.PasswordResetRequired); err != nil {
		return nil, err
	}
	if hash != "" {
		s.ClearPasswordLockout(u.ID) // an administrator set a new password
	}
	return nil, nil
}

// DeleteLoginProfile removes a user's console password.
func (s *Service) DeleteLoginProfile(ctx context.Context, call *identity.Call, in *LoginProfileInput) (*struct{}, error) {
	u, err := s.profileUser(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	if err := s.st.DeleteLoginProfile(ctx, s.account, u.ID); err != nil {
		if isNotFound(err) {
			return nil, noSuchLoginProfile(u.Name)
		}
		return nil, err
	}
	return nil, nil
}

// ChangePasswordInput is ChangePassword's request.
type ChangePasswordInput struct {
	OldPassword string
	NewPassword string
}

// ChangePassword lets an IAM user change their own console password: the
// old password must match, the new one must differ from it and comply with
// the password policy. It clears PasswordResetRequired.
func (s *Service) ChangePassword(ctx context.Context, call *identity.Call, in *ChangePasswordInput) (*struct{}, error) {
	c := call.Caller
	if c == nil || c.Type != identity.IAMUser || c.UserName == "" {
		return nil, awserr.Errorf(awserr.InvalidUserType, msgRootPassword)
	}
	u, err := s.getUser(ctx, c.UserName)
	if err != nil {
		return nil, err
	}
	p, err := s.getLoginProfile(ctx, u)
	if err != nil {
		return nil, err
	}
	ok, err := s.verifyPassword(ctx, u, p, in.OldPassword)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, awserr.Errorf(awserr.AccessDenied, msgOldPassword)
	}
	if in.NewPassword == in.OldPassword {
		return nil, awserr.Errorf(awserr.PasswordPolicyViolation, msgPasswordReuse)
	}
	hash, err := s.newPasswordHash(ctx, &p, in.NewPassword)
	if err != nil {
		return nil, err
	}
	reset := false
	return nil, s.setPassword(ctx, p, hash, &reset)
}

// CheckConsolePassword reports whether password is the user's console
// password, for the console's sign-in; NoSuchEntity when the user or
// their login profile does not exist. It does not reveal which.
//
// The check goes through verifyPassword: after PasswordMaxFailures wrong
// passwords within PasswordFailureWindow every password, the right one
// too, is reported wrong for PasswordLockout; the hashing waits for a slot
// (Throttling after PasswordHashWait).
func (s *Service) CheckConsolePassword(ctx context.Context, userName, password string) (ok, resetRequired bool, err error) {
	u, err := s.getUser(ctx, userName)
	if err == nil {
		var p store.LoginProfile
		if p, err = s.getLoginProfile(ctx, u); err == nil {
			ok, err = s.verifyPassword(ctx, u, p, password)
			if err != nil {
				return false, false, err
			}
			return ok, p.PasswordResetRequired, nil
		}
	}
	// No such user, or no console password: the same hashing as a wrong
	// password, so the time of the answer does not say which user names
	// exist.
	if errors.Is(err, awserr.NoSuchEntity) {
		if derr := s.decoyCheck(ctx, password); derr != nil {
			return false, false, derr
		}
	}
	return false, false, err
}

// verifyPassword is every check of a user's console password (sign-in,
// ChangePassword's old password): a locked-out user's password is wrong
// whatever it is (after the same hashing as any check, against the decoy);
// a wrong one counts towards the lockout; a right one resets the count.
func (s *Service) verifyPassword(ctx context.Context, u store.User, p store.LoginProfile, password string) (bool, error) {
	now := s.now()
	if s.guess.password.Locked(u.ID, now) {
		s.lockedRefusal(LockoutPassword)
		// As long as a wrong password takes: a lockout must not show itself.
		return false, s.decoyCheck(ctx, password)
	}
	ok, err := s.matches(ctx, p.PasswordHash, password)
	if err != nil {
		return false, err
	}
	if ok {
		s.guess.password.Succeeded(u.ID, now)
		return true, nil
	}
	if locked, until := s.guess.password.Fail(u.ID, now); locked {
		s.lockedOut(ctx, Lockout{Kind: LockoutPassword, UserName: u.Name, UserID: u.ID, Failures: PasswordMaxFailures, Until: until})
	}
	return false, nil
}
