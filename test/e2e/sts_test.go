package e2e

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/config"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// apiError asserts err is an AWS API error with code and a message that
// equals want (or matches it, when want starts with "^").
func apiError(t *testing.T, err error, code, want string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("code = %s (%q), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if strings.HasPrefix(want, "^") {
		if !regexp.MustCompile(want).MatchString(ae.ErrorMessage()) {
			t.Fatalf("message = %q, want match %s", ae.ErrorMessage(), want)
		}
		return
	}
	if ae.ErrorMessage() != want {
		t.Fatalf("message = %q, want %q", ae.ErrorMessage(), want)
	}
}

func TestGetCallerIdentityRoot(t *testing.T) {
	e := newEnv(t)
	out, err := e.sts(e.root).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	acct := e.app.AccountID()
	if aws.ToString(out.Account) != acct || aws.ToString(out.UserId) != acct || aws.ToString(out.Arn) != "arn:aws:iam::"+acct+":root" {
		t.Errorf("GetCallerIdentity = %+v, want root of %s", out, acct)
	}
	if got, _ := awsid.AccountFromKeyID(e.root.AccessKeyID); got != acct {
		t.Errorf("root key %s encodes account %q, want %s", e.root.AccessKeyID, got, acct)
	}
}

func TestGetCallerIdentityUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acct := e.app.AccountID()
	u := store.User{AccountID: acct, ID: awsid.NewUniqueID(awsid.User), Name: "alice", Path: "/eng/", CreatedAt: time.Now().UTC()}
	if err := e.app.Store().CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	k := store.AccessKey{AccountID: acct, ID: awsid.NewAccessKeyID(awsid.LongTermKey, acct), UserID: u.ID, UserName: u.Name,
		Secret: secret.New(awsid.NewSecretAccessKey()), Status: store.KeyActive, CreatedAt: time.Now().UTC()}
	if err := e.app.Store().CreateAccessKey(ctx, k, 2); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret.Reveal()}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::" + acct + ":user/eng/alice"; aws.ToString(out.Arn) != want || aws.ToString(out.UserId) != u.ID {
		t.Errorf("GetCallerIdentity = %s %s, want %s %s", aws.ToString(out.Arn), aws.ToString(out.UserId), want, u.ID)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	badSecret := e.root
	badSecret.SecretAccessKey = strings.Repeat("x", 40)
	unknown := aws.Credentials{AccessKeyID: awsid.NewAccessKeyID(awsid.LongTermKey, e.app.AccountID()), SecretAccessKey: e.root.SecretAccessKey}
	tests := []struct {
		name   string
		creds  aws.Credentials
		region string
		skew   time.Duration
		code   string
		msg    string
	}{
		{"wrong secret", badSecret, "us-east-1", 0, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"unknown key", unknown, "us-east-1", 0, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"region not enabled", e.root, "eu-west-3", 0, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not 'eu-west-3'. "},
		{"20 minutes ago", e.root, "us-east-1", -20 * time.Minute, "SignatureDoesNotMatch",
			`^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$`},
		{"20 minutes ahead", e.root, "us-east-1", 20 * time.Minute, "SignatureDoesNotMatch",
			`^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.awsConfig(tc.creds, tc.region)
			client := sts.NewFromConfig(cfg, func(o *sts.Options) {
				if tc.skew != 0 {
					// Move the server's clock instead of the client's: the SDK signs with real time.
					e.clock.Set(time.Now().Add(-tc.skew))
					t.Cleanup(func() { e.clock.Set(time.Time{}) })
				}
			})
			_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			apiError(t, err, tc.code, tc.msg)
		})
	}
}

func TestSecondServeReusesAccount(t *testing.T) {
	dir := t.TempDir()
	first := newEnv(t, func(c *config.Config) { c.DataDir = dir })
	second := newEnv(t, func(c *config.Config) { c.DataDir = dir })
	if first.app.AccountID() != second.app.AccountID() || first.root != second.root {
		t.Errorf("second serve: account %s key %s, want %s %s", second.app.AccountID(), second.root.AccessKeyID, first.app.AccountID(), first.root.AccessKeyID)
	}
}
