package accounts

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"registro/validation"
)

// The policy follows NIST SP 800-63B: length matters and composition rules do not,
// but a password found in lists of common passwords, or guessable from its context or
// its own shape, is refused. The problems double as translation keys.
const (
	problemCommon   = validation.PasswordCommon
	problemRepeats  = validation.PasswordRepeats
	problemSequence = validation.PasswordSequence
	problemContext  = validation.PasswordContext
)

// commonPasswordsFile is zxcvbn's list of the 30,000 most common passwords (MIT; see
// its first line), lower-case, one a line.
//
//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the list as a set, built on first use; maxCommon is the length
// of its longest entry, so longer candidates are not looked up.
var commonPasswords = sync.OnceValues(func() (map[string]struct{}, int) {
	set := make(map[string]struct{}, 30000)
	longest := 0
	for line := range strings.SplitSeq(commonPasswordsFile, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
		longest = max(longest, utf8.RuneCountInString(line))
	}
	return set, longest
})

// CheckPassword applies the password policy to a password for the account username
// in organization org (a code). It returns nil when the password is acceptable, else
// a *validation.Error on field "password".
func CheckPassword(password, username, org string) error {
	v := &validation.Error{}
	checkPassword(v, "password", password, username, org)
	return v.Err()
}

// checkPassword records a policy violation on field.
func checkPassword(v *validation.Error, field, password, username, org string) {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		v.Add(field, validation.InvalidText)
	case n < minPassword:
		v.Add(field, validation.TooShort, "Min", 10)
	case n > maxPassword:
		v.Add(field, validation.TooLong, "Max", 256)
	default:
		if p := weakness([]rune(strings.ToLower(password)), username, org); p != "" {
			v.Add(field, p)
		}
	}
}

// weakness names what makes a lower-case password guessable, or returns "".
func weakness(pw []rune, username, org string) validation.Code {
	switch {
	case builtFromContext(pw, username, org):
		return problemContext
	case isCommon(pw):
		return problemCommon
	case repeats(pw):
		return problemRepeats
	case surprises(pw) < 4:
		return problemSequence
	}
	return ""
}

// isCommon reports whether pw, with or without its spaces, is a common password
// once runs of digits and punctuation at either end are cut: "password123!",
// "!!qwerty", "i love you 2". Digits are cut only off letters, so that a long
// random number is not refused for starting like a year.
func isCommon(pw []rune) bool {
	set, longest := commonPasswords()
	for _, p := range [][]rune{pw, []rune(strings.ReplaceAll(string(pw), " ", ""))} {
		for _, start := range cuts(p, true) {
			for _, end := range cuts(p, false) {
				if end-start <= 0 || end-start > longest {
					continue
				}
				if _, ok := set[string(p[start:end])]; ok {
					return true
				}
			}
		}
	}
	return false
}

// cuts returns where a stem of p may start (leading) or end: the ends of p, and every
// point inside the run of non-letters at that end that leaves letters in the stem or
// only punctuation in the part cut.
func cuts(p []rune, leading bool) []int {
	n := len(p)
	edge := map[bool]int{true: 0, false: n}[leading]
	points := []int{edge}
	for k := 1; k <= n; k++ {
		i := n - k // the rune that a cut of k from the end removes last
		if leading {
			i = k - 1
		}
		if unicode.IsLetter(p[i]) {
			break
		}
		cut, stem := p[i:], p[:i]
		if leading {
			cut, stem = p[:k], p[k:]
		}
		if hasLetter(stem) || !hasDigit(cut) {
			points = append(points, map[bool]int{true: k, false: i}[leading])
		}
	}
	return points
}

func hasLetter(p []rune) bool {
	for _, r := range p {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func hasDigit(p []rune) bool {
	for _, r := range p {
		if unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// repeats reports whether pw, or its core without digits and punctuation at the
// ends (when that is most of it), is a unit written at least twice: "aaaaaaaaaaaa",
// "passwordpassword", "abcabcabcab", "holaholahola2024".
func repeats(pw []rune) bool {
	if periodic(pw) {
		return true
	}
	start, end := 0, len(pw)
	for start < end && !unicode.IsLetter(pw[start]) {
		start++
	}
	for end > start && !unicode.IsLetter(pw[end-1]) {
		end--
	}
	core := pw[start:end]
	return len(core) >= 6 && 2*len(core) >= len(pw) && periodic(core)
}

// periodic reports whether p is a prefix of some unit of at most half its length
// repeated.
func periodic(p []rune) bool {
	for unit := 1; unit <= len(p)/2; unit++ {
		i := unit
		for i < len(p) && p[i] == p[i-unit] {
			i++
		}
		if i == len(p) {
			return true
		}
	}
	return false
}

// sequences are the orders a guesser walks: the alphabet, digits (also from 9 round
// to 0) and keyboard rows, either way.
var sequences = []string{"abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"}

// surprises counts the characters of pw that a guesser walking sequences and short
// repetitions would not predict from the ones before: "123456789012" has 1,
// "qwertyasdfgh" 2, "la luna sale tarde" 14. Each generated password has at least 4
// (its first letter and three dashes).
func surprises(pw []rune) int {
	n := 0
	for i, r := range pw {
		predicted := false
		for p := 1; p <= 4 && p <= i && !predicted; p++ {
			predicted = r == pw[i-p]
		}
		if i > 0 && !predicted {
			predicted = adjacent(pw[i-1], r)
		}
		if !predicted {
			n++
		}
	}
	return n
}

// adjacent reports whether b follows a, one way or the other, in one of sequences.
func adjacent(a, b rune) bool {
	for _, seq := range sequences {
		pair, rev := string([]rune{a, b}), string([]rune{b, a})
		if strings.Contains(seq, pair) || strings.Contains(seq, rev) {
			return true
		}
	}
	return false
}

// builtFromContext reports whether the letters of pw, once digits, spaces and
// punctuation are dropped, are nothing but the username, its parts, the organization
// code and the word "registro", each any number of times: "Rosa.Maria2024",
// "registro-LIM", "mariamaria!".
func builtFromContext(pw []rune, username, org string) bool {
	letters := lettersOf(string(pw))
	if len(letters) == 0 {
		return false
	}
	words := []string{"registro"}
	for _, w := range append([]string{lettersOf(strings.ToLower(username)), strings.ToLower(org)},
		strings.FieldsFunc(strings.ToLower(username), func(r rune) bool { return !unicode.IsLetter(r) })...) {
		if utf8.RuneCountInString(w) >= 2 {
			words = append(words, w)
		}
	}
	// made[i]: letters[:i] is a concatenation of words.
	made := make([]bool, len(letters)+1)
	made[0] = true
	for i := range len(letters) {
		if !made[i] {
			continue
		}
		for _, w := range words {
			if strings.HasPrefix(letters[i:], w) {
				made[i+len(w)] = true
			}
		}
	}
	return made[len(letters)]
}

func lettersOf(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, s)
}
