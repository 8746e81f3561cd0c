package accounts

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"registro/validation"
)

// generatedRE is the shape of GeneratePassword: four groups of four letters, no "l".
var generatedRE = regexp.MustCompile(`^[a-km-z]{4}-[a-km-z]{4}-[a-km-z]{4}-[a-km-z]{4}$`)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	// A long passphrase that neither repeats nor walks a sequence.
	longest := string([]rune(strings.Repeat("la luna sale tarde y el río baja lento ", 7))[:250]) + "fin 26"
	tests := []struct{ name, password, username, org, want string }{
		{"OK", "diez letra", "ana", "LIM", ""},
		{"OKPassphrase", "la luna sale tarde", "ana", "LIM", ""},
		{"OKPassphraseSpanish", "mañana compro pan", "ana", "LIM", ""},
		{"OKGenerated", "kfwa-tbeq-zmuh-pcxr", "ana", "LIM", ""},
		{"OKOldGenerated", "JBSWY3DPEHPK3PXPQ7RZ2KDM4A", "ana", "LIM", ""},
		{"OKLongest", longest, "ana", "LIM", ""},
		{"OKRandomNumber", "198734562901", "ana", "LIM", ""},
		{"OKUsernameInsideAPhrase", "ana come mangos verdes", "ana", "LIM", ""},
		{"TooShort", "123456789", "ana", "LIM", "at least 10 characters"},
		{"TooShortInRunes", strings.Repeat("ñ", 9), "ana", "LIM", "at least 10 characters"},
		{"TooLong", strings.Repeat("ab", 129), "ana", "LIM", "at most 256 characters"},
		{"NotText", "\xff\xfe0123456789", "ana", "LIM", "must be valid text"},
		{"CommonRepeated", "aaaaaaaaaaaa", "ana", "LIM", en(problemRepeats)},
		{"CommonTwice", "passwordpassword", "ana", "LIM", en(problemRepeats)},
		{"RepeatsShortUnit", "abcabcabcabc", "ana", "LIM", en(problemRepeats)},
		{"RepeatsMultibyte", strings.Repeat("ñ", 10), "ana", "LIM", en(problemRepeats)},
		{"RepeatsThenDigits", "holaholahola2024", "ana", "LIM", en(problemRepeats)},
		{"SequenceDigits", "123456789012", "ana", "LIM", en(problemSequence)},
		{"SequenceLetters", "abcdefghijkl", "ana", "LIM", en(problemSequence)},
		{"SequenceBackwards", "zyxwvutsrqpo", "ana", "LIM", en(problemSequence)},
		{"SequenceKeyboard", "poiuytlkjhgf", "ana", "LIM", en(problemSequence)},
		{"SequenceKeyboardCommon", "qwertyasdfgh", "ana", "LIM", en(problemCommon)},
		{"Common", "iloveyou2024", "ana", "LIM", en(problemCommon)},
		{"CommonAnyCase", "PassWord1234", "ana", "LIM", en(problemCommon)},
		{"CommonTrailingDigitsAndPunctuation", "password123!", "ana", "LIM", en(problemCommon)},
		{"CommonLeadingPunctuation", "!!!sunshine!!", "ana", "LIM", en(problemCommon)},
		{"CommonWithSpaces", "i love you 123", "ana", "LIM", en(problemCommon)},
		{"CommonSpanish", "contrasena123", "ana", "LIM", en(problemCommon)},
		{"CommonNumberWithPunctuation", "123456!!!!", "ana", "LIM", en(problemCommon)},
		{"Username", "Rosa.Maria", "rosa.maria", "LIM", en(problemContext)},
		{"UsernameDigitsStripped", "rosamaria2026!", "rosa.maria", "LIM", en(problemContext)},
		{"UsernameParts", "maria-rosa-1990", "rosa.maria", "LIM", en(problemContext)},
		{"UsernameRepeated", "anaanaana123", "ana", "LIM", en(problemContext)},
		{"Org", "lim-2026-lim", "ana", "LIM", en(problemContext)},
		{"Registro", "Registro2026!", "ana", "LIM", en(problemContext)},
		{"RegistroAndOrg", "registro lim 99", "ana", "LIM", en(problemContext)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.password, tt.username, tt.org)
			got := ""
			if err != nil {
				got = invalidFields(err)["password"]
				if got == "" {
					t.Fatalf("CheckPassword = %v, want a *validation.Error on password", err)
				}
			}
			if got != tt.want {
				t.Errorf("CheckPassword(%q) problem = %q, want %q", tt.password, got, tt.want)
			}
		})
	}
	if utf8.RuneCountInString(longest) != 256 {
		t.Errorf("the longest case has %d characters, want 256", utf8.RuneCountInString(longest))
	}
}

// checkPassword names the field it is told: "new" for ChangeOwnPassword.
func TestCheckPasswordField(t *testing.T) {
	t.Parallel()
	v := &validation.Error{}
	checkPassword(v, "new", "aaaaaaaaaaaa", "ana", "LIM")
	if d := diff(map[string]string{"new": en(problemRepeats)}, v.Messages()); d != "" {
		t.Errorf("fields:%s", d)
	}
}

func TestCommonPasswordsList(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(commonPasswordsFile, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "# ") || !strings.Contains(lines[0], "zxcvbn") || !strings.Contains(lines[0], "MIT") {
		t.Errorf("first line %q: want a comment naming the source and its licence", lines[0])
	}
	set, _ := commonPasswords()
	if len(set) < 10000 || len(set) != len(lines)-1 {
		t.Errorf("%d passwords in the set from %d lines; want at least 10,000, one a line", len(set), len(lines)-1)
	}
	for _, p := range lines[1:] {
		if p != strings.ToLower(p) || p == "" {
			t.Fatalf("entry %q: want lower case, not empty", p)
		}
	}
	for _, p := range []string{"123456", "password", "qwerty", "iloveyou"} {
		if _, ok := set[p]; !ok {
			t.Errorf("%q missing from the list", p)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	t.Parallel()
	if bits := float64(passwordGroups*passwordGroupLen) * math.Log2(float64(len(typingAlphabet))); bits < 60 || int(bits) != passwordBits {
		t.Errorf("generated passwords carry %.1f bits; want at least 60, as passwordBits (%d) says", bits, passwordBits)
	}
	if strings.ContainsAny(typingAlphabet, "l") || len(typingAlphabet) != 25 {
		t.Errorf("alphabet %q: want the 25 letters but l", typingAlphabet)
	}
	seen := map[string]bool{}
	for range 500 {
		pw := GeneratePassword()
		if !generatedRE.MatchString(pw) || len(pw) != 19 {
			t.Fatalf("GeneratePassword() = %q: want 19 characters, four groups of four letters without l", pw)
		}
		if err := CheckPassword(pw, "ana", "LIM"); err != nil {
			t.Fatalf("GeneratePassword() = %q, refused by the policy: %v", pw, err)
		}
		if seen[pw] {
			t.Fatalf("GeneratePassword() repeated %q", pw)
		}
		seen[pw] = true
	}
}

func TestRecoveryCodeShape(t *testing.T) {
	t.Parallel()
	if bits := float64(2*recoveryGroupLen) * math.Log2(float64(len(typingAlphabet))); bits < 40 || int(bits) != recoveryBits {
		t.Errorf("recovery codes carry %.1f bits; want at least 40, as recoveryBits (%d) says", bits, recoveryBits)
	}
	re := regexp.MustCompile(`^[a-km-z]{5}-[a-km-z]{5}$`)
	for range 100 {
		if c := recoveryCode(); !re.MatchString(c) {
			t.Fatalf("recoveryCode() = %q, want abcde-fghij", c)
		}
	}
}
