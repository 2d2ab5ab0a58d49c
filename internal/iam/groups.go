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

// Group is the IAM model's Group shape.
type Group struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate time.Time
}

func (s *Service) groupOut(g store.Group) Group {
	return Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: s.arn("group", g.Path, g.Name), CreateDate: g.CreatedAt}
}

func (s *Service) getGroup(ctx context.Context, name string) (store.Group, error) {
	g, err := s.st.GetGroup(ctx, s.account, name)
	if isNotFound(err) {
		return store.Group{}, noSuchGroup(name)
	}
	return g, err
}

// CreateGroupInput is CreateGroup's request.
type CreateGroupInput struct {
	Path      string
	GroupName string
}

// CreateGroupOutput is CreateGroup's result.
type CreateGroupOutput struct{ Group Group }

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, _ *identity.Call, in *CreateGroupInput) (*CreateGroupOutput, error) {
	g := store.Group{AccountID: s.account, ID: awsid.NewUniqueID(awsid.Group), Name: in.GroupName,
		Path: defaultPath(in.Path), CreatedAt: s.timestamp()}
	if err := s.st.CreateGroup(ctx, g); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, "Group with name %s already exists.", in.GroupName)
		}
		return nil, err
	}
	return &CreateGroupOutput{Group: s.groupOut(g)}, nil
}

// GetGroupInput is GetGroup's request.
type GetGroupInput struct {
	GroupName string
	Marker    string
	MaxItems  *int32
}

// GetGroupOutput is GetGroup's result: the group and a page of its users.
type GetGroupOutput struct {
	Group Group
	Users []User `xml:"Users>member"`
	Paging
}

// GetGroup returns a group with its members.
func (s *Service) GetGroup(ctx context.Context, _ *identity.Call, in *GetGroupInput) (*GetGroupOutput, error) {
	g, err := s.getGroup(ctx, in.GroupName)
	if err != nil {
		return nil, err
	}
	page, err := s.st.ListGroupMembers(ctx, s.account, g.Name, listOptions(in.Marker, in.MaxItems, ""))
	if isNotFound(err) {
		return nil, noSuchGroup(in.GroupName)
	}
	if err != nil {
		return nil, err
	}
	out := &GetGroupOutput{Group: s.groupOut(g), Users: make([]User, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, u := range page.Items {
		out.Users = append(out.Users, s.userOut(u, false))
	}
	return out, nil
}

// ListGroupsInput is ListGroups' request.
type ListGroupsInput struct {
	PathPrefix string
	Marker     string
	MaxItems   *int32
}

// ListGroupsOutput is ListGroups' (and ListGroupsForUser's) result.
type ListGroupsOutput struct {
	Groups []Group `xml:"Groups>member"`
	Paging
}

// ListGroups pages the account's groups ordered by name.
func (s *Service) ListGroups(ctx context.Context, _ *identity.Call, in *ListGroupsInput) (*ListGroupsOutput, error) {
	page, err := s.st.ListGroups(ctx, s.account, listOptions(in.Marker, in.MaxItems, in.PathPrefix))
	if err != nil {
		return nil, err
	}
	return s.groupsOut(page), nil
}

func (s *Service) groupsOut(page store.Page[store.Group]) *ListGroupsOutput {
	out := &ListGroupsOutput{Groups: make([]Group, 0, len(page.Items)), Paging: paging(page.Next)}
	for _, g := range page.Items {
		out.Groups = append(out.Groups, s.groupOut(g))
	}
	return out
}

// UpdateGroupInput is UpdateGroup's request.
type UpdateGroupInput struct {
	GroupName    string
	NewPath      string
	NewGroupName string
}

// UpdateGroup renames or moves a group.
func (s *Service) UpdateGroup(ctx context.Context, _ *identity.Call, in *UpdateGroupInput) (*struct{}, error) {
	_, err := s.st.UpdateGroup(ctx, s.account, in.GroupName, func(g *store.Group) error {
		if in.NewGroupName != "" {
			g.Name = in.NewGroupName
		}
		if in.NewPath != "" {
			g.Path = in.NewPath
		}
		return nil
	})
	switch {
	case isNotFound(err):
		return nil, noSuchGroup(in.GroupName)
	case errors.Is(err, store.ErrConflict):
		return nil, awserr.Errorf(awserr.EntityAlreadyExists, "Group with name %s already exists.", in.NewGroupName)
	}
	return nil, err
}

// DeleteGroupInput is DeleteGroup's request.
type DeleteGroupInput struct{ GroupName string }

// DeleteGroup deletes a group without members or policies.
func (s *Service) DeleteGroup(ctx context.Context, _ *identity.Call, in *DeleteGroupInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	err := s.st.DeleteGroup(ctx, s.account, in.GroupName)
	if isNotFound(err) {
		return nil, noSuchGroup(in.GroupName)
	}
	if e, ok := deleteConflict(err); ok {
		return nil, e
	}
	return nil, err
}

// GroupMembershipInput is AddUserToGroup's and RemoveUserFromGroup's request.
type GroupMembershipInput struct {
	GroupName string
	UserName  string
}

// membershipNotFound names what is missing after a store ErrNotFound.
func (s *Service) membershipNotFound(ctx context.Context, in *GroupMembershipInput) error {
	if _, err := s.getGroup(ctx, in.GroupName); err != nil {
		return err
	}
	if _, err := s.getUser(ctx, in.UserName); err != nil {
		return err
	}
	return awserr.Errorf(awserr.NoSuchEntity, "The user with name %s cannot be found in group %s.", in.UserName, in.GroupName)
}

// AddUserToGroup adds a user to a group (a no-op when it is a member).
func (s *Service) AddUserToGroup(ctx context.Context, _ *identity.Call, in *GroupMembershipInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	err := s.st.AddUserToGroup(ctx, s.account, in.GroupName, in.UserName, GroupsPerUser)
	switch {
	case isNotFound(err):
		return nil, s.membershipNotFound(ctx, in)
	case errors.Is(err, store.ErrLimit):
		return nil, awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for GroupsPerUser: %d", GroupsPerUser)
	}
	return nil, err
}

// RemoveUserFromGroup removes a user from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, _ *identity.Call, in *GroupMembershipInput) (*struct{}, error) {
	defer s.sets.invalidate() // after the write: PolicySets may change
	err := s.st.RemoveUserFromGroup(ctx, s.account, in.GroupName, in.UserName)
	if isNotFound(err) {
		return nil, s.membershipNotFound(ctx, in)
	}
	return nil, err
}

// ListGroupsForUserInput is ListGroupsForUser's request.
type ListGroupsForUserInput struct {
	UserName string
	Marker   string
	MaxItems *int32
}

// ListGroupsForUser pages the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, _ *identity.Call, in *ListGroupsForUserInput) (*ListGroupsOutput, error) {
	page, err := s.st.ListGroupsForUser(ctx, s.account, in.UserName, listOptions(in.Marker, in.MaxItems, ""))
	if isNotFound(err) {
		return nil, noSuchUser(in.UserName)
	}
	if err != nil {
		return nil, err
	}
	return s.groupsOut(page), nil
}
