package iam

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
	"github.com/castellan-sts/castellan/internal/store/sqlite"
)

const credAccount = "123456789012"

// credEnv is a Service over an in-memory SQLite store with a settable clock.
type credEnv struct {
	s    *Service
	st   store.Store
	now  time.Time
	root *identity.Call
}

func newCredEnv(t *testing.T) *credEnv {
	t.Helper()
	key := make([]byte, secret.MasterKeySize)
	for i := range key {
		key[i] = byte(i)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), sqlite.MemoryPath, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(t.Context(), store.Account{ID: credAccount, CreatedAt: time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	e := &credEnv{st: st, now: time.Date(2026, 11, 26, 12, 0, 5, 0, time.UTC)}
	e.s = New(Config{Store: st, Account: credAccount, Now: func() time.Time { return e.now }})
	e.root = &identity.Call{Caller: &identity.Principal{Type: identity.Root, AccountID: credAccount,
		ARN: "arn:aws:iam::" + credAccount + ":root", UserID: credAccount}}
	return e
}

func (e *credEnv) user(t *testing.T, name string) (store.User, *identity.Call) {
	t.Helper()
	u := store.User{AccountID: credAccount, ID: "AIDA" + strings.ToUpper(name) + "0000000000000", Name: name, Path: "/", CreatedAt: e.now}
	if err := e.st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u, &identity.Call{Caller: &identity.Principal{Type: identity.IAMUser, AccountID: credAccount, UserID: u.ID,
		UserName: u.Name, ARN: "arn:aws:iam::" + credAccount + ":user/" + name}}
}

func code(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enabledDevice creates a device and enables it for u at e.now.
func (e *credEnv) enabledDevice(t *testing.T, u store.User, name string) (serial, seed string) {
	t.Helper()
	ctx := t.Context()
	out, err := e.s.CreateVirtualMFADevice(ctx, e.root, &CreateVirtualMFADeviceInput{VirtualMFADeviceName: name})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := base64.StdEncoding.DecodeString(out.VirtualMFADevice.Base32StringSeed)
	serial, seed = out.VirtualMFADevice.SerialNumber, string(b)
	if _, err := e.s.EnableMFADevice(ctx, e.root, &EnableMFADeviceInput{UserName: u.Name, SerialNumber: serial,
		AuthenticationCode1: code(t, seed, e.now.Add(-30*time.Second)), AuthenticationCode2: code(t, seed, e.now)}); err != nil {
		t.Fatal(err)
	}
	return serial, seed
}

// wantAWS fails unless err is an *awserr.Error with code and message.
func wantAWS(t *testing.T, what string, err error, code awserr.Code, msg string) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Code != code || ae.Message != msg {
		t.Errorf("%s = %v, want %s: %q", what, err, code, msg)
	}
}

func TestVerifyMFAWindow(t *testing.T) {
	e := newCredEnv(t)
	u, _ := e.user(t, "alice")
	serial, seed := e.enabledDevice(t, u, "alice")
	for _, tc := range []struct {
		name   string
		offset time.Duration // of the code's time from the verification time
		ok     bool
	}{
		{"two steps early", -60 * time.Second, false},
		{"one step early", -30 * time.Second, true},
		{"current", 0, true},
		{"one step late", 30 * time.Second, true},
		{"two steps late", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case verifies ten minutes after the previous one, so the
			// steps are fresh (later than any accepted before).
			e.now = e.now.Add(10 * time.Minute)
			err := e.s.VerifyMFA(t.Context(), u.ID, serial, code(t, seed, e.now.Add(tc.offset)), e.now)
			if tc.ok && err != nil {
				t.Errorf("VerifyMFA = %v, want success", err)
			}
			if !tc.ok {
				wantAWS(t, "VerifyMFA", err, awserr.AccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
			}
		})
	}
}

func TestVerifyMFAReplay(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	u, _ := e.user(t, "alice")
	serial, seed := e.enabledDevice(t, u, "alice")
	const invalid = "MultiFactorAuthentication failed with invalid MFA one time pass code. "

	// The codes used to enable the device are spent.
	wantAWS(t, "VerifyMFA(enable code)", e.s.VerifyMFA(ctx, u.ID, serial, code(t, seed, e.now), e.now),
		awserr.AccessDenied, invalid)

	now := e.now.Add(time.Minute)
	c := code(t, seed, now)
	if err := e.s.VerifyMFA(ctx, u.ID, serial, c, now); err != nil {
		t.Fatalf("VerifyMFA: %v", err)
	}
	wantAWS(t, "VerifyMFA(same code again)", e.s.VerifyMFA(ctx, u.ID, serial, c, now), awserr.AccessDenied, invalid)
	// An earlier, unused code in the window is refused too: codes only move forward.
	wantAWS(t, "VerifyMFA(earlier code)", e.s.VerifyMFA(ctx, u.ID, serial, code(t, seed, now.Add(-30*time.Second)), now),
		awserr.AccessDenied, invalid)
	if err := e.s.VerifyMFA(ctx, u.ID, serial, code(t, seed, now.Add(30*time.Second)), now); err != nil {
		t.Errorf("VerifyMFA(next step): %v", err)
	}

	// Concurrent use of one code: exactly one request wins.
	now = now.Add(5 * time.Minute)
	c = code(t, seed, now)
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 16 {
		wg.Go(func() {
			if err := e.s.VerifyMFA(ctx, u.ID, serial, c, now); err == nil {
				ok.Add(1)
			} else if ae, _ := awserr.As(err); ae == nil || ae.Message != invalid {
				t.Errorf("VerifyMFA: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d concurrent uses of one code succeeded, want 1", ok.Load())
	}
}

func TestVerifyMFAUnknownDevice(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	alice, _ := e.user(t, "alice")
	bob, _ := e.user(t, "bob")
	serial, seed := e.enabledDevice(t, alice, "alice")
	const unknown = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
	now := e.now.Add(time.Minute)
	c := code(t, seed, now)
	wantAWS(t, "VerifyMFA(other user)", e.s.VerifyMFA(ctx, bob.ID, serial, c, now), awserr.AccessDenied, unknown)
	wantAWS(t, "VerifyMFA(root)", e.s.VerifyMFA(ctx, credAccount, serial, c, now), awserr.AccessDenied, unknown)
	wantAWS(t, "VerifyMFA(unknown serial)", e.s.VerifyMFA(ctx, alice.ID, serial+"x", c, now), awserr.AccessDenied, unknown)
	wantAWS(t, "VerifyMFA(hardware serial)", e.s.VerifyMFA(ctx, alice.ID, "GAHT12345678", c, now), awserr.AccessDenied, unknown)

	// An unassigned device validates nothing.
	if _, err := e.s.DeactivateMFADevice(ctx, e.root, &DeactivateMFADeviceInput{UserName: "alice", SerialNumber: serial}); err != nil {
		t.Fatal(err)
	}
	wantAWS(t, "VerifyMFA(deactivated)", e.s.VerifyMFA(ctx, alice.ID, serial, c, now), awserr.AccessDenied, unknown)
	if devs, err := e.s.EnabledMFADevices(ctx, alice.ID); err != nil || len(devs) != 0 {
		t.Errorf("EnabledMFADevices after deactivation = %v, %v", devs, err)
	}
}

func TestVerifyMFAAfterResync(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	u, _ := e.user(t, "alice")
	serial, seed := e.enabledDevice(t, u, "alice")
	// The device's clock drifts five minutes ahead.
	drift := 5 * time.Minute
	e.now = e.now.Add(time.Hour)
	dev := e.now.Add(drift)
	if err := e.s.VerifyMFA(ctx, u.ID, serial, code(t, seed, dev), e.now); err == nil {
		t.Fatal("VerifyMFA accepted a code five minutes ahead before resync")
	}
	if _, err := e.s.ResyncMFADevice(ctx, e.root, &EnableMFADeviceInput{UserName: "alice", SerialNumber: serial,
		AuthenticationCode1: code(t, seed, dev.Add(-30*time.Second)), AuthenticationCode2: code(t, seed, dev)}); err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}
	e.now = e.now.Add(time.Minute)
	if err := e.s.VerifyMFA(ctx, u.ID, serial, code(t, seed, e.now.Add(drift)), e.now); err != nil {
		t.Errorf("VerifyMFA with the drift measured by resync: %v", err)
	}
	devs, err := e.s.EnabledMFADevices(ctx, u.ID)
	if err != nil || len(devs) != 1 || devs[0].SerialNumber != serial || devs[0].UserName != "alice" {
		t.Errorf("EnabledMFADevices = %+v, %v", devs, err)
	}
}

func TestFindConsecutive(t *testing.T) {
	seed := newTOTPSeed()
	c := func(step int64) string {
		s, err := totpCode(seed, step)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const e = 1_000_000
	for _, tc := range []struct {
		name     string
		c1, c2   string
		ok       bool
		wantStep int64
	}{
		{"previous and current", c(e - 1), c(e), true, e - 1},
		{"current and next", c(e), c(e + 1), true, e},
		{"two back", c(e - 2), c(e - 1), true, e - 2},
		{"too old", c(e - 3), c(e - 2), false, 0},
		{"too new", c(e + 1), c(e + 2), false, 0},
		{"not consecutive", c(e - 1), c(e + 1), false, 0},
		{"reversed", c(e), c(e - 1), false, 0},
		{"same code twice", c(e), c(e), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := findConsecutive(seed, tc.c1, tc.c2, e-1, e-MFAEnableWindow, e+MFAVerifyWindow-1)
			if ok != tc.ok || ok && step != tc.wantStep {
				t.Errorf("findConsecutive = %d, %v; want %d, %v", step, ok, tc.wantStep, tc.ok)
			}
		})
	}
}

func TestPasswordProblems(t *testing.T) {
	strict := store.PasswordPolicy{MinimumPasswordLength: 10, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}
	for _, tc := range []struct {
		name   string
		policy store.PasswordPolicy
		custom bool
		pw     string
		ok     bool
	}{
		{"default: 3 classes", defaultPasswordPolicy, false, "lower-UPPER", true},
		{"default: 2 classes", defaultPasswordPolicy, false, "lowerUPPER", false},
		{"default: short", defaultPasswordPolicy, false, "aB1!", false},
		{"default: 8 characters", defaultPasswordPolicy, false, "abcdEF12", true},
		{"strict: all classes", strict, true, "Abcdefgh1!", true},
		{"strict: short", strict, true, "Abcdefg1!", false},
		{"strict: no symbol", strict, true, "Abcdefgh12", false},
		{"strict: no number", strict, true, "Abcdefgh!!", false},
		{"strict: no upper", strict, true, "abcdefgh1!", false},
		{"strict: no lower", strict, true, "ABCDEFGH1!", false},
		{"strict: space is no symbol", strict, true, "Abcdefgh1 ", false},
		{"strict: every symbol counts", strict, true, "Abcdefgh1'", true},
		{"custom minimum only", store.PasswordPolicy{MinimumPasswordLength: 6}, true, "aaaaaa", true},
		{"length counts characters", store.PasswordPolicy{MinimumPasswordLength: 6}, true, "ééééé", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := passwordProblems(tc.policy, tc.custom, tc.pw)
			if (len(probs) == 0) != tc.ok {
				t.Errorf("passwordProblems(%q) = %q, want ok=%v", tc.pw, probs, tc.ok)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	h1, h2 := hashPassword("Correct-Horse-1"), hashPassword("Correct-Horse-1")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Errorf("hashPassword = %q, %q; want argon2id with distinct salts", h1, h2)
	}
	if strings.Contains(h1, "Correct-Horse-1") {
		t.Error("hash contains the password")
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h1, "Correct-Horse-1", true},
		{h2, "Correct-Horse-1", true},
		{h1, "Correct-Horse-2", false},
		{h1, "", false},
		{"", "", false},
		{"$argon2id$v=19$m=19456,t=2,p=1$bad$bad", "x", false},
		{"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x", false},
		{strings.Replace(h1, "m=19456", "m=99999999", 1), "Correct-Horse-1", false},
	} {
		if got := passwordMatches(tc.hash, tc.pw); got != tc.want {
			t.Errorf("passwordMatches(%.40q, %q) = %v, want %v", tc.hash, tc.pw, got, tc.want)
		}
	}
}

func TestChangePassword(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	_, alice := e.user(t, "alice")
	_, bob := e.user(t, "bob")
	if _, err := e.s.CreateLoginProfile(ctx, e.root, &CreateLoginProfileInput{UserName: "alice", Password: credPtr("Correct-Horse-1"),
		PasswordResetRequired: true}); err != nil {
		t.Fatal(err)
	}
	change := func(call *identity.Call, old, new string) error {
		_, err := e.s.ChangePassword(ctx, call, &ChangePasswordInput{OldPassword: old, NewPassword: new})
		return err
	}
	wantAWS(t, "ChangePassword(root)", change(e.root, "a", "b"), awserr.InvalidUserType, "Only IAM Users can change their own password.")
	wantAWS(t, "ChangePassword(no profile)", change(bob, "a", "b"), awserr.NoSuchEntity, "Login Profile for User bob cannot be found.")
	wantAWS(t, "ChangePassword(wrong old)", change(alice, "Wrong-Horse-1", "Battery-Staple-2"), awserr.AccessDenied, "The old password was incorrect.")
	wantAWS(t, "ChangePassword(same)", change(alice, "Correct-Horse-1", "Correct-Horse-1"), awserr.PasswordPolicyViolation,
		"Policy constraint violation with password reuse prevention during password change.")
	wantAWS(t, "ChangePassword(weak)", change(alice, "Correct-Horse-1", "weak"), awserr.PasswordPolicyViolation,
		"Password does not conform to the account password policy.")
	if err := change(alice, "Correct-Horse-1", "Battery-Staple-2"); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	ok, reset, err := e.s.CheckConsolePassword(ctx, "alice", "Battery-Staple-2")
	if err != nil || !ok || reset {
		t.Errorf("CheckConsolePassword(new) = %v, %v, %v; want ok without reset", ok, reset, err)
	}
	if ok, _, _ := e.s.CheckConsolePassword(ctx, "alice", "Correct-Horse-1"); ok {
		t.Error("the old password still works")
	}
	p, err := e.st.GetLoginProfile(ctx, credAccount, alice.Caller.UserID)
	if err != nil || len(p.PreviousHashes) != 1 || !p.PasswordChangedAt.Equal(e.now.Truncate(time.Second)) {
		t.Errorf("profile after change = %+v, %v", p, err)
	}
	// Reuse prevention of 2 covers the current and the previous password.
	if _, err := e.s.UpdateAccountPasswordPolicy(ctx, e.root, &UpdateAccountPasswordPolicyInput{MinimumPasswordLength: credPtr(int32(8)),
		PasswordReusePrevention: 2}); err != nil {
		t.Fatal(err)
	}
	wantAWS(t, "ChangePassword(previous)", change(alice, "Battery-Staple-2", "Correct-Horse-1"), awserr.PasswordPolicyViolation,
		"Policy constraint violation with password reuse prevention during password change.")
	if err := change(alice, "Battery-Staple-2", "third-password"); err != nil {
		t.Errorf("ChangePassword(fresh): %v", err)
	}
}

func TestOIDCProviderByURL(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	const gh = "https://token.actions.githubusercontent.com"
	if _, err := e.s.CreateOpenIDConnectProvider(ctx, e.root, &CreateOpenIDConnectProviderInput{Url: gh,
		ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	p, err := e.s.OIDCProviderByURL(ctx, gh)
	if err != nil || p.URL != gh || p.ARN != "arn:aws:iam::"+credAccount+":oidc-provider/token.actions.githubusercontent.com" ||
		len(p.ClientIDs) != 1 {
		t.Errorf("OIDCProviderByURL = %+v, %v", p, err)
	}
	for _, iss := range []string{"https://TOKEN.actions.githubusercontent.com", gh + "/", "http://token.actions.githubusercontent.com",
		"token.actions.githubusercontent.com", "https://accounts.google.com"} {
		_, err := e.s.OIDCProviderByURL(ctx, iss)
		wantAWS(t, "OIDCProviderByURL("+iss+")", err, awserr.InvalidIdentityToken, "No OpenIDConnect provider found in your account for "+iss)
	}
}

func TestCreateVirtualMFADeviceQRCode(t *testing.T) {
	e := newCredEnv(t)
	_, alice := e.user(t, "alice")
	for _, call := range []*identity.Call{e.root, alice} {
		out, err := e.s.CreateVirtualMFADevice(t.Context(), call, &CreateVirtualMFADeviceInput{VirtualMFADeviceName: call.Caller.UserID})
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.StdEncoding.DecodeString(out.VirtualMFADevice.QRCodePNG)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != MFAQRCodeSize {
			t.Errorf("QRCodePNG: %v", err)
		}
	}
	_, err := e.s.CreateVirtualMFADevice(t.Context(), e.root, &CreateVirtualMFADeviceInput{VirtualMFADeviceName: credAccount})
	wantAWS(t, "CreateVirtualMFADevice(duplicate)", err, awserr.EntityAlreadyExists, "MFADevice entity at the same path and name already exists.")
}

func credPtr[T any](v T) *T { return &v }

// TestReenableKeepsCodesSpent: deactivating and re-enabling a device does
// not make the codes it accepted usable again.
func TestReenableKeepsCodesSpent(t *testing.T) {
	e := newCredEnv(t)
	ctx := t.Context()
	u, _ := e.user(t, "alice")
	serial, seed := e.enabledDevice(t, u, "alice")
	if _, err := e.s.DeactivateMFADevice(ctx, e.root, &DeactivateMFADeviceInput{UserName: "alice", SerialNumber: serial}); err != nil {
		t.Fatal(err)
	}
	enable := func(at time.Time) error {
		_, err := e.s.EnableMFADevice(ctx, e.root, &EnableMFADeviceInput{UserName: "alice", SerialNumber: serial,
			AuthenticationCode1: code(t, seed, at.Add(-30*time.Second)), AuthenticationCode2: code(t, seed, at)})
		return err
	}
	wantAWS(t, "EnableMFADevice(spent codes)", enable(e.now), awserr.InvalidAuthenticationCode, "Authentication code for device is not valid.")
	e.now = e.now.Add(time.Minute)
	if err := enable(e.now); err != nil {
		t.Errorf("EnableMFADevice(fresh codes): %v", err)
	}
}
