package cases

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// uicPattern is the UIC as key-population programmes build it: two letters of the
// mother's first name, two of the father's, day of birth, last two digits of the year.
var uicPattern = regexp.MustCompile(`^[A-Z]{4}(0[1-9]|[12][0-9]|3[01])[0-9]{2}$`)

// crockford is base32 without the letters people confuse (I, L, O, U).
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NormalizeUIC returns the UIC folded (FoldUIC) and whether it has the expected shape.
func NormalizeUIC(uic string) (string, bool) {
	s := FoldUIC(uic)
	return s, uicPattern.MatchString(s)
}

// FoldUIC writes a UIC, or a part of one, as the pseudonym is computed from it: upper
// case, accents removed, spaces, dots and dashes dropped ("Má jo" → "MAJO").
func FoldUIC(s string) string {
	t := transform.Chain(norm.NFD, transform.RemoveFunc(func(r rune) bool {
		return unicode.Is(unicode.Mn, r) || unicode.IsSpace(r) || r == '-' || r == '.'
	}), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return ""
	}
	return strings.ToUpper(out)
}

// Pseudonym returns the survivor's pseudonym: the keyed HMAC-SHA256 of the normalized
// UIC under the organization's pseudonym key, shown as a short code.
func Pseudonym(orgKey []byte, normalizedUIC string) string {
	m := hmac.New(sha256.New, orgKey)
	m.Write([]byte(normalizedUIC))
	return shortCode(m.Sum(nil))
}

// RandomPseudonym returns a pseudonym for a case recorded without a UIC.
func RandomPseudonym() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return shortCode(b), nil
}

// shortCode writes the first 80 bits as 16 Crockford base32 characters in groups of
// four: enough that two survivors never share one, short enough to read aloud.
func shortCode(sum []byte) string {
	s := crockford.EncodeToString(sum[:10])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}
