package iam

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"time"

	"github.com/pquerna/otp"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// VirtualMFADevice is the IAM model's VirtualMFADevice shape. The blobs
// are base64 text, as the query protocol carries them; they are set only
// in CreateVirtualMFADevice's result.
type VirtualMFADevice struct {
	SerialNumber     string
	Base32StringSeed string     `xml:",omitempty"`
	QRCodePNG        string     `xml:",omitempty"`
	User             *User      `xml:",omitempty"`
	EnableDate       *time.Time `xml:",omitempty"`
	Tags             TagList    `xml:",omitempty"`
}

// MFADevice is the IAM model's MFADevice shape (an enabled device).
type MFADevice struct {
	UserName     string
	SerialNumber string
	EnableDate   time.Time
}

// MFA messages, as AWS words them.
const (
	msgInvalidAuthCode  = "Authentication code for device is not valid."
	msgMFAInUse         = "MFA Device is already in use."
	msgMFAInvalidForUse = "MFA Device invalid for user."
	msgMFADeleteInUse   = "MFA VirtualDevice in use. Must deactivate first."
	msgMFAExists        = "MFADevice entity at the same path and name already exists."
	// The STS messages of a failed MFA check (reference §1.2), spacing
	// included.
	msgMFAInvalidCode = awserr.MsgMFAInvalidCode
	msgMFAUnknown     = awserr.MsgMFAUnknownDevice
)

func noSuchMFADevice(serial string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "VirtualMFADevice with serial number %s does not exist.", serial)
}

// errReplay is UpdateMFADevice's refusal of a code already used.
var errReplay = errors.New("iam: MFA code already used")

// mfaIdentity is whose MFA devices an operation addresses: the named user,
// or without a name the caller (the account id for the root). name is the
// user name ("" for the root).
func (s *Service) mfaIdentity(ctx context.Context, call *identity.Call, userName string) (id, name string, err error) {
	if userName != "" {
		u, err := s.getUser(ctx, userName)
		if err != nil {
			return "", "", err
		}
		return u.ID, u.Name, nil
	}
	p := call.Caller
	switch {
	case p.IsRoot():
		return s.account, "", nil
	case p.Type == identity.IAMUser:
		return p.UserID, p.UserName, nil
	}
	return "", "", awserr.Errorf(awserr.ValidationError, "Must specify userName when calling with non-User credentials")
}

// getMFADevice loads a device of the account by serial number.
func (s *Service) getMFADevice(ctx context.Context, serial string) (store.MFADevice, error) {
	d, err := s.st.GetMFADevice(ctx, s.account, serial)
	if isNotFound(err) {
		return store.MFADevice{}, noSuchMFADevice(serial)
	}
	return d, err
}

// CreateVirtualMFADeviceInput is CreateVirtualMFADevice's request.
type CreateVirtualMFADeviceInput struct {
	Path                 string
	VirtualMFADeviceName string
	Tags                 []Tag
}

// CreateVirtualMFADeviceOutput is CreateVirtualMFADevice's result.
type CreateVirtualMFADeviceOutput struct {
	VirtualMFADevice VirtualMFADevice
}

// CreateVirtualMFADevice creates an unassigned virtual MFA device with a
// new TOTP seed, returned once as Base32StringSeed and as a QR code of the
// otpauth:// URI.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, call *identity.Call, in *CreateVirtualMFADeviceInput) (*CreateVirtualMFADeviceOutput, error) {
	tags, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	path := defaultPath(in.Path)
	d := store.MFADevice{
		AccountID:    s.account,
		SerialNumber: s.arn("mfa", path, in.VirtualMFADeviceName),
		Name:         in.VirtualMFADeviceName,
		Path:         path,
		Seed:         secret.New(newTOTPSeed()),
		Tags:         tags,
		CreatedAt:    s.timestamp(),
	}
	// The label names the device and who created it: the calling user, or
	// the account.
	holder := s.account
	if p := call.Caller; p != nil && p.Type == identity.IAMUser && p.UserName != "" {
		holder = p.UserName
	}
	qr, err := mfaQRCode(in.VirtualMFADeviceName+"@"+holder, d.Seed)
	if err != nil {
		return nil, awserr.Internal(err)
	}
	if err := s.st.CreateMFADevice(ctx, d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, msgMFAExists).WithCause(err)
		}
		return nil, err
	}
	return &CreateVirtualMFADeviceOutput{VirtualMFADevice: VirtualMFADevice{
		SerialNumber:     d.SerialNumber,
		Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(d.Seed.Reveal())),
		QRCodePNG:        base64.StdEncoding.EncodeToString(qr),
		Tags:             tagsOut(d.Tags),
	}}, nil
}

// mfaQRCode renders the PNG QR code of otpauth://totp/<label>?secret=<seed>.
func mfaQRCode(label string, seed secret.String) ([]byte, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: "secret=" + seed.Reveal()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("iam: otpauth URI: %w", err)
	}
	img, err := key.Image(MFAQRCodeSize, MFAQRCodeSize)
	if err != nil {
		return nil, fmt.Errorf("iam: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("iam: QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// EnableMFADeviceInput is EnableMFADevice's (and ResyncMFADevice's) request.
type EnableMFADeviceInput struct {
	UserName            string
	SerialNumber        string
	AuthenticationCode1 string
	AuthenticationCode2 string
}

// EnableMFADevice assigns a virtual MFA device to a user once the user
// proves possession with two consecutive codes.
func (s *Service) EnableMFADevice(ctx context.Context, _ *identity.Call, in *EnableMFADeviceInput) (*struct{}, error) {
	u, err := s.getUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	now := s.now()
	_, err = s.st.UpdateMFADevice(ctx, s.account, in.SerialNumber, MFADevicesPerUser, func(d *store.MFADevice) error {
		if d.Assigned() {
			return awserr.Errorf(awserr.EntityAlreadyExists, msgMFAInUse)
		}
		e := timeStep(now)
		step, ok := findConsecutive(d.Seed.Reveal(), in.AuthenticationCode1, in.AuthenticationCode2,
			e-1, e-MFAEnableWindow, e+MFAVerifyWindow-1)
		// A re-enabled device keeps LastStep: codes it accepted stay spent.
		if !ok || step+1 <= d.LastStep {
			return awserr.Errorf(awserr.InvalidAuthenticationCode, msgInvalidAuthCode)
		}
		d.UserID = u.ID
		d.EnabledAt = now.UTC().Truncate(time.Second)
		d.LastStep = step + 1
		d.Drift = 0
		return nil
	})
	switch {
	case isNotFound(err):
		return nil, noSuchMFADevice(in.SerialNumber)
	case errors.Is(err, store.ErrLimit):
		return nil, awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for MFADevicesPerUser: %d", MFADevicesPerUser).WithCause(err)
	}
	return nil, err
}

// ResyncMFADevice re-measures a device's clock drift from two consecutive
// codes searched MFAResyncWindow steps either way.
func (s *Service) ResyncMFADevice(ctx context.Context, _ *identity.Call, in *EnableMFADeviceInput) (*struct{}, error) {
	u, err := s.getUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	now := s.now()
	_, err = s.st.UpdateMFADevice(ctx, s.account, in.SerialNumber, MFADevicesPerUser, func(d *store.MFADevice) error {
		if d.UserID != u.ID {
			return awserr.Errorf(awserr.NoSuchEntity, msgMFAInvalidForUse)
		}
		e := timeStep(now)
		step, ok := findConsecutive(d.Seed.Reveal(), in.AuthenticationCode1, in.AuthenticationCode2,
			e-1, e-1-MFAResyncWindow, e-1+MFAResyncWindow)
		if !ok || step+1 <= d.LastStep {
			return awserr.Errorf(awserr.InvalidAuthenticationCode, msgInvalidAuthCode)
		}
		d.LastStep = step + 1
		d.Drift = step + 1 - e
		return nil
	})
	if isNotFound(err) {
		return nil, noSuchMFADevice(in.SerialNumber)
	}
	if err == nil {
		// Proof of possession (two consecutive codes), asked by whoever
		// may resync the device: the way out of a guessing lockout.
		s.ClearMFALockout(in.SerialNumber)
	}
	return nil, err
}

// DeactivateMFADeviceInput is DeactivateMFADevice's request.
type DeactivateMFADeviceInput struct {
	UserName     string
	SerialNumber string
}

// DeactivateMFADevice unassigns a device from its user; the virtual device
// remains, unassigned, until DeleteVirtualMFADevice.
func (s *Service) DeactivateMFADevice(ctx context.Context, call *identity.Call, in *DeactivateMFADeviceInput) (*struct{}, error) {
	id, _, err := s.mfaIdentity(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	_, err = s.st.UpdateMFADevice(ctx, s.account, in.SerialNumber, MFADevicesPerUser, func(d *store.MFADevice) error {
		if d.UserID != id {
			return awserr.Errorf(awserr.NoSuchEntity, msgMFAInvalidForUse)
		}
		d.UserID, d.EnabledAt, d.Drift = "", time.Time{}, 0
		return nil // LastStep stays: a code used before stays used
	})
	if isNotFound(err) {
		return nil, noSuchMFADevice(in.SerialNumber)
	}
	return nil, err
}

// DeleteVirtualMFADeviceInput is DeleteVirtualMFADevice's request.
type DeleteVirtualMFADeviceInput struct {
	SerialNumber string
}

// DeleteVirtualMFADevice deletes an unassigned virtual device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, _ *identity.Call, in *DeleteVirtualMFADeviceInput) (*struct{}, error) {
	err := s.st.DeleteMFADevice(ctx, s.account, in.SerialNumber)
	switch {
	case isNotFound(err):
		return nil, noSuchMFADevice(in.SerialNumber)
	case errors.Is(err, store.ErrHasDependents):
		return nil, awserr.Errorf(awserr.DeleteConflict, msgMFADeleteInUse).WithCause(err)
	}
	return nil, err
}

// ListMFADevicesInput is ListMFADevices' request.
type ListMFADevicesInput struct {
	UserName string
	Marker   string
	MaxItems *int32
}

// ListMFADevicesOutput is ListMFADevices' result.
type ListMFADevicesOutput struct {
	MFADevices []MFADevice `xml:"MFADevices>member"`
	Paging
}

// ListMFADevices lists the devices enabled for a user (without UserName:
// for the caller).
func (s *Service) ListMFADevices(ctx context.Context, call *identity.Call, in *ListMFADevicesInput) (*ListMFADevicesOutput, error) {
	id, name, err := s.mfaIdentity(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	opt := listOptions(in.Marker, in.MaxItems, "")
	page, err := s.st.ListMFADevices(ctx, s.account, store.MFAListOptions{UserID: id, Marker: opt.Marker, Limit: opt.Limit})
	if err != nil {
		return nil, err
	}
	out := &ListMFADevicesOutput{MFADevices: []MFADevice{}, Paging: paging(page.Next)}
	for _, d := range page.Items {
		out.MFADevices = append(out.MFADevices, s.mfaDeviceOut(d, name))
	}
	return out, nil
}

func (s *Service) mfaDeviceOut(d store.MFADevice, userName string) MFADevice {
	if userName == "" {
		userName = d.UserName
	}
	if userName == "" { // the root
		userName = s.account
	}
	return MFADevice{UserName: userName, SerialNumber: d.SerialNumber, EnableDate: d.EnabledAt}
}

// ListVirtualMFADevicesInput is ListVirtualMFADevices' request.
type ListVirtualMFADevicesInput struct {
	AssignmentStatus string
	Marker           string
	MaxItems         *int32
}

// ListVirtualMFADevicesOutput is ListVirtualMFADevices' result.
type ListVirtualMFADevicesOutput struct {
	VirtualMFADevices []VirtualMFADevice `xml:"VirtualMFADevices>member"`
	Paging
}

// ListVirtualMFADevices lists the account's virtual devices by assignment
// status (default Any), with the assigned user.
func (s *Service) ListVirtualMFADevices(ctx context.Context, _ *identity.Call, in *ListVirtualMFADevicesInput) (*ListVirtualMFADevicesOutput, error) {
	status := store.MFAAssignment(in.AssignmentStatus)
	if status == "" {
		status = store.MFAAny
	}
	opt := listOptions(in.Marker, in.MaxItems, "")
	page, err := s.st.ListMFADevices(ctx, s.account, store.MFAListOptions{Assignment: status, Marker: opt.Marker, Limit: opt.Limit})
	if err != nil {
		return nil, err
	}
	out := &ListVirtualMFADevicesOutput{VirtualMFADevices: []VirtualMFADevice{}, Paging: paging(page.Next)}
	for _, d := range page.Items {
		v := VirtualMFADevice{SerialNumber: d.SerialNumber, Tags: tagsOut(d.Tags)}
		if d.Assigned() {
			v.EnableDate = timePtr(d.EnabledAt)
			user, err := s.mfaUserOut(ctx, d.UserID)
			if err != nil {
				return nil, err
			}
			v.User = user
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, v)
	}
	return out, nil
}

// mfaUserOut is the User element of an assigned device: the user, or for
// the root its id, ARN and the account's creation date.
func (s *Service) mfaUserOut(ctx context.Context, id string) (*User, error) {
	if id == s.account {
		a, err := s.st.GetAccount(ctx)
		if err != nil {
			return nil, err
		}
		return &User{UserId: s.account, Arn: "arn:aws:iam::" + s.account + ":root", CreateDate: a.CreatedAt}, nil
	}
	u, err := s.st.GetUserByID(ctx, s.account, id)
	if isNotFound(err) {
		return &User{UserId: id}, nil // deleted meanwhile; the next listing will not show it assigned
	}
	if err != nil {
		return nil, err
	}
	out := s.userOut(u, false)
	return &out, nil
}

// MFADeviceTagsInput is TagMFADevice's request.
type MFADeviceTagsInput struct {
	SerialNumber string
	Tags         []Tag
	TagKeys      []string
	Marker       string
	MaxItems     *int32
}

// TagMFADevice adds or replaces tags of a virtual MFA device.
func (s *Service) TagMFADevice(ctx context.Context, _ *identity.Call, in *MFADeviceTagsInput) (*struct{}, error) {
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, s.updateMFATags(ctx, in.SerialNumber, func(have []store.Tag) ([]store.Tag, error) {
		return mergeTags(have, add, "MFADevice")
	})
}

// UntagMFADevice removes tags of a virtual MFA device.
func (s *Service) UntagMFADevice(ctx context.Context, _ *identity.Call, in *MFADeviceTagsInput) (*struct{}, error) {
	return nil, s.updateMFATags(ctx, in.SerialNumber, func(have []store.Tag) ([]store.Tag, error) {
		return removeTags(have, in.TagKeys), nil
	})
}

func (s *Service) updateMFATags(ctx context.Context, serial string, fn func([]store.Tag) ([]store.Tag, error)) error {
	_, err := s.st.UpdateMFADevice(ctx, s.account, serial, MFADevicesPerUser, func(d *store.MFADevice) error {
		tags, err := fn(d.Tags)
		d.Tags = tags
		return err
	})
	if isNotFound(err) {
		return noSuchMFADevice(serial)
	}
	return err
}

// ListMFADeviceTags lists a virtual MFA device's tags.
func (s *Service) ListMFADeviceTags(ctx context.Context, _ *identity.Call, in *MFADeviceTagsInput) (*ListTagsOutput, error) {
	d, err := s.getMFADevice(ctx, in.SerialNumber)
	if err != nil {
		return nil, err
	}
	return listTags(d.Tags, in.Marker, in.MaxItems)
}

// VerifyMFA checks a one-time code of the MFA device serial for the
// identity principalID (a user's AIDA id, or the account id for the root)
// at now, for STS (GetSessionToken, AssumeRole with SerialNumber and
// TokenCode). The device must be enabled for that identity; the code must
// be its code for one of the MFAVerifyWindow steps around now (corrected
// by the drift measured at the last resync) and later than every code
// accepted before: a code is accepted at most once, even by concurrent
// requests on different nodes.
//
// Errors are AWS's AccessDenied: "MultiFactorAuthentication failed, unable
// to validate MFA code.  Please verify your MFA serial number is valid and
// associated with this user." for an unknown device or one not enabled for
// the identity; "MultiFactorAuthentication failed with invalid MFA one time
// pass code. " for a wrong or reused code.
func (s *Service) VerifyMFA(ctx context.Context, principalID, serial, code string, now time.Time) error {
	key := mfaKey(serial)
	if s.guess.mfa.Locked(key, now) {
		// Checked before the store: a locked device costs no work, and
		// refuses the right code as it does a wrong one.
		s.lockedRefusal(LockoutMFA)
		return awserr.Errorf(awserr.AccessDenied, msgMFAInvalidCode).WithCause(errLockedOut)
	}
	var userName string
	_, err := s.st.UpdateMFADevice(ctx, s.account, serial, MFADevicesPerUser, func(d *store.MFADevice) error {
		userName = d.UserName
		if !d.Assigned() || d.UserID != principalID {
			return awserr.Errorf(awserr.AccessDenied, msgMFAUnknown)
		}
		e := timeStep(now) + d.Drift
		step, ok := findCode(d.Seed.Reveal(), code, e, max(e-MFAVerifyWindow, d.LastStep+1), e+MFAVerifyWindow)
		if !ok {
			if _, used := findCode(d.Seed.Reveal(), code, e, e-MFAVerifyWindow, e+MFAVerifyWindow); used {
				return awserr.Errorf(awserr.AccessDenied, msgMFAInvalidCode).WithCause(errReplay)
			}
			return awserr.Errorf(awserr.AccessDenied, msgMFAInvalidCode).WithCause(errWrongCode)
		}
		d.LastStep = step
		return nil
	})
	switch {
	case isNotFound(err):
		return awserr.Errorf(awserr.AccessDenied, msgMFAUnknown).WithCause(err)
	case errors.Is(err, errWrongCode) || errors.Is(err, errReplay):
		// Only a device enabled for the caller counts failures, so no one
		// can lock out another identity's device.
		if locked, until := s.guess.mfa.Fail(key, now); locked {
			s.lockedOut(ctx, Lockout{Kind: LockoutMFA, UserName: userName, UserID: principalID, SerialNumber: serial, Failures: MFAMaxFailures, Until: until})
		}
	case err == nil:
		s.guess.mfa.Succeeded(key, now)
	}
	return err
}

// EnabledMFADevices returns the MFA devices enabled for the identity
// principalID (a user's AIDA id, or the account id for the root), ordered
// by serial number.
func (s *Service) EnabledMFADevices(ctx context.Context, principalID string) ([]MFADevice, error) {
	var out []MFADevice
	opt := store.MFAListOptions{UserID: principalID, Limit: MFADevicesPerUser}
	for {
		page, err := s.st.ListMFADevices(ctx, s.account, opt)
		if err != nil {
			return nil, err
		}
		for _, d := range page.Items {
			out = append(out, s.mfaDeviceOut(d, ""))
		}
		if page.Next == "" {
			return out, nil
		}
		opt.Marker = page.Next
	}
}

// GetMFADeviceInput is GetMFADevice's request.
type GetMFADeviceInput struct {
	SerialNumber string
	UserName     string
}

// GetMFADeviceOutput is GetMFADevice's result (Certifications are for FIDO
// keys only, which Castellan does not have).
type GetMFADeviceOutput struct {
	UserName     string `xml:",omitempty"`
	SerialNumber string
	EnableDate   *time.Time `xml:",omitempty"`
}

// GetMFADevice describes an enabled MFA device (of UserName, when given).
func (s *Service) GetMFADevice(ctx context.Context, _ *identity.Call, in *GetMFADeviceInput) (*GetMFADeviceOutput, error) {
	d, err := s.getMFADevice(ctx, in.SerialNumber)
	if err != nil {
		return nil, err
	}
	if in.UserName != "" {
		u, err := s.getUser(ctx, in.UserName)
		if err != nil {
			return nil, err
		}
		if d.UserID != u.ID {
			return nil, awserr.Errorf(awserr.NoSuchEntity, msgMFAInvalidForUse)
		}
	}
	if !d.Assigned() {
		return nil, noSuchMFADevice(in.SerialNumber)
	}
	m := s.mfaDeviceOut(d, "")
	return &GetMFADeviceOutput{UserName: m.UserName, SerialNumber: m.SerialNumber, EnableDate: timePtr(m.EnableDate)}, nil
}
