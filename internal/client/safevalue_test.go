package client

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestCheckLine(t *testing.T) {
	for _, tc := range []struct {
		name, section, key, value, want string
	}{
		{name: "plain", section: "profile dev", key: "region", value: "us-east-1"},
		{name: "spaces and symbols", section: "default", key: "credential_process", value: `castellan credential-process --profile "a b" ; # = [x]`},
		{name: "unicode", section: "default", key: "role_session_name", value: "Zoë"},
		{name: "tab", section: "default", key: "external_id", value: "a\tb"},
		{name: "empty", section: "default", key: "region", value: ""},
		{name: "LF in value", section: "default", key: "region", value: "a\nb", want: "a newline at byte 2"},
		{name: "CR in value", section: "default", key: "region", value: "ab\r", want: "a carriage return at byte 3"},
		{name: "CRLF in value", section: "default", key: "region", value: "\r\n", want: "a carriage return at byte 1"},
		{name: "NUL in value", section: "default", key: "region", value: "a\x00", want: "a NUL byte at byte 2"},
		{name: "LF in section", section: "x]\n[default", key: "region", value: "a", want: "a newline"},
		{name: "bracket in section", section: "x] [y", key: "region", value: "a", want: "a bracket"},
		{name: "LF in key", section: "default", key: "k\ncredential_process", value: "a", want: "a newline at byte 2 in its name"},
		{name: "NUL in key", section: "default", key: "k\x00", value: "a", want: "a NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkLine(tc.section, tc.key, tc.value)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkLine = %v, want nil", err)
				}
				return
			}
			var uv *UnsafeValueError
			if !errors.As(err, &uv) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkLine = %v, want an UnsafeValueError with %q", err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Errorf("the error message itself carries a line break: %q", err.Error())
			}
			// set applies the same rule and leaves the file unchanged.
			f := parseINI([]byte("[default]\nregion = us-west-2\n"))
			before := f.bytes()
			if err := f.set(tc.section, tc.key, tc.value); err == nil {
				t.Error("set accepted what checkLine refuses")
			}
			if !bytes.Equal(f.bytes(), before) {
				t.Errorf("a refused set changed the file: %q", f.bytes())
			}
		})
	}
}

func TestCheckAccessKey(t *testing.T) {
	for _, tc := range []struct {
		name, id, secret, want string
	}{
		{name: "good", id: goodKeyID, secret: goodSecret},
		{name: "all base32 letters", id: "AKIAABCDEFGHIJ234567", secret: strings.Repeat("+/", 20)},
		{name: "empty id", secret: goodSecret, want: "access key id that is empty"},
		{name: "ASIA", id: goodTempID, secret: goodSecret, want: "not AKIA"},
		{name: "digit 0 is not base32", id: "AKIAZ2XKQBN7EXAMPLE0", secret: goodSecret, want: "not AKIA"},
		{name: "digit 1", id: "AKIAZ2XKQBN7EXAMPLE1", secret: goodSecret, want: "not AKIA"},
		{name: "lower case", id: "AKIAz2XKQBN7EXAMPLE7", secret: goodSecret, want: "not AKIA"},
		{name: "21 characters", id: goodKeyID + "A", secret: goodSecret, want: "of 21 bytes"},
		{name: "19 characters", id: goodKeyID[:19], secret: goodSecret, want: "of 19 bytes"},
		{name: "id with LF", id: goodKeyID + "\n", secret: goodSecret, want: "a newline at byte 21"},
		{name: "id with ESC", id: "AKIA\x1b[2JXKQBN7EXAMP", secret: goodSecret, want: "control character U+001B"},
		{name: "empty secret", id: goodKeyID, want: "secret access key that is empty"},
		{name: "secret 39", id: goodKeyID, secret: goodSecret[:39], want: "of 39 bytes"},
		{name: "secret 41", id: goodKeyID, secret: goodSecret + "A", want: "of 41 bytes"},
		{name: "secret with =", id: goodKeyID, secret: goodSecret[:39] + "=", want: "secret access key of 40 bytes"},
		{name: "secret with -", id: goodKeyID, secret: goodSecret[:39] + "-", want: "secret access key of 40 bytes"},
		{name: "secret with injection", id: goodKeyID, secret: goodSecret + injection, want: "a newline at byte 41"},
		{name: "secret with CR", id: goodKeyID, secret: goodSecret[:39] + "\r", want: "a carriage return at byte 40"},
		{name: "secret with NUL", id: goodKeyID, secret: goodSecret[:39] + "\x00", want: "a NUL byte at byte 40"},
		{name: "secret with space", id: goodKeyID, secret: goodSecret[:39] + " ", want: "of 40 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAccessKey("CreateAccessKey", tc.id, tc.secret)
			check(t, err, tc.want)
			if err != nil && (strings.Contains(err.Error(), goodSecret[:20]) || strings.Contains(err.Error(), "evil")) {
				t.Errorf("the error echoes the value: %v", err)
			}
		})
	}
}

func TestCheckSessionCredentials(t *testing.T) {
	exp := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	good := aws.Credentials{AccessKeyID: goodTempID, SecretAccessKey: goodSecret, SessionToken: goodToken, CanExpire: true, Expires: exp}
	with := func(f func(*aws.Credentials)) aws.Credentials { c := good; f(&c); return c }
	for _, tc := range []struct {
		name string
		c    aws.Credentials
		want string
	}{
		{name: "good", c: good},
		{name: "token unpadded", c: with(func(c *aws.Credentials) { c.SessionToken = "AQoDYXdzEJr" })},
		{name: "token 16 KiB", c: with(func(c *aws.Credentials) { c.SessionToken = strings.Repeat("A", 16<<10) })},
		{name: "token over 16 KiB", c: with(func(c *aws.Credentials) { c.SessionToken = strings.Repeat("A", 16<<10+1) }), want: "of 16385 bytes"},
		{name: "token empty", c: with(func(c *aws.Credentials) { c.SessionToken = "" }), want: "session token that is empty"},
		{name: "token with LF", c: with(func(c *aws.Credentials) { c.SessionToken = goodToken + injection }), want: "session token containing a newline"},
		{name: "token with NUL", c: with(func(c *aws.Credentials) { c.SessionToken = "AA\x00A" }), want: "a NUL byte at byte 3"},
		{name: "token with space", c: with(func(c *aws.Credentials) { c.SessionToken = "AA AA" }), want: "session token of 5 bytes"},
		{name: "token padding inside", c: with(func(c *aws.Credentials) { c.SessionToken = "AA=AA" }), want: "session token of 5 bytes"},
		{name: "token three pads", c: with(func(c *aws.Credentials) { c.SessionToken = "AA===" }), want: "session token of 5 bytes"},
		{name: "AKIA id", c: with(func(c *aws.Credentials) { c.AccessKeyID = goodKeyID }), want: "not ASIA"},
		{name: "id with CR", c: with(func(c *aws.Credentials) { c.AccessKeyID = goodTempID[:19] + "\r" }), want: "carriage return at byte 20"},
		{name: "bad secret", c: with(func(c *aws.Credentials) { c.SecretAccessKey = goodSecret[:39] + "\n" }), want: "secret access key containing a newline"},
		{name: "no expiry", c: with(func(c *aws.Credentials) { c.CanExpire = false }), want: "without an expiration"},
		{name: "zero expiry", c: with(func(c *aws.Credentials) { c.Expires = time.Time{} }), want: "without an expiration"},
		{name: "year 10000", c: with(func(c *aws.Credentials) { c.Expires = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), want: "year 10000"},
		{name: "year 1999", c: with(func(c *aws.Credentials) { c.Expires = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }), want: "year 1999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, CheckSessionCredentials("GetSessionToken", tc.c), tc.want)
		})
	}
}

func TestCheckARN(t *testing.T) {
	for _, tc := range []struct{ arn, want string }{
		{arn: callerARN},
		{arn: "arn:aws:sts::123456789012:assumed-role/dev/alice@example.com"},
		{arn: "arn:aws:iam::123456789012:root"},
		{arn: "arn:aws-us-gov:iam::123456789012:user/path/to/bob"},
		{arn: "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{arn: "", want: "ARN that is empty"},
		{arn: "aws:iam::123456789012:root", want: "ARN of 26 bytes"},
		{arn: "arn:aws:iam::123456789012:", want: "ARN of 26 bytes"},
		{arn: "arn:aws:iam::123456789012:user/a b", want: "ARN of 34 bytes"},
		{arn: callerARN + injection, want: "ARN containing a newline"},
		{arn: callerARN + "\x1b]0;x\x07", want: "control character U+001B"},
		{arn: "arn:aws:iam::123456789012:user/" + strings.Repeat("a", 2048), want: "at most 2048"},
	} {
		t.Run(tc.arn, func(t *testing.T) { check(t, CheckARN("GetCallerIdentity", tc.arn), tc.want) })
	}
}

func check(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrBadResponse containing %q", err, want)
	}
	if strings.ContainsAny(err.Error(), "\r\n\x00\x1b") {
		t.Errorf("the error message carries the hostile characters: %q", err.Error())
	}
}

// FuzzINIEdit: whatever a file holds, reading it never panics, writing it
// back is stable (after CRLF → LF), and a set either
// refuses (file unchanged) or makes exactly that value readable back in
// that section while adding no other setting and at most one section: a
// value can never add a line of its own.
func FuzzINIEdit(f *testing.F) {
	f.Add([]byte("[default]\nregion = us-east-1\n"), "default", "x")
	f.Add([]byte("# top\n[profile dev]\nregion=eu-west-1 ; why\ns3 =\n  max_concurrent_requests = 10\n\n[profile   other]\noutput = json\n"), "profile other", "v ; # [x]")
	f.Add([]byte("[default]\r\naws_access_key_id = AKIA\r\n"), "default", goodSecret+injection)
	f.Add([]byte("[ default ]  # c\n[default]\naws_secret_access_key=\n"), "default", "a\rb")
	f.Add([]byte("\x00[x]\n=\n[\n]"), "x", "\x00")
	f.Fuzz(func(t *testing.T, content []byte, section, value string) {
		const key = "aws_secret_access_key"
		ini := parseINI(content)
		_ = ini.sections()
		_, _ = ini.get(section, key)
		before := ini.bytes()
		// A line ending in a lone CR reads back as a CRLF line once written,
		// so the first write may normalise; from then on the bytes are stable.
		once := parseINI(before).bytes()
		if again := parseINI(once).bytes(); !bytes.Equal(again, once) {
			t.Fatalf("re-reading changed the file:\n%q\n%q", once, again)
		}
		nsec := len(ini.sections())
		nkeys := countKeys(ini)
		err := ini.set(section, key, value)
		if err != nil {
			if !bytes.Equal(ini.bytes(), before) {
				t.Fatalf("a refused set changed the file")
			}
			return
		}
		if strings.ContainsAny(section+value, "\r\n\x00") {
			t.Fatalf("set accepted a line break in %q / %q", section, value)
		}
		if normSection(section) != section || section == "" || strings.TrimSpace(value) != value {
			return // the SDKs' normalisation; the invariants below assume a canonical name and value
		}
		if got := len(ini.sections()); got > nsec+1 {
			t.Fatalf("set added %d sections", got-nsec)
		}
		if got := countKeys(ini); got > nkeys+1 {
			t.Fatalf("set added %d settings: %q", got-nkeys, ini.bytes())
		}
		re := parseINI(ini.bytes())
		if got, ok := re.get(section, key); !ok || got != value {
			t.Fatalf("after set, get = %q, %v; want %q\n%q", got, ok, value, ini.bytes())
		}
	})
}

func countKeys(f *iniFile) int {
	n := 0
	for _, l := range f.lines {
		if keyRE.MatchString(l) {
			n++
		}
	}
	return n
}
