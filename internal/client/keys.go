package client

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Key shapes (aws-reference.md §2): access key ids are 16–128 word
// characters, 20 in practice with a 4-letter prefix and base32 A–Z2–7;
// secrets are 40 characters of base64 (may contain / and +).
const (
	keyIDLen     = 20
	minKeyIDLen  = 16
	maxKeyIDLen  = 128
	secretLen    = 40
	prefixLong   = "AKIA"
	prefixTemp   = "ASIA"
	maskedSecret = "****************************************"
)

// MaskKeyID shows a key id the way consoles do: the prefix and the last
// four characters, the rest as stars (AKIA************ABCD). Short or empty
// values are fully masked.
func MaskKeyID(id string) string {
	if id == "" {
		return ""
	}
	if len(id) < 12 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// MaskSecret shows only that a secret is set and its last four characters,
// as `aws configure` does.
func MaskSecret(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", 16) + s[len(s)-4:]
}

// IsTemporaryKeyID reports whether id is an STS (ASIA) key id.
func IsTemporaryKeyID(id string) bool { return strings.HasPrefix(id, prefixTemp) }

// oddRune reports characters that do not belong in a credential value:
// whitespace, control characters and invisible format characters such as a
// zero-width space or a byte-order mark (pasted from chat or a web page).
func oddRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf) || r == '\u00a0' || r == '\ufeff'
}

// OddCharacters describes the unwanted characters in v ("a newline at
// position 21", …); empty when there are none.
func OddCharacters(v string) []string {
	var out []string
	for i, r := range []rune(v) {
		if oddRune(r) {
			out = append(out, describeRune(r)+" at position "+strconv.Itoa(i+1))
		}
	}
	return out
}

func describeRune(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\t':
		return "a tab"
	case '\n':
		return "a newline"
	case '\r':
		return "a carriage return"
	case '\u00a0':
		return "a non-breaking space"
	case '\u200b':
		return "a zero-width space"
	case '\ufeff':
		return "a byte-order mark"
	}
	return fmt.Sprintf("the invisible character U+%04X", r)
}

// KeyIDProblem says what is wrong with the shape of an access key id, or ""
// when it looks like one AWS (and Castellan) issues.
func KeyIDProblem(id string) string {
	switch {
	case id == "":
		return "the access key id is empty"
	case len(OddCharacters(id)) > 0:
		return "the access key id contains " + strings.Join(OddCharacters(id), ", ")
	case len(id) < minKeyIDLen || len(id) > maxKeyIDLen:
		return "the access key id has " + strconv.Itoa(len(id)) + " characters; AWS key ids have 20 (16 to 128 allowed)"
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "the access key id contains " + quoteRune(r) + "; key ids are upper-case letters and digits only"
		}
	}
	if !strings.HasPrefix(id, prefixLong) && !strings.HasPrefix(id, prefixTemp) {
		return "the access key id starts with " + id[:4] + ", not AKIA (long-term key) or ASIA (temporary key)"
	}
	if len(id) != keyIDLen {
		return "the access key id has " + strconv.Itoa(len(id)) + " characters; AWS and Castellan issue 20"
	}
	return ""
}

// SecretProblem says what is wrong with the shape of a secret access key,
// or "" when it looks like one.
func SecretProblem(s string) string {
	switch {
	case s == "":
		return "the secret access key is empty"
	case len(OddCharacters(s)) > 0:
		return "the secret access key contains " + strings.Join(OddCharacters(s), ", ")
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '/' || r == '+') {
			return "the secret access key contains " + quoteRune(r) + "; secrets are letters, digits, / and + only"
		}
	}
	if len(s) != secretLen {
		return "the secret access key has " + strconv.Itoa(len(s)) + " characters; AWS and Castellan secrets have 40"
	}
	return ""
}

// LooksSwapped reports whether an id and secret were entered the wrong way
// round: the "id" has the shape of a secret and the "secret" that of an id.
func LooksSwapped(id, secret string) bool {
	return KeyIDProblem(secret) == "" && KeyIDProblem(id) != "" && len(strings.TrimSpace(id)) == secretLen
}

func quoteRune(r rune) string {
	if oddRune(r) {
		return describeRune(r)
	}
	return "'" + string(r) + "'"
}
