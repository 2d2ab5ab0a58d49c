package iam

import (
	"context"
	"errors"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/secret"
	"github.com/castellan-sts/castellan/internal/store"
)

// keyOwner is whose keys an access-key operation addresses: the named user,
// or without a name the caller (userID "" for the root).
func (s *Service) keyOwner(ctx context.Context, call *identity.Call, userName string) (userID, name string, err error) {
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
		return "", "", nil
	case p.Type == identity.IAMUser && p.Session == nil:
		return p.UserID, p.UserName, nil
	}
	return "", "", awserr.Errorf(awserr.ValidationError, "Must specify userName when calling with non-User credentials")
}

func noSuchKey(id string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// ownedKey loads a key and checks it belongs to the owner.
func (s *Service) ownedKey(ctx context.Context, call *identity.Call, userName, keyID string) (store.AccessKey, error) {
	uid, _, err := s.keyOwner(ctx, call, userName)
	if err != nil {
		return store.AccessKey{}, err
	}
	k, err := s.st.GetAccessKey(ctx, keyID)
	if isNotFound(err) || err == nil && (k.AccountID != s.account || k.UserID != uid) {
		return store.AccessKey{}, noSuchKey(keyID)
	}
	return k, err
}

// AccessKey is the IAM model's AccessKey shape: the only place a secret
// access key is ever returned.
type AccessKey struct {
	UserName        string `xml:",omitempty"`
	AccessKeyId     string
	Status          string
	SecretAccessKey string
	CreateDate      time.Time
}

// CreateAccessKeyInput is CreateAccessKey's request.
type CreateAccessKeyInput struct{ UserName string }

// CreateAccessKeyOutput is CreateAccessKey's result.
type CreateAccessKeyOutput struct{ AccessKey AccessKey }

// CreateAccessKey creates an access key for the named user or the caller.
// The AccessKeysPerUser quota counts inactive keys and holds under
// concurrency (the store checks it in the inserting transaction).
func (s *Service) CreateAccessKey(ctx context.Context, call *identity.Call, in *CreateAccessKeyInput) (*CreateAccessKeyOutput, error) {
	uid, name, err := s.keyOwner(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	sec := awsid.NewSecretAccessKey()
	k := store.AccessKey{
		AccountID: s.account, ID: awsid.NewAccessKeyID(awsid.LongTermKey, s.account), UserID: uid,
		Secret: secret.New(sec), Status: store.KeyActive, CreatedAt: s.timestamp(),
	}
	err = s.st.CreateAccessKey(ctx, k, AccessKeysPerUser)
	switch {
	case errors.Is(err, store.ErrLimit):
		return nil, awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", AccessKeysPerUser)
	case isNotFound(err):
		return nil, noSuchUser(in.UserName)
	case err != nil:
		return nil, err
	}
	// A "no such key" verdict may be cached for this id.
	s.invalidate(k.ID)
	return &CreateAccessKeyOutput{AccessKey: AccessKey{UserName: name, AccessKeyId: k.ID, Status: string(k.Status),
		SecretAccessKey: sec, CreateDate: k.CreatedAt}}, nil
}

// AccessKeyMetadata is the IAM model's AccessKeyMetadata shape.
type AccessKeyMetadata struct {
	UserName    string `xml:",omitempty"`
	AccessKeyId string
	Status      string
	CreateDate  time.Time
}

// ListAccessKeysInput is ListAccessKeys' request.
type ListAccessKeysInput struct {
	UserName string
	Marker   string
	MaxItems *int32
}

// ListAccessKeysOutput is ListAccessKeys' result.
type ListAccessKeysOutput struct {
	AccessKeyMetadata []AccessKeyMetadata `xml:"AccessKeyMetadata>member"`
	Paging
}

// ListAccessKeys lists the keys of the named user or the caller, oldest first.
func (s *Service) ListAccessKeys(ctx context.Context, call *identity.Call, in *ListAccessKeysInput) (*ListAccessKeysOutput, error) {
	uid, name, err := s.keyOwner(ctx, call, in.UserName)
	if err != nil {
		return nil, err
	}
	keys, err := s.st.ListAccessKeys(ctx, s.account, uid)
	if err != nil {
		return nil, err
	}
	md := make([]AccessKeyMetadata, 0, len(keys))
	for _, k := range keys {
		md = append(md, AccessKeyMetadata{UserName: name, AccessKeyId: k.ID, Status: string(k.Status), CreateDate: k.CreatedAt})
	}
	page, p, err := pageSlice(md, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListAccessKeysOutput{AccessKeyMetadata: page, Paging: p}, nil
}

// UpdateAccessKeyInput is UpdateAccessKey's request.
type UpdateAccessKeyInput struct {
	UserName    string
	AccessKeyId string
	Status      string
}

// UpdateAccessKey activates or deactivates a key. A deactivated key fails
// authentication from the next request on.
func (s *Service) UpdateAccessKey(ctx context.Context, call *identity.Call, in *UpdateAccessKeyInput) (*struct{}, error) {
	if _, err := s.ownedKey(ctx, call, in.UserName, in.AccessKeyId); err != nil {
		return nil, err
	}
	err := s.st.UpdateAccessKeyStatus(ctx, in.AccessKeyId, store.AccessKeyStatus(in.Status))
	if isNotFound(err) {
		return nil, noSuchKey(in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	s.invalidate(in.AccessKeyId)
	return nil, nil
}

// DeleteAccessKeyInput is DeleteAccessKey's request.
type DeleteAccessKeyInput struct {
	UserName    string
	AccessKeyId string
}

// DeleteAccessKey deletes a key; it fails authentication from the next
// request on.
func (s *Service) DeleteAccessKey(ctx context.Context, call *identity.Call, in *DeleteAccessKeyInput) (*struct{}, error) {
	if _, err := s.ownedKey(ctx, call, in.UserName, in.AccessKeyId); err != nil {
		return nil, err
	}
	err := s.st.DeleteAccessKey(ctx, in.AccessKeyId)
	if isNotFound(err) {
		return nil, noSuchKey(in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	s.invalidate(in.AccessKeyId)
	return nil, nil
}

// AccessKeyLastUsed is the IAM model's AccessKeyLastUsed shape; ServiceName
// and Region are "N/A" for a key never used.
type AccessKeyLastUsed struct {
	LastUsedDate *time.Time `xml:",omitempty"`
	ServiceName  string
	Region       string
}

// GetAccessKeyLastUsedInput is GetAccessKeyLastUsed's request.
type GetAccessKeyLastUsedInput struct{ AccessKeyId string }

// GetAccessKeyLastUsedOutput is GetAccessKeyLastUsed's result.
type GetAccessKeyLastUsedOutput struct {
	UserName          string `xml:",omitempty"`
	AccessKeyLastUsed AccessKeyLastUsed
}

// GetAccessKeyLastUsed reports when, where and for which service a key was
// last used. Uses are recorded coalesced (internal/authn), so the answer
// may lag a few seconds.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, _ *identity.Call, in *GetAccessKeyLastUsedInput) (*GetAccessKeyLastUsedOutput, error) {
	k, err := s.st.GetAccessKey(ctx, in.AccessKeyId)
	if isNotFound(err) || err == nil && k.AccountID != s.account {
		return nil, noSuchKey(in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedOutput{UserName: k.UserName,
		AccessKeyLastUsed: AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt.UTC().Truncate(time.Second)
		out.AccessKeyLastUsed = AccessKeyLastUsed{LastUsedDate: &t, ServiceName: k.LastUsedService, Region: k.LastUsedRegion}
	}
	return out, nil
}
