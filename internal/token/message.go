package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// messageLabel is the additional data of sealed authorization messages, so
// a message can never be opened as a session token or the reverse.
const messageLabel = "castellan authorization message"

// maxMessageLength bounds an encoded message accepted for opening (STS
// DecodeAuthorizationMessage allows 10240 characters).
const maxMessageLength = 10240

// SealMessage seals an authorization message (the JSON explanation of a
// denial) so that only holders of the keyring can read it, and returns it
// base64-encoded.
func (k *Keyring) SealMessage(plaintext []byte) (string, error) {
	k.mu.RLock()
	p := k.primary
	k.mu.RUnlock()
	if p == nil {
		return "", errors.New("token: keyring has no primary key")
	}
	buf := make([]byte, headerLen, headerLen+len(plaintext)+p.aead.Overhead())
	buf[0] = formatVersion
	binary.BigEndian.PutUint32(buf[1:5], p.id)
	if _, err := rand.Read(buf[5:headerLen]); err != nil {
		return "", err
	}
	out := p.aead.Seal(buf, buf[5:headerLen], plaintext, additionalData(buf, messageLabel))
	p.seals.Add(1)
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// ErrBadMessage is returned for an encoded message that does not open.
var ErrBadMessage = errors.New("token: authorization message does not open")

// OpenMessage opens a message sealed by SealMessage on any node.
func (k *Keyring) OpenMessage(encoded string) ([]byte, error) {
	if len(encoded) == 0 || len(encoded) > maxMessageLength {
		return nil, ErrBadMessage
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(raw) < headerLen+16 || raw[0] != formatVersion {
		return nil, ErrBadMessage
	}
	ky := k.lookup(binary.BigEndian.Uint32(raw[1:5]))
	if ky == nil {
		return nil, ErrBadMessage
	}
	pt, err := ky.aead.Open(nil, raw[5:headerLen], raw[headerLen:], additionalData(raw, messageLabel))
	if err != nil {
		return nil, ErrBadMessage
	}
	return pt, nil
}
