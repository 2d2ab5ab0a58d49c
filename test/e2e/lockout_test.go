package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/config"
)

const msgInvalidMFACode = "MultiFactorAuthentication failed with invalid MFA one time pass code. "

// wrongCode returns a six-digit code that is none of seed's codes near at.
func wrongCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		clash := false
		for d := -10; d <= 10; d++ {
			if totpAt(t, seed, at.Add(time.Duration(d)*30*time.Second)) == c {
				clash = true
			}
		}
		if !clash {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// mfaUser creates a user with a key and an enabled virtual MFA device at
// the (frozen) time t0.
func mfaUser(t *testing.T, e *env, name string, t0 time.Time) (creds aws.Credentials, serial, seed string) {
	t.Helper()
	creds = e.newUser(t, name)
	c := e.iam(e.root)
	serial, seed, _ = createMFA(t, c, name+"-phone", "")
	_, err := c.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, t0)), AuthenticationCode2: aws.String(totpAt(t, seed, t0.Add(30*time.Second)))})
	if err != nil {
		t.Fatalf("EnableMFADevice: %v", err)
	}
	return creds, serial, seed
}

// TestMFALockout: ten wrong codes, then the device refuses every code (the
// right one too) with the unchanged AWS message; the lockout is audited,
// notified and counted; ResyncMFADevice by an administrator lifts it; a
// used code stays refused; without a resync the lockout ends after 15
// minutes. It also measures the guessing rate.
func TestMFALockout(t *testing.T) {
	hook := newWebhookReceiver(t, "lockout-secret")
	e := newEnv(t, func(c *config.Config) {
		c.MaxClockSkew = time.Hour // the clock moves past 15 minutes; clients sign with the real one
		c.Audit.NotifyURL, c.Audit.NotifySecret = hook.srv.URL, hook.secret
	})
	ctx := context.Background()
	t0 := stepStart()
	e.clock.Set(t0)
	bob, serial, seed := mfaUser(t, e, "bob", t0)
	gst := func(code string) error {
		_, err := e.sts(bob).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
		return err
	}
	bad := wrongCode(t, seed, t0)

	start := time.Now()
	for range 10 {
		apiError(t, gst(bad), "AccessDenied", "^"+msgInvalidMFACode+"$")
	}
	apiError(t, gst(totpAt(t, seed, t0.Add(60*time.Second))), "AccessDenied", "^"+msgInvalidMFACode+"$")
	const attempts = 200
	for range attempts {
		apiError(t, gst(bad), "AccessDenied", "^"+msgInvalidMFACode+"$")
	}
	rate := float64(attempts+11) / time.Since(start).Seconds()
	t.Logf("MFA guessing: %.0f attempts/s answered; codes actually tested: 10, then none for 15 minutes (%.4f/s)", rate, 10.0/(20*60))

	// Audited, notified, counted.
	evs := e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "WatchMFADeviceLockedOut", func(ls []looked) bool { return len(ls) == 1 })
	if d := evs[0].rec.ServiceEventDetails; d["serialNumber"] != serial || d["userName"] != "bob" || d["lockedUntil"] == nil {
		t.Errorf("lockout event details = %v", d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if hook.has("WatchMFADeviceLockedOut") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no WatchMFADeviceLockedOut notification reached the webhook")
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := e.metricsText(t)
	for _, want := range []string{`castellan_lockouts_total{kind="mfa"} 1`, `castellan_lockout_refusals_total{kind="mfa"} 201`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// An administrator's resync (two consecutive codes) lifts it.
	t1 := t0.Add(2 * time.Minute)
	e.clock.Set(t1)
	if _, err := e.iam(e.root).ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpAt(t, seed, t1.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, t1))}); err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}
	e.clock.Set(t1.Add(30 * time.Second))
	good := totpAt(t, seed, t1.Add(30*time.Second))
	if err := gst(good); err != nil {
		t.Fatalf("right code after the resync: %v", err)
	}
	// A used code is refused within its window (AWS does).
	apiError(t, gst(good), "AccessDenied", "^"+msgInvalidMFACode+"$")

	// Locked again, the lockout ends by itself after 15 minutes.
	for range 9 { // the replay above was the first failure
		apiError(t, gst(bad), "AccessDenied", "^"+msgInvalidMFACode+"$")
	}
	t2 := t1.Add(14 * time.Minute)
	e.clock.Set(t2)
	apiError(t, gst(totpAt(t, seed, t2)), "AccessDenied", "^"+msgInvalidMFACode+"$")
	t3 := t1.Add(16 * time.Minute)
	e.clock.Set(t3)
	if err := gst(totpAt(t, seed, t3)); err != nil {
		t.Fatalf("right code after the lockout ended: %v", err)
	}
}

// TestMFALockoutOnlyOwnDevice: codes sent for a device enabled for
// another identity do not count against it (no one can lock out someone
// else's device).
func TestMFALockoutOnlyOwnDevice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := stepStart()
	e.clock.Set(t0)
	creds, serial, seed := mfaUser(t, e, "bob", t0)
	mallory := e.newUser(t, "mallory")
	for range 15 {
		_, err := e.sts(mallory).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String("000000")})
		apiError(t, err, "AccessDenied", "^MultiFactorAuthentication failed, unable to validate MFA code")
	}
	e.clock.Set(t0.Add(60 * time.Second))
	if _, err := e.sts(creds).GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(totpAt(t, seed, t0.Add(60*time.Second)))}); err != nil {
		t.Fatalf("bob's right code after mallory's attempts: %v", err)
	}
}

// has reports whether an event named name was delivered.
func (w *webhookReceiver) has(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.got {
		if d.rec.EventName == name {
			return true
		}
	}
	return false
}
