package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/awsid"
	"github.com/castellan-sts/castellan/internal/store"
)

// must(call(...))(t) returns call's value, failing the test on an error.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestIAMUserLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()

	out := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice"), Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}))(t)
	u := out.User
	if aws.ToString(u.Arn) != "arn:aws:iam::"+acct+":user/eng/Alice" || !strings.HasPrefix(aws.ToString(u.UserId), "AIDA") ||
		len(aws.ToString(u.UserId)) != 21 || aws.ToString(u.Path) != "/eng/" || len(u.Tags) != 1 {
		t.Errorf("CreateUser = %+v", u)
	}
	if u.CreateDate == nil || u.CreateDate.Nanosecond() != 0 || time.Since(*u.CreateDate) > time.Minute {
		t.Errorf("CreateDate = %v", u.CreateDate)
	}

	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	apiError(t, err, "EntityAlreadyExists", "User with name alice already exists.")

	got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")}))(t)
	if aws.ToString(got.User.UserName) != "Alice" || len(got.User.Tags) != 1 {
		t.Errorf("GetUser = %+v", got.User)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	// Root without UserName: the root "user".
	root := must(c.GetUser(ctx, &iam.GetUserInput{}))(t)
	if aws.ToString(root.User.Arn) != "arn:aws:iam::"+acct+":root" || aws.ToString(root.User.UserId) != acct || root.User.UserName != nil {
		t.Errorf("GetUser(root) = %+v", root.User)
	}

	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
	lu := must(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")}))(t)
	if len(lu.Users) != 1 || aws.ToString(lu.Users[0].UserName) != "Alice" || lu.IsTruncated {
		t.Errorf("ListUsers(/eng/) = %+v", lu.Users)
	}

	// Rename and move.
	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("Alice"), NewUserName: aws.String("alice2"), NewPath: aws.String("/ops/")}))(t)
	got = must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice2")}))(t)
	if aws.ToString(got.User.Arn) != "arn:aws:iam::"+acct+":user/ops/alice2" || aws.ToString(got.User.UserId) != aws.ToString(u.UserId) {
		t.Errorf("after UpdateUser: %+v", got.User)
	}
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice2"), NewUserName: aws.String("BOB")})
	apiError(t, err, "EntityAlreadyExists", "User with name BOB already exists.")
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("ghost"), NewUserName: aws.String("x")})
	apiError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")

	// Tags.
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice2"), Tags: []iamtypes.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("infra")}, {Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	tags := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice2")}))(t)
	if len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Value) != "infra" {
		t.Errorf("ListUserTags = %+v", tags.Tags)
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice2"), Tags: []iamtypes.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
	apiError(t, err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice2"), TagKeys: []string{"team"}}))(t)
	tags = must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice2")}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("ListUserTags after untag = %+v", tags.Tags)
	}

	// Validation comes from the model.
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name")})
	apiError(t, err, "ValidationError", `^1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern`)

	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice2")}))(t)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice2")})
	apiError(t, err, "NoSuchEntity", "The user with name alice2 cannot be found.")
}

func TestIAMListUsersPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	for i := range 7 {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i))}))(t)
	}
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		if pages == 1 {
			// A user created between pages after the marker is seen; deleting
			// one already returned changes nothing.
			must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u9")}))(t)
			must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u0")}))(t)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if want := "u0 u1 u2 u3 u4 u5 u6 u9"; strings.Join(names, " ") != want || pages != 3 {
		t.Errorf("paged names = %v in %d pages, want %s in 3", names, pages, want)
	}
}

func TestIAMDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))(t)
	key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}))(t)
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: key.AccessKey.AccessKeyId}))(t)

	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}))(t)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p")}))(t)

	pol := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mp"), PolicyDocument: aws.String(allowAll)}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: pol.Policy.Arn}))(t)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: pol.Policy.Arn}))(t)

	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("carol"), GroupName: aws.String("g")}))(t)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	apiError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("carol"), GroupName: aws.String("g")}))(t)

	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")}))(t)
}

func TestIAMAccessKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("erin")}))(t)

	k1 := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("erin")}))(t).AccessKey
	id := aws.ToString(k1.AccessKeyId)
	if !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(aws.ToString(k1.SecretAccessKey)) != 40 ||
		k1.Status != iamtypes.StatusTypeActive || aws.ToString(k1.UserName) != "erin" {
		t.Errorf("CreateAccessKey = %+v", k1)
	}
	if got, err := awsid.AccountFromKeyID(id); err != nil || got != acct {
		t.Errorf("AccountFromKeyID(%s) = %s, %v; want %s", id, got, err, acct)
	}

	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: aws.ToString(k1.SecretAccessKey)}
	who := must(e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != "arn:aws:iam::"+acct+":user/erin" {
		t.Errorf("GetCallerIdentity = %s", aws.ToString(who.Arn))
	}

	last := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)}))(t)
	if aws.ToString(last.UserName) != "erin" || aws.ToString(last.AccessKeyLastUsed.ServiceName) == "" {
		t.Errorf("GetAccessKeyLastUsed = %+v", last.AccessKeyLastUsed)
	}
	// Recorded uses show (the recorder flushes every few seconds; write one directly).
	at := time.Now().UTC().Truncate(time.Second)
	if err := e.app.Store().RecordKeyUse(ctx, []store.KeyUse{{AccessKeyID: id, At: at, Service: "sts", Region: "us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	last = must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)}))(t)
	if l := last.AccessKeyLastUsed; l.LastUsedDate == nil || !l.LastUsedDate.Equal(at) || aws.ToString(l.ServiceName) != "sts" || aws.ToString(l.Region) != "us-east-1" {
		t.Errorf("GetAccessKeyLastUsed after use = %+v", l)
	}

	k2 := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("erin")}))(t).AccessKey
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("erin")})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	lk := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("erin")}))(t)
	if len(lk.AccessKeyMetadata) != 2 || aws.ToString(lk.AccessKeyMetadata[0].UserName) != "erin" {
		t.Errorf("ListAccessKeys = %+v", lk.AccessKeyMetadata)
	}

	// Inactive: refused on the very next request; inactive keys still count.
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive}))(t)
	_, err = e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("erin")})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeActive}))(t)
	must(e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)

	// Deleted: refused too.
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(id)}))(t)
	_, err = e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")

	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(id)})
	apiError(t, err, "NoSuchEntity", "The Access Key with id "+id+" cannot be found.")
	// Another user's key is not found under this user.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("frank")}))(t)
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: k2.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	apiError(t, err, "NoSuchEntity", "The Access Key with id "+aws.ToString(k2.AccessKeyId)+" cannot be found.")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: k2.AccessKeyId, Status: "Bogus"})
	apiError(t, err, "ValidationError", `^1 validation error detected: Value 'Bogus' at 'status' failed to satisfy constraint: Member must satisfy enum value set`)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	apiError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	// Never used: N/A.
	last = must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))(t)
	if l := last.AccessKeyLastUsed; l.LastUsedDate != nil || aws.ToString(l.ServiceName) != "N/A" || aws.ToString(l.Region) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed(unused) = %+v", l)
	}

	// Without UserName the root manages its own keys: it has one already.
	rk := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t)
	if len(rk.AccessKeyMetadata) != 1 || aws.ToString(rk.AccessKeyMetadata[0].AccessKeyId) != e.root.AccessKeyID {
		t.Errorf("ListAccessKeys(root) = %+v", rk.AccessKeyMetadata)
	}
	rk2 := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))(t).AccessKey
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: rk2.AccessKeyId}))(t)
}

// TestIAMCreateAccessKeyConcurrent: 20 racing creators, exactly 2 keys.
func TestIAMCreateAccessKeyConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gina")}))(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, limited := 0, 0
	for range 20 {
		wg.Go(func() {
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gina")})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if strings.Contains(err.Error(), "LimitExceeded") {
				limited++
			} else {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 2 || limited != 18 {
		t.Errorf("%d created, %d limited; want 2, 18", ok, limited)
	}
}

// TestIAMCallerDefaults: without UserName, GetUser and the access-key
// operations address the calling user.
func TestIAMCallerDefaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("hal"), Path: aws.String("/x/")}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("hal"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)}))(t)
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("hal")}))(t).AccessKey
	hal := e.iam(aws.Credentials{AccessKeyID: aws.ToString(k.AccessKeyId), SecretAccessKey: aws.ToString(k.SecretAccessKey)})

	me := must(hal.GetUser(ctx, &iam.GetUserInput{}))(t).User
	if aws.ToString(me.UserName) != "hal" || aws.ToString(me.Arn) != "arn:aws:iam::"+e.app.AccountID()+":user/x/hal" {
		t.Errorf("GetUser() as hal = %+v", me)
	}
	k2 := must(hal.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))(t).AccessKey
	if aws.ToString(k2.UserName) != "hal" {
		t.Errorf("CreateAccessKey() as hal = %+v", k2)
	}
	lk := must(hal.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t)
	if len(lk.AccessKeyMetadata) != 2 {
		t.Errorf("ListAccessKeys() as hal = %+v", lk.AccessKeyMetadata)
	}
	must(hal.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: k2.AccessKeyId, Status: iamtypes.StatusTypeInactive}))(t)
	must(hal.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k2.AccessKeyId}))(t)
	// The root's key is not hal's.
	_, err := hal.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(e.root.AccessKeyID), Status: iamtypes.StatusTypeInactive})
	apiError(t, err, "NoSuchEntity", "The Access Key with id "+e.root.AccessKeyID+" cannot be found.")
}
