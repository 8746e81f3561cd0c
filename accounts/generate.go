package accounts

import (
	"crypto/rand"
	"strings"
)

// typingAlphabet is what generated secrets are made of: lower-case letters only, so a
// cheap phone's keyboard never changes layer, without "l", which some screens show
// like "i" or "1". 25 letters: log2(25) ≈ 4.64 bits each.
const typingAlphabet = "abcdefghijkmnopqrstuvwxyz"

// Generated secrets' shapes and strengths, checked by the tests.
const (
	passwordGroups   = 4
	passwordGroupLen = 4
	passwordBits     = 74 // 16 letters × log2(25) = 74.3 bits
	recoveryGroupLen = 5
	recoveryBits     = 46 // 10 letters × log2(25) = 46.4 bits
	recoveryCount    = 10
)

// GeneratePassword returns a new password that is easy to type on a phone: four
// groups of four lower-case letters joined by "-" (19 characters, such as
// "kfwa-tbeq-zmuh-pcxr"), 74 bits of randomness, and always accepted by the policy.
func GeneratePassword() string { return generatePassword() }

func generatePassword() string {
	for {
		pw := grouped(passwordGroups, passwordGroupLen)
		// Some draws, rarely, look like a pattern ("abcd-…"); draw again.
		if weakness([]rune(pw), "", "") == "" {
			return pw
		}
	}
}

// recoveryCode returns a recovery code: two groups of five letters, "abcde-fghij"
// (46 bits).
func recoveryCode() string { return grouped(2, recoveryGroupLen) }

// grouped returns groups of n random letters of typingAlphabet joined by "-".
func grouped(groups, n int) string {
	parts := make([]string, groups)
	for i := range parts {
		parts[i] = randomLetters(n)
	}
	return strings.Join(parts, "-")
}

// randomLetters draws n letters of typingAlphabet uniformly: bytes of 250 and above
// are thrown away, so that every letter is as likely.
func randomLetters(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never returns an error (crypto/rand, Go 1.24+)
		for _, b := range buf {
			if b < 250 && len(out) < n {
				out = append(out, typingAlphabet[int(b)%len(typingAlphabet)])
			}
		}
	}
	return string(out)
}
