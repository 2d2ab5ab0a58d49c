package sts

import (
	"strconv"
	"time"

	"github.com/castellan-sts/castellan/internal/xmlesc"
)

// The results that carry credentials are written without reflection:
// issuing credentials is the busiest write path, and encoding/xml cost a
// tenth of AssumeRole's CPU. TestAppendXMLMatchesEncodingXML holds them to
// encoding/xml's bytes.

// appendElem writes <name>escaped value</name>.
func appendElem(b []byte, name, v string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = xmlesc.Append(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendCredentials writes the Credentials element (nothing for nil, as
// encoding/xml omits a nil pointer).
func appendCredentials(b []byte, c *Credentials) []byte {
	if c == nil {
		return b
	}
	b = append(b, "<Credentials>"...)
	b = appendElem(b, "AccessKeyId", c.AccessKeyID)
	b = appendElem(b, "SecretAccessKey", c.SecretAccessKey)
	b = appendElem(b, "SessionToken", c.SessionToken)
	b = append(b, "<Expiration>"...)
	b = c.Expiration.AppendFormat(b, time.RFC3339Nano) // time.Time's MarshalText
	b = append(b, "</Expiration></Credentials>"...)
	return b
}

func appendAssumedRoleUser(b []byte, u *AssumedRoleUser) []byte {
	if u == nil {
		return b
	}
	b = append(b, "<AssumedRoleUser>"...)
	b = appendElem(b, "AssumedRoleId", u.AssumedRoleID)
	b = appendElem(b, "Arn", u.Arn)
	return append(b, "</AssumedRoleUser>"...)
}

func appendPackedPolicySize(b []byte, n *int) []byte {
	if n == nil {
		return b
	}
	b = append(b, "<PackedPolicySize>"...)
	b = strconv.AppendInt(b, int64(*n), 10)
	return append(b, "</PackedPolicySize>"...)
}

// AppendXML implements protocol.XMLAppender.
func (o *AssumeRoleOutput) AppendXML(b []byte) []byte {
	b = appendCredentials(b, o.Credentials)
	b = appendAssumedRoleUser(b, o.AssumedRoleUser)
	b = appendPackedPolicySize(b, o.PackedPolicySize)
	if o.SourceIdentity != "" {
		b = appendElem(b, "SourceIdentity", o.SourceIdentity)
	}
	return b
}

// AppendXML implements protocol.XMLAppender.
func (o *GetSessionTokenOutput) AppendXML(b []byte) []byte {
	return appendCredentials(b, o.Credentials)
}
