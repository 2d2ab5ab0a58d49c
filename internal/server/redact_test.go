package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/castellan-sts/castellan/internal/protocol"
)

func TestRedactSignature(t *testing.T) {
	s := newSensitiveParams(mustServices(t, "iam", "sts"))
	creq := "GET\n/\nAction=CreateLoginProfile&Password=Hunter2Hunter2&UserName=alice&Version=2010-05-08&X.member.1.PrivateKey=pk&pass%77ord=lower\n" +
		"host:example\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sts := "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/iam/aws4_request\n0123abcd"
	gotC, gotS := s.redactSignature(creq, sts, nil)
	for _, v := range []string{"Hunter2Hunter2", "=pk", "=lower", "0123abcd"} {
		if strings.Contains(gotC+gotS, v) {
			t.Errorf("redactSignature kept %q:\n%s\n%s", v, gotC, gotS)
		}
	}
	if !strings.Contains(gotC, "Action=CreateLoginProfile&Password=REDACTED&UserName=alice&") || !strings.HasSuffix(gotS, "\nREDACTED") {
		t.Errorf("redactSignature = %q, %q", gotC, gotS)
	}
	// A POST carries the password in its body: the canonical request shows
	// only the body's hash, which would let a reader test guesses of it.
	body := "Action=ChangePassword&NewPassword=Hunter2Hunter2&OldPassword=Hunter1Hunter1&Version=2010-05-08"
	sum := sha256.Sum256([]byte(body))
	bodyHash := hex.EncodeToString(sum[:])
	post := "POST\n/\n\nhost:example\nx-amz-content-sha256:" + bodyHash + "\n\nhost;x-amz-content-sha256\n" + bodyHash
	params, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	gotC, gotS = s.redactSignature(post, sts, protocol.NewParams(params))
	if strings.Contains(gotC+gotS, bodyHash) || strings.Contains(gotS, "0123abcd") {
		t.Errorf("redactSignature kept the hash of a body with passwords:\n%s\n%s", gotC, gotS)
	}
	if want := "POST\n/\n\nhost:example\nx-amz-content-sha256:REDACTED\n\nhost;x-amz-content-sha256\nREDACTED"; gotC != want {
		t.Errorf("redactSignature(POST) = %q, want %q", gotC, want)
	}
	plain := "POST\n/\n\nhost:example\n\nhost\nabc"
	if c, st := s.redactSignature(plain, sts, protocol.NewParams(url.Values{"Action": {"ListUsers"}})); c != plain || st != sts {
		t.Errorf("redactSignature changed a request without sensitive values: %q %q", c, st)
	}
}

func mustServices(t *testing.T, names ...string) []*service {
	t.Helper()
	s := &Server{byVersion: map[string]*service{}}
	for _, n := range names {
		if _, err := s.addService(n); err != nil {
			t.Fatal(err)
		}
	}
	return s.services
}
