package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestIAMLoginProfile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	credUser(t, e, "alice")
	credUser(t, e, "bob")

	create := func(user, pw string, reset bool) (*iam.CreateLoginProfileOutput, error) {
		return c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String(pw),
			PasswordResetRequired: reset})
	}
	// Without a policy, AWS's default applies: 8 characters, 3 of 4 classes.
	for _, weak := range []string{"Ab1!", "alllowercase", "lowerUPPER"} {
		_, err := create("alice", weak, false)
		apiError(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	}
	_, err := create("nobody", "Correct-Horse-1", false)
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	out, err := create("alice", "Correct-Horse-1", true)
	if err != nil {
		t.Fatalf("CreateLoginProfile: %v", err)
	}
	if p := out.LoginProfile; aws.ToString(p.UserName) != "alice" || !p.PasswordResetRequired || p.CreateDate == nil {
		t.Errorf("CreateLoginProfile = %+v", p)
	}
	_, err = create("ALICE", "Correct-Horse-2", false)
	apiError(t, err, "EntityAlreadyExists", "Login Profile for user alice already exists.")

	got, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")})
	if err != nil || aws.ToString(got.LoginProfile.UserName) != "alice" || !got.LoginProfile.PasswordResetRequired ||
		!got.LoginProfile.CreateDate.Equal(*out.LoginProfile.CreateDate) {
		t.Errorf("GetLoginProfile = %+v, %v", got, err)
	}
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("bob")})
	apiError(t, err, "NoSuchEntity", "Login Profile for User bob cannot be found.")
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	apiError(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")

	// A custom policy.
	_, err = c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	apiError(t, err, "NoSuchEntity", "The Password Policy with domain name "+e.app.AccountID()+" cannot be found.")
	if _, err := c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12),
		RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
		AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p := pol.PasswordPolicy
	if aws.ToInt32(p.MinimumPasswordLength) != 12 || !p.RequireSymbols || !p.RequireNumbers || !p.RequireUppercaseCharacters ||
		!p.RequireLowercaseCharacters || !p.AllowUsersToChangePassword || !p.ExpirePasswords || aws.ToInt32(p.MaxPasswordAge) != 90 ||
		aws.ToInt32(p.PasswordReusePrevention) != 2 || aws.ToBool(p.HardExpiry) {
		t.Errorf("GetAccountPasswordPolicy = %+v", p)
	}
	_, err = c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")

	update := func(pw string) error {
		_, err := c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String(pw)})
		return err
	}
	for _, bad := range []string{"Short-1a", "no-upper-case-1", "NO-LOWER-CASE-1", "No-Numbers-Here", "NoSymbols12345"} {
		apiError(t, update(bad), "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	}
	apiError(t, update("Correct-Horse-1"), "PasswordPolicyViolation", "Policy constraint violation with password reuse prevention during password change.")
	if err := update("Battery-Staple-2"); err != nil {
		t.Fatalf("UpdateLoginProfile: %v", err)
	}
	apiError(t, update("Correct-Horse-1"), "PasswordPolicyViolation", "Policy constraint violation with password reuse prevention during password change.")
	if _, err := c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("alice"), PasswordResetRequired: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")}); got == nil || got.LoginProfile.PasswordResetRequired {
		t.Errorf("PasswordResetRequired still set after UpdateLoginProfile: %+v", got)
	}
	_, err = c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("bob"), PasswordResetRequired: aws.Bool(true)})
	apiError(t, err, "NoSuchEntity", "Login Profile for User bob cannot be found.")

	// ChangePassword is for IAM users only.
	_, err = c.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Battery-Staple-2"), NewPassword: aws.String("Another-Pass-3")})
	apiError(t, err, "InvalidUserType", "Only IAM Users can change their own password.")

	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
	if _, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("alice")})
	apiError(t, err, "NoSuchEntity", "Login Profile for User alice cannot be found.")
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Errorf("DeleteUser without login profile: %v", err)
	}

	// Deleting the policy brings AWS's default back.
	if _, err := c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	apiError(t, err, "NoSuchEntity", "The Password Policy with domain name "+e.app.AccountID()+" cannot be found.")
	if _, err := create("bob", "Simple-pass9", false); err != nil {
		t.Errorf("CreateLoginProfile under the default policy: %v", err)
	}
	// A policy set with no settings has AWS's defaults: minimum length 6.
	if _, err := c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	if pol, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); err != nil ||
		aws.ToInt32(pol.PasswordPolicy.MinimumPasswordLength) != 6 || pol.PasswordPolicy.ExpirePasswords ||
		pol.PasswordPolicy.MaxPasswordAge != nil || pol.PasswordPolicy.PasswordReusePrevention != nil {
		t.Errorf("GetAccountPasswordPolicy(defaults) = %+v, %v", pol, err)
	}
}
