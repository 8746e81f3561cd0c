package cases

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"registro/validation"
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

// subjectPattern is a pseudonym as shortCode writes it.
var subjectPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

// ValidSubject reports whether s is written as a pseudonym is.
func ValidSubject(s string) bool { return subjectPattern.MatchString(s) }

// SubjectOf returns the pseudonym the survivor with uic has in org's cases, so that a
// coordinator can find every case of a woman who asks to see, correct or erase what is
// kept about her (Ley 29733). The UIC is neither stored nor returned. It returns a
// *validation.Error on "uic" when it is not shaped as a UIC.
func (s *Store) SubjectOf(ctx context.Context, org, uic string) (_ string, err error) {
	defer wrap(&err, "cases.Store.SubjectOf(%s)", org)
	folded, ok := NormalizeUIC(uic)
	if !ok {
		return "", validation.Field("uic", validation.UIC)
	}
	key, err := s.orgKeys.Pseudonym(ctx, org)
	if err != nil {
		return "", err
	}
	return Pseudonym(key, folded), nil
}
