package client

import (
	"encoding/json"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// WriteProcessOutput writes c as credential_process output: the SDK's own
// CredentialProcessResponse shape, Version 1, Expiration in ISO-8601 UTC
// (absent for static credentials, which the SDKs then never refresh).
func WriteProcessOutput(w io.Writer, c aws.Credentials) error {
	out := processcreds.CredentialProcessResponse{
		Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, AccountID: c.AccountID,
	}
	if c.CanExpire {
		t := c.Expires.UTC().Truncate(time.Second)
		out.Expiration = &t
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
