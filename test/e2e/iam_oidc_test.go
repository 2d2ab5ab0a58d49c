package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMOpenIDConnectProvider(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(e.root)
	acct := e.app.AccountID()
	const gh = "https://token.actions.githubusercontent.com"
	thumb := "6938fd4d98bab03faadb97b34396831e3780aea1"

	out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(gh),
		ClientIDList: []string{"sts.amazonaws.com", "sts.amazonaws.com"}, ThumbprintList: []string{thumb},
		Tags: []iamtypes.Tag{{Key: aws.String("ci"), Value: aws.String("github")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	if want := "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"; arn != want || len(out.Tags) != 1 {
		t.Errorf("CreateOpenIDConnectProvider = %s %v, want %s", arn, out.Tags, want)
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(gh)})
	apiError(t, err, "EntityAlreadyExists", "Provider with url "+gh+" already exists.")

	for _, bad := range []string{"http://issuer.example.com", "issuer.example.com", "https://issuer.example.com:8443", "https://", "https://issuer.example.com/?q=1"} {
		_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(bad)})
		apiError(t, err, "ValidationError", "Invalid Open ID Connect Provider URL")
	}
	six := []string{thumb, thumb[:39] + "2", thumb[:39] + "3", thumb[:39] + "4", thumb[:39] + "5", thumb[:39] + "6"}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: six})
	apiError(t, err, "InvalidInput", "Thumbprint list must contain fewer than 5 entries.")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"),
		ThumbprintList: []string{"z938fd4d98bab03faadb97b34396831e3780aea1"}})
	apiError(t, err, "InvalidInput", "Thumbprint z938fd4d98bab03faadb97b34396831e3780aea1 is not a 40-character hexadecimal SHA-1 fingerprint.")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: []string{"abc"}})
	apiError(t, err, "ValidationError", "^1 validation error detected: Value '\\[abc\\]' at 'thumbprintList'|^1 validation error detected: Value 'abc'")
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf("client-%d", i))
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ClientIDList: many})
	apiError(t, err, "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")

	// A second provider, with a path and no thumbprints.
	second, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.com/tenants/42")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::" + acct + ":oidc-provider/idp.example.com/tenants/42"; aws.ToString(second.OpenIDConnectProviderArn) != want {
		t.Errorf("second ARN = %s, want %s", aws.ToString(second.OpenIDConnectProviderArn), want)
	}

	get := func(arn string) *iam.GetOpenIDConnectProviderOutput {
		t.Helper()
		got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("GetOpenIDConnectProvider: %v", err)
		}
		return got
	}
	got := get(arn)
	if aws.ToString(got.Url) != "token.actions.githubusercontent.com" || !slices.Equal(got.ClientIDList, []string{"sts.amazonaws.com"}) ||
		!slices.Equal(got.ThumbprintList, []string{thumb}) || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Errorf("GetOpenIDConnectProvider = %+v", got)
	}
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 2 {
		t.Errorf("ListOpenIDConnectProviders = %+v, %v", list, err)
	}

	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("my-app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("my-app")}); err != nil {
		t.Errorf("adding a client id twice: %v", err)
	}
	if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("absent")}); err != nil {
		t.Errorf("removing an absent client id: %v", err)
	}
	newThumb := "A031C46782E6E6C662C2C87C76DA9AA62CCABD8E"
	if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{newThumb}}); err != nil {
		t.Fatal(err)
	}
	got = get(arn)
	if !slices.Equal(got.ClientIDList, []string{"my-app"}) || !slices.Equal(got.ThumbprintList, []string{"a031c46782e6e6c662c2c87c76da9aa62ccabd8e"}) {
		t.Errorf("after updates: clients %v, thumbprints %v", got.ClientIDList, got.ThumbprintList)
	}
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: six})
	apiError(t, err, "InvalidInput", "Thumbprint list must contain fewer than 5 entries.")

	// Tags.
	if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []iamtypes.Tag{{Key: aws.String("CI"), Value: aws.String("gha")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"ENV"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "CI" || aws.ToString(tags.Tags[0].Value) != "gha" {
		t.Errorf("ListOpenIDConnectProviderTags = %+v, %v", tags, err)
	}
	_, err = c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
	apiError(t, err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	// Unknown and malformed ARNs.
	missing := "arn:aws:iam::" + acct + ":oidc-provider/nowhere.example.com"
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(missing)})
	apiError(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+missing)
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(missing), ClientID: aws.String("x")})
	apiError(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+missing)
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("not-an-arn-at-all-of-any-kind")})
	// Not an ARN at all: refused by validation, before authorisation, with
	// the text AWS gives for every IAM ARN member that does not parse.
	apiError(t, err, "ValidationError", "Invalid ARN:  Could not be parsed!")

	// Delete (idempotent, as in AWS).
	for range 2 {
		if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
			t.Fatalf("DeleteOpenIDConnectProvider: %v", err)
		}
	}
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	apiError(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
	if list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}); err != nil || len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("ListOpenIDConnectProviders after delete = %+v, %v", list, err)
	}
}
