package iam

import (
	"context"
	"errors"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// User is the IAM model's User shape. For the account's root (GetUser by
// root without UserName) only UserId, Arn and CreateDate are set, as AWS
// does.
type User struct {
	Path                string `xml:",omitempty"`
	UserName            string `xml:",omitempty"`
	UserId              string
	Arn                 string
	CreateDate          time.Time
	PasswordLastUsed    *time.Time                   `xml:",omitempty"`
	PermissionsBoundary *AttachedPermissionsBoundary `xml:",omitempty"`
	Tags                TagList                      `xml:",omitempty"`
}

// userOut shapes a user; full adds the members listings leave out
// (PermissionsBoundary and Tags, as AWS's ListUsers does).
func (s *Service) userOut(u store.User, full bool) User {
	out := User{
		Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: s.arn("user", u.Path, u.Name),
		CreateDate: u.CreatedAt, PasswordLastUsed: timePtr(u.PasswordLastUsed),
	}
	if full {
		out.PermissionsBoundary = boundaryOut(u.PermissionsBoundary)
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

// getUser loads a user by name with AWS's NoSuchEntity.
func (s *Service) getUser(ctx context.Context, name string) (store.User, error) {
	u, err := s.st.GetUser(ctx, s.account, name)
	if isNotFound(err) {
		return store.User{}, noSuchUser(name)
	}
	return u, err
}

// CreateUserInput is CreateUser's request.
type CreateUserInput struct {
	Path                string
	UserName            string
	PermissionsBoundary string
	Tags                []Tag
}

// CreateUserOutput is CreateUser's result.
type CreateUserOutput struct{ User User }

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, _ *identity.Call, in *CreateUserInput) (*CreateUserOutput, error) {
	tags, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != "" {
		if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
			return nil, err
		}
	}
	u := store.User{
		AccountID: s.account, ID: awsid.NewUniqueID(awsid.User), Name: in.UserName,
		Path: defaultPath(in.Path), PermissionsBoundary: in.PermissionsBoundary, Tags: tags,
		CreatedAt: s.timestamp(),
	}
	if err := s.st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, "User with name %s already exists.", in.UserName)
		}
		return nil, err
	}
	return &CreateUserOutput{User: s.userOut(u, true)}, nil
}

// GetUserInput is GetUser's request.
type GetUserInput struct{ UserName string }

// GetUserOutput is GetUser's result.
type GetUserOutput struct{ User User }

// GetUser returns a user; without UserName, the caller (for the root: the
// root "user", arn:aws:iam::ACCT:root, whose UserId is the account id).
func (s *Service) GetUser(ctx context.Context, call *identity.Call, in *GetUserInput) (*GetUserOutput, error) {
	if in.UserName == "" {
		p := call.Caller
		switch {
		case p.IsRoot():
			acct, err := s.st.GetAccount(ctx)
			if err != nil {
				return nil, err
			}
			return &GetUserOutput{User: User{UserId: s.account, Arn: "arn:aws:iam::" + s.account + ":root", CreateDate: acct.CreatedAt.UTC().Truncate(time.Second)}}, nil
		case p.Type == identity.IAMUser:
			u, err := s.st.GetUserByID(ctx, s.account, p.UserID)
			if isNotFound(err) {
				return nil, noSuchUser(p.UserName)
			}
			if err != nil {
				return nil, err
			}
			return &GetUserOutput{User: s.userOut(u, true)}, nil
		default:
			return nil, awserr.Errorf(awserr.ValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err := s.getUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: s.userOut(u, true)}, nil
}

// ListUsersInput is ListUsers' request.
type ListUsersInput struct {
	PathPrefix string
	Marker     string
	MaxItems   *int32
}

// ListUsersOutput is ListUsers' result.
type ListUsersOutput struct {
	Users []User `xml:"Users>member"`
	Paging
}

// ListUsers pages the account's users ordered by name.
func (s *Service) ListUsers(ctx context.Context, _ *identity.Call, in *ListUsersInput) (*ListUsersOutput, error) {
	page, err := s.st.ListUsers(ctx, s.account, listOptions(in.Marker, in.MaxItems, in.PathPrefix))
	if err != nil {
		return nil, err
	}
	out := &ListUsersOutput{Users: make([]User, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, u := range page.Items {
		out.Users = append(out.Users, s.userOut(u, false))
	}
	return out, nil
}

// UpdateUserInput is UpdateUser's request.
type UpdateUserInput struct {
	UserName    string
	NewPath     string
	NewUserName string
}

// UpdateUser renames a user or moves it to another path, atomically.
func (s *Service) UpdateUser(ctx context.Context, _ *identity.Call, in *UpdateUserInput) (*struct{}, error) {
	_, err := s.st.UpdateUser(ctx, s.account, in.UserName, func(u *store.User) error {
		if in.NewUserName != "" {
			u.Name = in.NewUserName
		}
		if in.NewPath != "" {
			u.Path = in.NewPath
		}
		return nil
	})
	switch {
	case isNotFound(err):
		return nil, noSuchUser(in.UserName)
	case errors.Is(err, store.ErrConflict):
		return nil, awserr.Errorf(awserr.EntityAlreadyExists, "User with name %s already exists.", in.NewUserName)
	case err != nil:
		return nil, err
	}
	s.invalidateAll() // cached principals carry the user's name and ARN
	return nil, nil
}

// DeleteUserInput is DeleteUser's request.
type DeleteUserInput struct{ UserName string }

// DeleteUser deletes a user that has no access keys, policies, group
// memberships or other credentials left.
func (s *Service) DeleteUser(ctx context.Context, _ *identity.Call, in *DeleteUserInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	err := s.st.DeleteUser(ctx, s.account, in.UserName)
	if isNotFound(err) {
		return nil, noSuchUser(in.UserName)
	}
	if e, ok := deleteConflict(err); ok {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	s.invalidateAll()
	return nil, nil
}

// TagUserInput is TagUser's request.
type TagUserInput struct {
	UserName string
	Tags     []Tag
}

// TagUser adds or replaces tags of a user.
func (s *Service) TagUser(ctx context.Context, _ *identity.Call, in *TagUserInput) (*struct{}, error) {
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = s.st.UpdateUser(ctx, s.account, in.UserName, func(u *store.User) error {
		u.Tags, err = mergeTags(u.Tags, add, "User")
		return err
	})
	if isNotFound(err) {
		return nil, noSuchUser(in.UserName)
	}
	if err != nil {
		return nil, err
	}
	s.invalidateAll() // principals carry aws:PrincipalTag values
	return nil, nil
}

// UntagUserInput is UntagUser's request.
type UntagUserInput struct {
	UserName string
	TagKeys  []string
}

// UntagUser removes tags of a user.
func (s *Service) UntagUser(ctx context.Context, _ *identity.Call, in *UntagUserInput) (*struct{}, error) {
	_, err := s.st.UpdateUser(ctx, s.account, in.UserName, func(u *store.User) error {
		u.Tags = removeTags(u.Tags, in.TagKeys)
		return nil
	})
	if isNotFound(err) {
		return nil, noSuchUser(in.UserName)
	}
	if err != nil {
		return nil, err
	}
	s.invalidateAll()
	return nil, nil
}

// ListUserTagsInput is ListUserTags' request.
type ListUserTagsInput struct {
	UserName string
	Marker   string
	MaxItems *int32
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(ctx context.Context, _ *identity.Call, in *ListUserTagsInput) (*ListTagsOutput, error) {
	u, err := s.getUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return listTags(u.Tags, in.Marker, in.MaxItems)
}
