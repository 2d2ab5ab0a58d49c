package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// credUser creates an IAM user directly in the store.
func credUser(t *testing.T, e *env, name string) store.User {
	t.Helper()
	u := store.User{AccountID: e.app.AccountID(), ID: awsid.NewUniqueID(awsid.User), Name: name, Path: "/",
		CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := e.app.Store().CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// totpAt is the six-digit code of a base32 seed at t.
func totpAt(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// stepStart is a time 5 s into the current TOTP step, near the real clock
// so that SigV4's skew check passes when the server's clock is frozen at it.
func stepStart() time.Time { return time.Now().UTC().Truncate(30 * time.Second).Add(5 * time.Second) }

func createMFA(t *testing.T, c *iam.Client, name, path string) (serial, seed string, qr []byte) {
	t.Helper()
	in := &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := c.CreateVirtualMFADevice(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateVirtualMFADevice(%s): %v", name, err)
	}
	d := out.VirtualMFADevice
	return aws.ToString(d.SerialNumber), string(d.Base32StringSeed), d.QRCodePNG
}

func TestIAMVirtualMFADevice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()
	credUser(t, e, "alice")
	mfaT0 := stepStart()
	e.clock.Set(mfaT0)

	out, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone"),
		Path: aws.String("/eng/"), Tags: []iamtypes.Tag{{Key: aws.String("kind"), Value: aws.String("phone")}}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.VirtualMFADevice
	serial, seed := aws.ToString(d.SerialNumber), string(d.Base32StringSeed)
	if want := "arn:aws:iam::" + acct + ":mfa/eng/alice-phone"; serial != want {
		t.Errorf("SerialNumber = %q, want %q", serial, want)
	}
	if len(seed) != 64 || strings.Trim(seed, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Errorf("Base32StringSeed = %q, want 64 base32 characters", seed)
	}
	if ct := http.DetectContentType(d.QRCodePNG); ct != "image/png" {
		t.Errorf("QRCodePNG content type = %q, want image/png", ct)
	}
	if img, err := png.Decode(bytes.NewReader(d.QRCodePNG)); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("QRCodePNG does not decode as a PNG image: %v", err)
	}
	if len(d.Tags) != 1 {
		t.Errorf("Tags = %v", d.Tags)
	}

	_, err = c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ALICE-phone"), Path: aws.String("/eng/")})
	apiError(t, err, "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")

	enable := func(user, serial, c1, c2 string) error {
		_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	prev, now, next := totpAt(t, seed, mfaT0.Add(-30*time.Second)), totpAt(t, seed, mfaT0), totpAt(t, seed, mfaT0.Add(30*time.Second))

	t.Run("EnableErrors", func(t *testing.T) {
		apiError(t, enable("alice", serial, now, prev), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
		apiError(t, enable("alice", serial, now, now), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
		far := totpAt(t, seed, mfaT0.Add(10*time.Minute))
		farNext := totpAt(t, seed, mfaT0.Add(10*time.Minute+30*time.Second))
		apiError(t, enable("alice", serial, far, farNext), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
		apiError(t, enable("nobody", serial, prev, now), "NoSuchEntity", "The user with name nobody cannot be found.")
		missing := "arn:aws:iam::" + acct + ":mfa/missing"
		apiError(t, enable("alice", missing, prev, now), "NoSuchEntity", "VirtualMFADevice with serial number "+missing+" does not exist.")
		_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String("12345"), AuthenticationCode2: aws.String(now)})
		apiError(t, err, "ValidationError", "^1 validation error detected: Value '12345' at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6$")
	})

	// Codes for T and T+30 s, entered at T: the second is one step ahead.
	if err := enable("alice", serial, now, next); err != nil {
		t.Fatalf("EnableMFADevice: %v", err)
	}
	apiError(t, enable("alice", serial, now, next), "EntityAlreadyExists", "MFA Device is already in use.")

	list, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.MFADevices) != 1 || aws.ToString(list.MFADevices[0].SerialNumber) != serial ||
		aws.ToString(list.MFADevices[0].UserName) != "alice" || !list.MFADevices[0].EnableDate.Equal(mfaT0.Truncate(time.Second)) {
		t.Errorf("ListMFADevices(alice) = %+v", list.MFADevices)
	}
	if got, err := c.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil ||
		aws.ToString(got.UserName) != "alice" || aws.ToString(got.SerialNumber) != serial || got.EnableDate == nil {
		t.Errorf("GetMFADevice = %+v, %v", got, err)
	}
	if root, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil || len(root.MFADevices) != 0 || root.IsTruncated {
		t.Errorf("ListMFADevices(root) = %+v, %v; want none", root, err)
	}
	_, err = c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("nobody")})
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	// A second, unassigned device.
	spare, _, _ := createMFA(t, c, "spare", "")
	virtual := func(status iamtypes.AssignmentStatusType) []iamtypes.VirtualMFADevice {
		t.Helper()
		out, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: status})
		if err != nil {
			t.Fatal(err)
		}
		return out.VirtualMFADevices
	}
	if got := virtual(iamtypes.AssignmentStatusTypeAssigned); len(got) != 1 || aws.ToString(got[0].SerialNumber) != serial ||
		got[0].User == nil || aws.ToString(got[0].User.UserName) != "alice" || got[0].EnableDate == nil || got[0].Base32StringSeed != nil {
		t.Errorf("ListVirtualMFADevices(Assigned) = %+v", got)
	}
	if got := virtual(iamtypes.AssignmentStatusTypeUnassigned); len(got) != 1 || aws.ToString(got[0].SerialNumber) != spare || got[0].User != nil {
		t.Errorf("ListVirtualMFADevices(Unassigned) = %+v", got)
	}
	if got := virtual(""); len(got) != 2 {
		t.Errorf("ListVirtualMFADevices() = %d devices, want 2", len(got))
	}
	page, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAny, MaxItems: aws.Int32(1)})
	if err != nil || len(page.VirtualMFADevices) != 1 || !page.IsTruncated || aws.ToString(page.Marker) == "" {
		t.Errorf("ListVirtualMFADevices(MaxItems 1) = %+v, %v", page, err)
	} else if rest, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{Marker: page.Marker}); err != nil ||
		len(rest.VirtualMFADevices) != 1 || rest.IsTruncated {
		t.Errorf("ListVirtualMFADevices(Marker) = %+v, %v", rest, err)
	}
	_, err = c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: "Some"})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value 'Some' at 'assignmentStatus'")

	_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	apiError(t, err, "DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.")
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete MFA device first.")

	// Resync: the device's clock runs eight minutes ahead.
	resync := func(c1, c2 time.Time) error {
		_, err := c.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(totpAt(t, seed, c1)), AuthenticationCode2: aws.String(totpAt(t, seed, c2))})
		return err
	}
	e.clock.Set(mfaT0.Add(5 * time.Minute))
	ahead := mfaT0.Add(13 * time.Minute)
	apiError(t, resync(ahead.Add(time.Hour), ahead.Add(time.Hour+30*time.Second)), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	if err := resync(ahead, ahead.Add(30*time.Second)); err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}
	_, err = c.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(spare),
		AuthenticationCode1: aws.String(now), AuthenticationCode2: aws.String(next)})
	apiError(t, err, "NoSuchEntity", "MFA Device invalid for user.")

	// Tags.
	if _, err := c.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(serial),
		Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("alice")}, {Key: aws.String("KIND"), Value: aws.String("app")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(serial), TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "KIND" || aws.ToString(tags.Tags[0].Value) != "app" {
		t.Errorf("ListMFADeviceTags = %+v, %v", tags, err)
	}
	_, err = c.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String("arn:aws:iam::" + acct + ":mfa/none")})
	apiError(t, err, "NoSuchEntity", "VirtualMFADevice with serial number arn:aws:iam::"+acct+":mfa/none does not exist.")

	// Deactivate, then delete.
	deactivate := func(user, serial string) error {
		_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial)})
		return err
	}
	apiError(t, deactivate("alice", spare), "NoSuchEntity", "MFA Device invalid for user.")
	_, err = c.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(spare)})
	apiError(t, err, "NoSuchEntity", "VirtualMFADevice with serial number "+spare+" does not exist.")
	if err := deactivate("alice", serial); err != nil {
		t.Fatalf("DeactivateMFADevice: %v", err)
	}
	apiError(t, deactivate("alice", serial), "NoSuchEntity", "MFA Device invalid for user.")
	if got := virtual(iamtypes.AssignmentStatusTypeAssigned); len(got) != 0 {
		t.Errorf("after DeactivateMFADevice, assigned devices = %+v", got)
	}
	for _, s := range []string{serial, spare} {
		if _, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(s)}); err != nil {
			t.Fatalf("DeleteVirtualMFADevice(%s): %v", s, err)
		}
	}
	_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	apiError(t, err, "NoSuchEntity", "VirtualMFADevice with serial number "+serial+" does not exist.")
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Errorf("DeleteUser after the device is gone: %v", err)
	}
}

func TestIAMMFADevicesPerUserLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	credUser(t, e, "bob")
	mfaT0 := stepStart()
	e.clock.Set(mfaT0)
	for i := range 9 {
		serial, seed, _ := createMFA(t, c, fmt.Sprintf("bob-%d", i), "")
		_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(totpAt(t, seed, mfaT0.Add(-30*time.Second))), AuthenticationCode2: aws.String(totpAt(t, seed, mfaT0))})
		if i < 8 && err != nil {
			t.Fatalf("EnableMFADevice #%d: %v", i+1, err)
		}
		if i == 8 {
			apiError(t, err, "LimitExceeded", "Cannot exceed quota for MFADevicesPerUser: 8")
		}
	}
	list, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob"), MaxItems: aws.Int32(5)})
	if err != nil || len(list.MFADevices) != 5 || !list.IsTruncated {
		t.Fatalf("ListMFADevices(MaxItems 5) = %+v, %v", list, err)
	}
	rest, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob"), Marker: list.Marker})
	if err != nil || len(rest.MFADevices) != 3 || rest.IsTruncated {
		t.Errorf("ListMFADevices(Marker) = %+v, %v", rest, err)
	}
}

// TestIAMMFAOnlyRoot: until the policy engine lands, users cannot manage
// MFA devices through IAM.
func TestIAMMFAOnlyRoot(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := credUser(t, e, "carol")
	k := store.AccessKey{AccountID: e.app.AccountID(), ID: awsid.NewAccessKeyID(awsid.LongTermKey, e.app.AccountID()),
		UserID: u.ID, UserName: u.Name, Status: store.KeyActive, CreatedAt: time.Now().UTC()}
	k.Secret = secret.New(awsid.NewSecretAccessKey())
	if err := e.app.Store().CreateAccessKey(ctx, k, 2); err != nil {
		t.Fatal(err)
	}
	_, err := e.iam(aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret.Reveal()}).
		CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("x")})
	apiError(t, err, "AccessDenied", "^User: arn:aws:iam::"+e.app.AccountID()+":user/carol is not authorized to perform: iam:CreateVirtualMFADevice")
}
