package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/castellan-sts/castellan/internal/config"
)

func TestTokenVersionsAndOptInRegions(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Regions = []string{"eu-west-1", "ap-east-1"} })
	ctx := context.Background()
	stsIn := func(creds aws.Credentials, region string) *sts.Client {
		return sts.NewFromConfig(e.awsConfig(creds, region))
	}
	issue := func(region string) aws.Credentials {
		out, err := stsIn(e.root, region).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		return tempCreds(out.Credentials)
	}
	gci := func(c aws.Credentials, region string) error {
		_, err := stsIn(c, region).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}

	global := issue("us-east-1") // the global endpoint: v1 by default
	if err := gci(global, "eu-west-1"); err != nil {
		t.Errorf("v1 token in a default region: %v", err)
	}
	apiError(t, gci(global, "ap-east-1"), "InvalidClientTokenId", "The security token included in the request is invalid.")

	// The rule belongs to authentication, so the JSON protocol applies it too.
	ctCfg := e.awsConfig(global, "ap-east-1")
	_, err := cloudtrail.NewFromConfig(ctCfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	apiError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid")

	regional := issue("eu-west-1") // regional endpoints issue v2
	if err := gci(regional, "ap-east-1"); err != nil {
		t.Errorf("v2 token in an opt-in region: %v", err)
	}

	if _, err = e.iam(e.root).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: iamtypes.GlobalEndpointTokenVersionV2Token}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(time.Now().Add(3 * time.Second)) // past the preference cache
	if err := gci(issue("us-east-1"), "ap-east-1"); err != nil {
		t.Errorf("global v2 token in an opt-in region: %v", err)
	}
	sum, err := e.iam(e.root).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if v := sum.SummaryMap["GlobalEndpointTokenVersion"]; v != 2 {
		t.Errorf("GlobalEndpointTokenVersion = %d, want 2", v)
	}
}
