package iam

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/castellan-sts/castellan/internal/awserr"
	"github.com/castellan-sts/castellan/internal/identity"
	"github.com/castellan-sts/castellan/internal/store"
)

// oidcProviderARN is the ARN of the provider for an https:// URL.
func (s *Service) oidcProviderARN(u string) string {
	return "arn:aws:iam::" + s.account + ":oidc-provider/" + strings.TrimPrefix(u, "https://")
}

func noSuchOIDCProvider(arn string) error {
	return awserr.Errorf(awserr.NoSuchEntity, "OpenIDConnect Provider not found for arn %s", arn)
}

// checkOIDCURL enforces what IAM requires of a provider URL: https, a host,
// no port, query, fragment or user info.
func checkOIDCURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !strings.HasPrefix(raw, "https://") || u.Host == "" ||
		u.Port() != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") {
		return awserr.Errorf(awserr.ValidationError, "Invalid Open ID Connect Provider URL")
	}
	return nil
}

// checkThumbprints enforces ThumbprintsPerOpenIDConnectProvider and the
// 40-hex-digit form and returns the list in lower case.
func checkThumbprints(list []string) ([]string, error) {
	if len(list) > ThumbprintsPerOpenIDConnectProvider {
		return nil, awserr.Errorf(awserr.InvalidInput, "Thumbprint list must contain fewer than %d entries.", ThumbprintsPerOpenIDConnectProvider)
	}
	var out []string
	for _, t := range list {
		for _, c := range t {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return nil, awserr.Errorf(awserr.InvalidInput, "Thumbprint %s is not a 40-character hexadecimal SHA-1 fingerprint.", t)
			}
		}
		if t = strings.ToLower(t); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkClientIDs removes duplicates and enforces
// ClientIDsPerOpenIDConnectProvider.
func checkClientIDs(list []string) ([]string, error) {
	var out []string
	for _, c := range list {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) > ClientIDsPerOpenIDConnectProvider {
		return nil, clientIDLimit()
	}
	return out, nil
}

func clientIDLimit() error {
	return awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", ClientIDsPerOpenIDConnectProvider)
}

// checkProviderARN rejects an ARN that cannot name an OIDC provider of the
// account (InvalidInput, as AWS does for a malformed ARN).
func (s *Service) checkProviderARN(arn string) error {
	prefix := "arn:aws:iam::" + s.account + ":oidc-provider/"
	if !strings.HasPrefix(arn, "arn:") || strings.Count(arn, ":") < 5 {
		return awserr.Errorf(awserr.InvalidInput, "ARN %s is not valid.", arn)
	}
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return noSuchOIDCProvider(arn)
	}
	return nil
}

// getOIDCProvider loads a provider by ARN with AWS's errors.
func (s *Service) getOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error) {
	if err := s.checkProviderARN(arn); err != nil {
		return store.OIDCProvider{}, err
	}
	p, err := s.st.GetOIDCProvider(ctx, s.account, arn)
	if isNotFound(err) {
		return store.OIDCProvider{}, noSuchOIDCProvider(arn)
	}
	return p, err
}

// updateOIDCProvider runs fn on a provider in one store transaction.
func (s *Service) updateOIDCProvider(ctx context.Context, arn string, fn func(*store.OIDCProvider) error) error {
	if err := s.checkProviderARN(arn); err != nil {
		return err
	}
	_, err := s.st.UpdateOIDCProvider(ctx, s.account, arn, fn)
	if isNotFound(err) {
		return noSuchOIDCProvider(arn)
	}
	return err
}

// CreateOpenIDConnectProviderInput is CreateOpenIDConnectProvider's request.
type CreateOpenIDConnectProviderInput struct {
	Url            string
	ClientIDList   []string
	ThumbprintList []string
	Tags           []Tag
}

// CreateOpenIDConnectProviderOutput is CreateOpenIDConnectProvider's result.
type CreateOpenIDConnectProviderOutput struct {
	OpenIDConnectProviderArn string
	Tags                     TagList `xml:",omitempty"`
}

// CreateOpenIDConnectProvider registers an OIDC identity provider that
// roles can trust for AssumeRoleWithWebIdentity. Thumbprints are optional:
// web-identity verification checks the issuer's TLS with public CAs.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *CreateOpenIDConnectProviderInput) (*CreateOpenIDConnectProviderOutput, error) {
	if err := checkOIDCURL(in.Url); err != nil {
		return nil, err
	}
	clients, err := checkClientIDs(in.ClientIDList)
	if err != nil {
		return nil, err
	}
	thumbs, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	tags, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	p := store.OIDCProvider{AccountID: s.account, ARN: s.oidcProviderARN(in.Url), URL: in.Url, ClientIDs: clients,
		Thumbprints: thumbs, Tags: tags, CreatedAt: s.timestamp()}
	if err := s.st.CreateOIDCProvider(ctx, p, OpenIDConnectProvidersPerAccount); err != nil {
		switch {
		case errors.Is(err, store.ErrConflict):
			return nil, awserr.Errorf(awserr.EntityAlreadyExists, "Provider with url %s already exists.", in.Url).WithCause(err)
		case errors.Is(err, store.ErrLimit):
			return nil, awserr.Errorf(awserr.LimitExceeded, "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d", OpenIDConnectProvidersPerAccount).WithCause(err)
		}
		return nil, err
	}
	return &CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: p.ARN, Tags: tagsOut(p.Tags)}, nil
}

// OpenIDConnectProviderInput addresses one provider (Get, Delete, tags).
type OpenIDConnectProviderInput struct {
	OpenIDConnectProviderArn string
	Tags                     []Tag
	TagKeys                  []string
	Marker                   string
	MaxItems                 *int32
}

// GetOpenIDConnectProviderOutput is GetOpenIDConnectProvider's result. Url
// is without the https:// scheme, as AWS returns it.
type GetOpenIDConnectProviderOutput struct {
	Url            string
	ClientIDList   []string `xml:"ClientIDList>member"`
	ThumbprintList []string `xml:"ThumbprintList>member"`
	CreateDate     time.Time
	Tags           TagList `xml:",omitempty"`
}

// GetOpenIDConnectProvider describes a provider.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *OpenIDConnectProviderInput) (*GetOpenIDConnectProviderOutput, error) {
	p, err := s.getOIDCProvider(ctx, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	return &GetOpenIDConnectProviderOutput{
		Url:            strings.TrimPrefix(p.URL, "https://"),
		ClientIDList:   orEmpty(p.ClientIDs),
		ThumbprintList: orEmpty(p.Thumbprints),
		CreateDate:     p.CreatedAt,
		Tags:           tagsOut(p.Tags),
	}, nil
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// OpenIDConnectProviderListEntry is one entry of ListOpenIDConnectProviders.
type OpenIDConnectProviderListEntry struct {
	Arn string
}

// ListOpenIDConnectProvidersOutput is ListOpenIDConnectProviders' result.
type ListOpenIDConnectProvidersOutput struct {
	OpenIDConnectProviderList []OpenIDConnectProviderListEntry `xml:"OpenIDConnectProviderList>member"`
}

// ListOpenIDConnectProviders lists the account's providers (not paged:
// there are at most OpenIDConnectProvidersPerAccount).
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, _ *identity.Call) (*ListOpenIDConnectProvidersOutput, error) {
	ps, err := s.st.ListOIDCProviders(ctx, s.account)
	if err != nil {
		return nil, err
	}
	out := &ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: []OpenIDConnectProviderListEntry{}}
	for _, p := range ps {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, OpenIDConnectProviderListEntry{Arn: p.ARN})
	}
	return out, nil
}

// DeleteOpenIDConnectProvider deletes a provider. Deleting one that does
// not exist succeeds, as in AWS.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *OpenIDConnectProviderInput) (*struct{}, error) {
	if err := s.checkProviderARN(in.OpenIDConnectProviderArn); err != nil {
		if errors.Is(err, awserr.NoSuchEntity) {
			return nil, nil
		}
		return nil, err
	}
	if err := s.st.DeleteOIDCProvider(ctx, s.account, in.OpenIDConnectProviderArn); err != nil && !isNotFound(err) {
		return nil, err
	}
	return nil, nil
}

// ClientIDInput is Add/RemoveClientIDToOpenIDConnectProvider's request.
type ClientIDInput struct {
	OpenIDConnectProviderArn string
	ClientID                 string
}

// AddClientIDToOpenIDConnectProvider adds an audience; adding one the
// provider already has does nothing.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *ClientIDInput) (*struct{}, error) {
	return nil, s.updateOIDCProvider(ctx, in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		if slices.Contains(p.ClientIDs, in.ClientID) {
			return nil
		}
		if len(p.ClientIDs) >= ClientIDsPerOpenIDConnectProvider {
			return clientIDLimit()
		}
		p.ClientIDs = append(p.ClientIDs, in.ClientID)
		return nil
	})
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience; removing
// one the provider does not have does nothing.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *ClientIDInput) (*struct{}, error) {
	return nil, s.updateOIDCProvider(ctx, in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(c string) bool { return c == in.ClientID })
		return nil
	})
}

// UpdateOpenIDConnectProviderThumbprintInput is
// UpdateOpenIDConnectProviderThumbprint's request.
type UpdateOpenIDConnectProviderThumbprintInput struct {
	OpenIDConnectProviderArn string
	ThumbprintList           []string
}

// UpdateOpenIDConnectProviderThumbprint replaces a provider's thumbprints.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, _ *identity.Call, in *UpdateOpenIDConnectProviderThumbprintInput) (*struct{}, error) {
	thumbs, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	return nil, s.updateOIDCProvider(ctx, in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.Thumbprints = thumbs
		return nil
	})
}

// TagOpenIDConnectProvider adds or replaces a provider's tags.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *OpenIDConnectProviderInput) (*struct{}, error) {
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, s.updateOIDCProvider(ctx, in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		tags, err := mergeTags(p.Tags, add, "OpenIdConnectProvider")
		p.Tags = tags
		return err
	})
}

// UntagOpenIDConnectProvider removes tags of a provider.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, _ *identity.Call, in *OpenIDConnectProviderInput) (*struct{}, error) {
	return nil, s.updateOIDCProvider(ctx, in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
}

// ListOpenIDConnectProviderTags lists a provider's tags.
func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, _ *identity.Call, in *OpenIDConnectProviderInput) (*ListTagsOutput, error) {
	p, err := s.getOIDCProvider(ctx, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	return listTags(p.Tags, in.Marker, in.MaxItems)
}

// OIDCProviderByURL finds the account's OIDC provider whose URL is issuer
// (a token's iss claim, compared exactly: scheme, host and path are
// case-sensitive), for AssumeRoleWithWebIdentity. When there is none it
// returns AWS's InvalidIdentityToken "No OpenIDConnect provider found in
// your account for <issuer>".
func (s *Service) OIDCProviderByURL(ctx context.Context, issuer string) (store.OIDCProvider, error) {
	notFound := awserr.Errorf(awserr.InvalidIdentityToken, "No OpenIDConnect provider found in your account for %s", issuer)
	if !strings.HasPrefix(issuer, "https://") || len(issuer) > 2048 {
		return store.OIDCProvider{}, notFound
	}
	p, err := s.st.GetOIDCProvider(ctx, s.account, s.oidcProviderARN(issuer))
	if isNotFound(err) || err == nil && p.URL != issuer {
		return store.OIDCProvider{}, notFound
	}
	return p, err
}
