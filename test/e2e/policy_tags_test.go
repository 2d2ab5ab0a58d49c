package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestPolicyTags: TagPolicy, UntagPolicy and ListPolicyTags on customer
// managed policies (CreatePolicy with Tags, GetPolicy showing them,
// paging, AWS's limits and errors), refused on AWS managed policies, and
// the tags as iam:ResourceTag / aws:RequestTag conditions.
func TestPolicyTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	acct := e.app.AccountID()

	cp, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("tagged"), PolicyDocument: aws.String(allow(`"s3:GetObject"`, "*")),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	must0(t, err)
	arn := aws.ToString(cp.Policy.Arn)
	if len(cp.Policy.Tags) != 1 || aws.ToString(cp.Policy.Tags[0].Key) != "team" {
		t.Errorf("CreatePolicy Tags = %+v", cp.Policy.Tags)
	}
	tags := func() map[string]string {
		t.Helper()
		out, err := root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)})
		must0(t, err)
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := tags(); len(got) != 1 || got["team"] != "blue" {
		t.Errorf("ListPolicyTags after CreatePolicy = %v", got)
	}

	// TagPolicy adds and replaces (keys compare case-insensitively).
	before, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	must0(t, err)
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("red")}, {Key: aws.String("env"), Value: aws.String("")}}})
	must0(t, err)
	if got := tags(); len(got) != 2 || got["TEAM"] != "red" || got["env"] != "" {
		t.Errorf("ListPolicyTags after TagPolicy = %v", got)
	}
	gp, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	must0(t, err)
	if len(gp.Policy.Tags) != 2 || !aws.ToTime(gp.Policy.UpdateDate).Equal(aws.ToTime(before.Policy.UpdateDate)) {
		t.Errorf("GetPolicy after TagPolicy = tags %+v, UpdateDate %v (was %v)", gp.Policy.Tags, gp.Policy.UpdateDate, before.Policy.UpdateDate)
	}

	// UntagPolicy removes; a key the policy lacks is ignored.
	_, err = root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"env", "nope"}})
	must0(t, err)
	if got := tags(); len(got) != 1 || got["TEAM"] != "red" {
		t.Errorf("ListPolicyTags after UntagPolicy = %v", got)
	}

	// 50 tags at most; paging.
	var many []iamtypes.Tag
	for i := range 49 {
		many = append(many, iamtypes.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: many})
	must0(t, err)
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for TagsPerPolicy: 50")
	var pages, n int
	for pg := iam.NewListPolicyTagsPaginator(root, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(20)}); pg.HasMorePages(); {
		out, err := pg.NextPage(ctx)
		must0(t, err)
		pages++
		n += len(out.Tags)
	}
	if pages != 3 || n != 50 {
		t.Errorf("ListPolicyTags in pages of 20 = %d pages, %d tags; want 3, 50", pages, n)
	}
	first, err := root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(1)})
	must0(t, err)
	if !first.IsTruncated || aws.ToString(first.Marker) == "" || len(first.Tags) != 1 {
		t.Errorf("ListPolicyTags(MaxItems 1) = %+v", first)
	}

	// Bad input.
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{
		{Key: aws.String("dup"), Value: aws.String("1")}, {Key: aws.String("DUP"), Value: aws.String("2")}}})
	apiError(t, err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value '"+strings.Repeat("k", 129)+"' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128")
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value '"+strings.Repeat("v", 257)+"' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
	ghost := "arn:aws:iam::" + acct + ":policy/ghost"
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(ghost), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	apiError(t, err, "NoSuchEntity", "Policy "+ghost+" was not found.")
	_, err = root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(ghost), TagKeys: []string{"k"}})
	apiError(t, err, "NoSuchEntity", "Policy "+ghost+" was not found.")
	_, err = root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(ghost)})
	apiError(t, err, "NoSuchEntity", "Policy "+ghost+" was not found.")

	// AWS managed policies cannot be tagged; they list no tags.
	rootARN := "arn:aws:iam::" + acct + ":root"
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(readOnlyAccess), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	apiError(t, err, "AccessDenied", "User: "+rootARN+" is not authorized to perform: iam:TagPolicy on resource: policy "+readOnlyAccess)
	_, err = root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(readOnlyAccess), TagKeys: []string{"k"}})
	apiError(t, err, "AccessDenied", "User: "+rootARN+" is not authorized to perform: iam:UntagPolicy on resource: policy "+readOnlyAccess)
	lt, err := root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(readOnlyAccess)})
	must0(t, err)
	if len(lt.Tags) != 0 || lt.IsTruncated {
		t.Errorf("ListPolicyTags(ReadOnlyAccess) = %+v", lt)
	}

	// Authorization: the policy's own tags are iam:ResourceTag/*, the
	// request's are aws:RequestTag/* and aws:TagKeys.
	blue := e.createPolicy(t, "blue", allow(`"s3:GetObject"`, "*"))
	_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(blue), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	must0(t, err)
	tagger := e.newUser(t, "tagger")
	e.putUserPolicy(t, "tagger", "blue-only", `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["iam:TagPolicy","iam:UntagPolicy","iam:ListPolicyTags"],"Resource":"*",
 "Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]}}}]}`)
	c := e.iam(tagger)
	_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(blue), Tags: []iamtypes.Tag{{Key: aws.String("cost"), Value: aws.String("42")}}})
	must0(t, err)
	if _, err := c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(blue)}); err != nil {
		t.Errorf("ListPolicyTags on the blue policy: %v", err)
	}
	_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(blue), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}})
	e.denied(t, err, e.userARN("tagger"), "iam:TagPolicy", blue, "because no identity-based policy allows the iam:TagPolicy action")
	_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	e.denied(t, err, e.userARN("tagger"), "iam:TagPolicy", arn, "because no identity-based policy allows the iam:TagPolicy action")
	_, err = c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)})
	e.denied(t, err, e.userARN("tagger"), "iam:ListPolicyTags", arn, "because no identity-based policy allows the iam:ListPolicyTags action")
	// Untagging team takes the policy out of the tagger's reach.
	_, err = c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(blue), TagKeys: []string{"team"}})
	must0(t, err)
	_, err = c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(blue), TagKeys: []string{"cost"}})
	e.denied(t, err, e.userARN("tagger"), "iam:UntagPolicy", blue, "because no identity-based policy allows the iam:UntagPolicy action")

	// CreatePolicy with Tags also needs iam:TagPolicy.
	creator := e.newUser(t, "creator")
	e.putUserPolicy(t, "creator", "create", allow(`"iam:CreatePolicy"`, "*"))
	_, err = e.iam(creator).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("c1"), PolicyDocument: aws.String(allow(`"s3:GetObject"`, "*")),
		Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	e.denied(t, err, e.userARN("creator"), "iam:TagPolicy", "arn:aws:iam::"+acct+":policy/c1", "because no identity-based policy allows the iam:TagPolicy action")

	// The audit trail has the changes, with their parameters.
	e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "TagPolicy", func(got []looked) bool {
		for _, l := range got {
			if l.rec.ErrorCode == "" && l.rec.RequestParameters["policyArn"] == blue && !l.rec.ReadOnly {
				return true
			}
		}
		return false
	})
	e.waitLookup(t, cttypes.LookupAttributeKeyEventName, "UntagPolicy", func(got []looked) bool {
		for _, l := range got {
			if l.rec.ErrorCode == "AccessDenied" && l.rec.RequestParameters["policyArn"] == blue {
				return true
			}
		}
		return false
	})
}
