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
