package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/sigv4"
)

// keys is a map-backed CredentialSource.
type keys map[string]string

func (k keys) Credential(_ context.Context, akid, _ string) (sigv4.Credential, error) {
	secret, ok := k[akid]
	if !ok {
		return sigv4.Credential{}, errors.New("InvalidClientTokenId")
	}
	return sigv4.Credential{SecretAccessKey: secret, Principal: "user/" + akid}, nil
}

func Example() {
	now := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

	// A client signs an STS request…
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	r := httptest.NewRequest(http.MethodPost, "https://sts.amazonaws.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(r, []byte(body), creds, "us-east-1", "sts", now); err != nil {
		panic(err)
	}

	// …and the server verifies it.
	v := &sigv4.Verifier{
		Credentials: keys{"AKIDEXAMPLE": creds.SecretAccessKey},
		AllowRegion: func(region string) bool { return region == "us-east-1" },
		Now:         func() time.Time { return now.Add(time.Minute) },
	}
	res, err := v.Verify(context.Background(), r, "sts", []byte(body))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.AccessKeyID, res.Region, res.Service, res.Principal)

	// A request signed 20 minutes ago is refused with AWS's error.
	v.Now = func() time.Time { return now.Add(20 * time.Minute) }
	_, err = v.Verify(context.Background(), r, "sts", []byte(body))
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.HTTPStatus(), e.Code)
		fmt.Println(e.Message)
	}
	// Output:
	// AKIDEXAMPLE us-east-1 sts user/AKIDEXAMPLE
	// 403 SignatureDoesNotMatch
	// Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)
}

func ExamplePresign() {
	creds := sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	signedAt := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	r := httptest.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	u, err := sigv4.Presign(r, creds, "us-east-1", "sts", signedAt, 15*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(u)

	// STS accepts a presigned request while its date is within the skew
	// window, whatever X-Amz-Expires says.
	v := &sigv4.Verifier{
		Credentials: keys{"AKIDEXAMPLE": creds.SecretAccessKey},
		Now:         func() time.Time { return signedAt.Add(5 * time.Minute) },
	}
	res, err := v.Verify(context.Background(), httptest.NewRequest(http.MethodGet, u, nil), "sts", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Presigned, res.SigningTime)
	// Output:
	// https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=e8d7e61248a0d11a99b5981a6802d73250938b6d2c6f32f9a6b8a331d25ef4b1
	// true 2015-08-30 12:36:00 +0000 UTC
}
