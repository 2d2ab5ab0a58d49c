package sts

import (
	"context"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
)

// MessageOpener opens encoded authorization messages.
type MessageOpener interface {
	OpenMessage(encoded string) ([]byte, error)
}

// DecodeAuthorizationMessageInput is the input of DecodeAuthorizationMessage.
type DecodeAuthorizationMessageInput struct {
	EncodedMessage string
}

// DecodeAuthorizationMessageOutput is its result.
type DecodeAuthorizationMessageOutput struct {
	DecodedMessage string
}

// DecodeAuthorizationMessage decodes the explanation a denial carried in
// its X-Castellan-Authorization-Message header. The caller needs
// sts:DecodeAuthorizationMessage (checked by the authorizer).
func (s *Service) DecodeAuthorizationMessage(_ context.Context, _ *identity.Call, in *DecodeAuthorizationMessageInput) (*DecodeAuthorizationMessageOutput, error) {
	if s.messages == nil {
		return nil, awserr.Errorf(awserr.InvalidAuthorizationMessage, "The message is not valid.")
	}
	b, err := s.messages.OpenMessage(in.EncodedMessage)
	if err != nil {
		return nil, awserr.Errorf(awserr.InvalidAuthorizationMessage, "The message is not valid.").WithCause(err)
	}
	return &DecodeAuthorizationMessageOutput{DecodedMessage: string(b)}, nil
}
