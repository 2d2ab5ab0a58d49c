package authorize_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/castellan-sts/castellan/authorize"
)

func Example() {
	// A stand-in for Castellan's /authorize (castellan serve
	// --gateway-config FILE): it allows the request and names the caller.
	castellan := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Castellan-Account-Id", "123456789012")
		h.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:user/alice")
		h.Set("X-Castellan-Principal-Type", "IAMUser")
		h.Set("X-Castellan-Principal-Tags", `{"team":"orders"}`)
		h.Set("X-Castellan-Request-Id", "7f1c0e6a-example")
		h.Set("X-Castellan-Payload", "unsigned")
		w.WriteHeader(http.StatusOK)
	}))
	defer castellan.Close()

	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := authorize.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s of team %s (%s)", id.CallerARN, id.PrincipalTags["team"], r.Header.Get("X-Castellan-Caller-Arn"))
	})
	// In a service: http.ListenAndServe(addr, authorize.Middleware("http://127.0.0.1:8080", authorize.Options{})(orders))
	svc := httptest.NewServer(authorize.Middleware(castellan.URL, authorize.Options{})(orders))
	defer svc.Close()

	// A client's SigV4-signed request (signing left out here); the
	// X-Castellan-* header it adds never reaches the handler.
	r, _ := http.NewRequest(http.MethodGet, svc.URL+"/orders/7", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261207/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=…")
	r.Header.Set("X-Castellan-Caller-Arn", "arn:aws:iam::123456789012:root")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output: 200 hello arn:aws:iam::123456789012:user/alice of team orders ()
}
