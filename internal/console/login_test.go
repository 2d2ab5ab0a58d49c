package console

import (
	"errors"
	"testing"

	"github.com/castellan-sts/castellan/internal/awserr"
)

func TestSignInMessageRevealsNothingButLockout(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bad credentials", errBadCredentials, msgBadCredentials},
		{"throttled password check", awserr.Errorf(awserr.Throttling, "Rate exceeded"), msgLockedOut},
		{"store failure", errors.New("disk on fire"), msgSignInFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := signInMessage(tc.err); got != tc.want {
				t.Errorf("signInMessage(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestSafeNextStaysOnTheConsole(t *testing.T) {
	for in, want := range map[string]string{
		"/console/users":        "/console/users",
		"https://evil.example/": "/console/",
		"//evil.example/":       "/console/",
		"/console/\\evil":       "/console/",
		"/console/login":        "/console/",
		"":                      "/console/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiffLines(t *testing.T) {
	got := diffLines("a\nb\nc", "a\nc\nd")
	want := []diffLine{{" ", "a"}, {"-", "b"}, {" ", "c"}, {"+", "d"}}
	if len(got) != len(want) {
		t.Fatalf("diffLines = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diffLines[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestValidateDocumentGivesLineAndColumn(t *testing.T) {
	probs := validateDocument("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}")
	if len(probs) != 1 || probs[0].Line != 3 || probs[0].Message != "MalformedPolicyDocument: Syntax errors in policy." {
		t.Errorf("validateDocument = %+v, want one syntax error on line 3", probs)
	}
	if probs := validateDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`); probs != nil {
		t.Errorf("valid document: %+v", probs)
	}
}
