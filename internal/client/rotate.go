package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Rotation is the plan and result of rotate-keys.
type Rotation struct {
	Profile string `json:"profile"`
	File    string `json:"credentials_file"`
	Caller  string `json:"caller_arn"`
	OldKey  string `json:"old_access_key_id"` // masked
	NewKey  string `json:"new_access_key_id"` // masked
	// Steps done, in order (created, verified, written, deactivated, deleted).
	Steps []string `json:"steps"`
}

// RotateOptions tune Rotate.
type RotateOptions struct {
	Options
	// KeepOld deactivates the old key but does not delete it.
	KeepOld bool
	// PropagationWait bounds how long a new key is retried until it works
	// (AWS keys take seconds to propagate).
	PropagationWait time.Duration
	// Step reports progress (nil: silent).
	Step  func(msg string)
	Cache *Cache
}

// RotateError is a failed rotation: what state the keys are in and how to
// recover. The profile always has a working key when Rotate returns.
type RotateError struct {
	Stage    string
	Err      error
	Recovery string
}

func (e *RotateError) Error() string {
	s := fmt.Sprintf("rotate-keys stopped while %s: %v", e.Stage, e.Err)
	if e.Recovery != "" {
		s += "\n" + e.Recovery
	}
	return s
}
func (e *RotateError) Unwrap() error { return e.Err }

// Rotate replaces the profile's long-term access key: it creates a new key
// for the same identity, checks it works, writes it to the credentials
// file, then deactivates and deletes the old key with the new one. At each
// step a failure stops the rotation with the profile still holding a key
// that works; the error says how to finish or undo by hand.
func Rotate(ctx context.Context, o RotateOptions) (Rotation, error) {
	files := SharedFiles()
	profile := o.EffectiveProfile()
	r := Rotation{Profile: profile, File: files.Credentials}
	step := func(s string) {
		r.Steps = append(r.Steps, s)
		if o.Step != nil {
			o.Step(s)
		}
	}
	if o.PropagationWait == 0 {
		o.PropagationWait = 15 * time.Second
	}

	cred, err := readINI(files.Credentials)
	if err != nil {
		return r, err
	}
	oldID, ok1 := cred.get(profile, "aws_access_key_id")
	oldSecret, ok2 := cred.get(profile, "aws_secret_access_key")
	if !ok1 || !ok2 {
		return r, fmt.Errorf("profile %q has no aws_access_key_id/aws_secret_access_key in %s: rotate-keys rotates long-term keys kept there (role and credential_process profiles rotate their source_profile)", profile, files.Credentials)
	}
	if tok, ok := cred.get(profile, "aws_session_token"); ok && tok != "" || IsTemporaryKeyID(oldID) {
		return r, fmt.Errorf("profile %q holds temporary credentials (%s); only long-term AKIA keys can be rotated", profile, MaskKeyID(oldID))
	}
	r.OldKey = MaskKeyID(oldID)

	base, err := LoadConfig(ctx, Options{Profile: profile, Region: o.Region, EndpointURL: o.EndpointURL})
	if err != nil {
		return r, err
	}
	base = withDefaultRegion(base)
	clients := func(id, secret string) (*sts.Client, *iam.Client) {
		cfg := base.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, "")
		return sts.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	}
	oldSTS, oldIAM := clients(oldID, oldSecret)
	who, err := oldSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return r, &RotateError{Stage: "checking the current key", Err: err,
			Recovery: "The current key does not work, so there is nothing safe to rotate from. Run: castellan doctor --profile " + profile}
	}
	if err := CheckARN("GetCallerIdentity", aws.ToString(who.Arn)); err != nil {
		return r, &RotateError{Stage: "checking the current key", Err: err, Recovery: "Nothing was changed. Check that the profile's endpoint_url is the Castellan server you meant."}
	}
	r.Caller = aws.ToString(who.Arn)

	// AWS allows two keys per user: make room only if the other is ours to judge.
	list, err := oldIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		return r, &RotateError{Stage: "listing the access keys", Err: err, Recovery: "Nothing was changed. The caller needs iam:ListAccessKeys, iam:CreateAccessKey, iam:UpdateAccessKey and iam:DeleteAccessKey on itself."}
	}
	if len(list.AccessKeyMetadata) >= 2 {
		var other []string
		for _, k := range list.AccessKeyMetadata {
			if id := aws.ToString(k.AccessKeyId); id != oldID {
				other = append(other, fmt.Sprintf("%s (%s)", MaskKeyID(id), k.Status))
			}
		}
		return r, &RotateError{Stage: "making room for a new key", Err: errors.New("the identity already has two access keys, the most AWS allows"),
			Recovery: "Nothing was changed. Delete the other key first if it is unused: " + strings.Join(other, ", ") + " (aws iam delete-access-key --access-key-id ID)"}
	}

	created, err := oldIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		return r, &RotateError{Stage: "creating the new key", Err: err, Recovery: "Nothing was changed; the current key still works."}
	}
	newID, newSecret := aws.ToString(created.AccessKey.AccessKeyId), aws.ToString(created.AccessKey.SecretAccessKey)
	if err := CheckAccessKey("CreateAccessKey", newID, newSecret); err != nil {
		// Neither value is used, echoed or written: a key id that is not
		// one cannot be deleted by name either.
		return r, &RotateError{Stage: "checking the new key", Err: err,
			Recovery: "Nothing was written; the profile keeps its current key " + r.OldKey + ", which still works. The server may have created a key anyway: list the identity's keys (aws iam list-access-keys) and delete any you do not recognise, and check that the profile's endpoint_url is the Castellan server you meant."}
	}
	r.NewKey = MaskKeyID(newID)
	step("created " + r.NewKey)
	undo := func(stage string, err error) error {
		_, derr := oldIAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(newID)})
		rec := "The new key was deleted again; the profile keeps its current key " + r.OldKey + ", which still works."
		if derr != nil {
			rec = fmt.Sprintf("The profile keeps its current key %s, which still works. The new key %s could not be deleted (%v): delete it with: aws iam delete-access-key --access-key-id %s", r.OldKey, r.NewKey, derr, newID)
		}
		return &RotateError{Stage: stage, Err: err, Recovery: rec}
	}

	newSTS, newIAM := clients(newID, newSecret)
	if err := waitWorks(ctx, newSTS, r.Caller, o.PropagationWait); err != nil {
		return r, undo("checking the new key", err)
	}
	step("verified " + r.NewKey + " as " + r.Caller)

	cred, err = readINI(files.Credentials) // re-read: keep edits made meanwhile
	if err != nil {
		return r, undo("reading the credentials file", err)
	}
	if err := cred.set(profile, "aws_access_key_id", newID); err != nil {
		return r, undo("writing the credentials file", err)
	}
	if err := cred.set(profile, "aws_secret_access_key", newSecret); err != nil {
		return r, undo("writing the credentials file", err)
	}
	if err := writeFileAtomic(files.Credentials, cred.bytes()); err != nil {
		return r, undo("writing the credentials file", err)
	}
	step("wrote " + r.NewKey + " to " + files.Credentials + " [" + profile + "]")
	if o.Cache != nil {
		o.Cache.Forget(profile)
	}

	// From here the profile holds the new, verified key.
	if _, err := newIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(oldID), Status: iamtypes.StatusTypeInactive}); err != nil {
		return r, &RotateError{Stage: "deactivating the old key", Err: err,
			Recovery: fmt.Sprintf("The profile now uses the new key %s, which works. The old key %s is still active: deactivate and delete it with: aws iam update-access-key --access-key-id %s --status Inactive && aws iam delete-access-key --access-key-id %s", r.NewKey, r.OldKey, oldID, oldID)}
	}
	step("deactivated " + r.OldKey)
	if err := waitWorks(ctx, newSTS, r.Caller, o.PropagationWait); err != nil {
		_, rerr := newIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(oldID), Status: iamtypes.StatusTypeActive})
		rec := fmt.Sprintf("The old key %s was re-activated. The credentials file holds the new key %s; put the old one back if the new one keeps failing.", r.OldKey, r.NewKey)
		if rerr != nil {
			rec = fmt.Sprintf("Re-activate the old key: aws iam update-access-key --access-key-id %s --status Active (%v)", oldID, rerr)
		}
		return r, &RotateError{Stage: "checking the new key after deactivating the old one", Err: err, Recovery: rec}
	}
	if o.KeepOld {
		step("kept " + r.OldKey + " (inactive)")
		return r, nil
	}
	if _, err := newIAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(oldID)}); err != nil {
		return r, &RotateError{Stage: "deleting the old key", Err: err,
			Recovery: fmt.Sprintf("The profile uses the new key %s, which works; the old key %s is inactive. Delete it with: aws iam delete-access-key --access-key-id %s", r.NewKey, r.OldKey, oldID)}
	}
	step("deleted " + r.OldKey)
	return r, nil
}

// waitWorks retries GetCallerIdentity until it succeeds as arn (keys take a
// moment to propagate in AWS) or wait has passed.
func waitWorks(ctx context.Context, c *sts.Client, arn string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	delay := 250 * time.Millisecond
	for {
		out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			if got := aws.ToString(out.Arn); got != arn {
				return fmt.Errorf("the new key belongs to %s, not %s", got, arn)
			}
			return nil
		}
		if time.Now().Add(delay).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}
