package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/config"
)

func tempCreds(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

func TestGetSessionTokenRoot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before := time.Now().Truncate(time.Second)
	out, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if id := aws.ToString(c.AccessKeyId); len(id) != 20 || id[:4] != "ASIA" {
		t.Errorf("AccessKeyId = %q, want ASIA…", id)
	}
	if acct, _ := awsid.AccountFromKeyID(aws.ToString(c.AccessKeyId)); acct != e.app.AccountID() {
		t.Errorf("ASIA key encodes account %q, want %s", acct, e.app.AccountID())
	}
	// Root sessions are clamped to one hour.
	if d := c.Expiration.Sub(before); d < time.Hour-2*time.Second || d > time.Hour+2*time.Second {
		t.Errorf("root session lasts %s, want 1h", d)
	}
	tc := tempCreds(c)
	id, err := e.sts(tc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::"+e.app.AccountID()+":root" {
		t.Errorf("session Arn = %s", aws.ToString(id.Arn))
	}

	t.Run("no MFA, IAM refused", func(t *testing.T) {
		_, err := e.iam(tc).ListUsers(ctx, &iam.ListUsersInput{})
		apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid")
	})
	t.Run("session credentials cannot get session tokens", func(t *testing.T) {
		_, err := e.sts(tc).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		apiError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	})
	t.Run("missing token", func(t *testing.T) {
		bad := tc
		bad.SessionToken = ""
		_, err := e.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	})
	t.Run("tampered token", func(t *testing.T) {
		bad := tc
		b := []byte(bad.SessionToken)
		b[len(b)/2] ^= 0x01
		if b[len(b)/2] == '+' || b[len(b)/2] == '/' { // keep it base64
			b[len(b)/2] = 'A'
		}
		bad.SessionToken = string(b)
		_, err := e.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	})
	t.Run("token of another key", func(t *testing.T) {
		other, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		bad := tc
		bad.SessionToken = aws.ToString(other.Credentials.SessionToken)
		_, err = e.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	})
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.MinSessionDuration = time.Second })
	ctx := context.Background()
	out, err := e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	tc := tempCreds(out.Credentials)
	if _, err := e.sts(tc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh credentials: %v", err)
	}
	// Move the server past the expiry rather than sleeping.
	e.clock.Set(time.Now().Add(3 * time.Second))
	_, err = e.sts(tc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiError(t, err, "ExpiredToken", "The security token included in the request is expired")

	// Below the lowered minimum is still a validation error.
	_, err = e.sts(e.root).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(0)})
	apiError(t, err, "ValidationError", "1 validation error detected: Value '0' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 1")
}

func TestGetSessionTokenDefaultMinimum(t *testing.T) {
	e := newEnv(t)
	_, err := e.sts(e.root).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)})
	apiError(t, err, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900")
}

func TestGetAccessKeyInfo(t *testing.T) {
	e := newEnv(t)
	out, err := e.sts(e.root).GetAccessKeyInfo(context.Background(), &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("ASIAY34FZKBOKMUTVV7A")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "609629065308" {
		t.Errorf("Account = %s, want 609629065308", aws.ToString(out.Account))
	}
}

// TestStaleSessionTokenWithLongTermKey: AWS refuses a long-term key sent
// with a session token (a stale AWS_SESSION_TOKEN is the usual cause).
func TestStaleSessionTokenWithLongTermKey(t *testing.T) {
	e := newEnv(t)
	stale := e.root
	stale.SessionToken = "FwoGZXIvYXdzEBYaDLeftoverSessionToken"
	_, err := e.sts(stale).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}
