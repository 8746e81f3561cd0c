package cases

import (
	"context"
	"regexp"
	"testing"
)

func TestNormalizeUIC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"OK", "MAJO1585", "MAJO1585", true},
		{"OKLowerCase", "majo1585", "MAJO1585", true},
		{"OKAccents", "MáJó1585", "MAJO1585", true},
		{"OKEnye", "ñaño0101", "NANO0101", true},
		{"OKDieresisAndCedilla", "ÜÇEA3199", "UCEA3199", true},
		{"OKSpaces", " ma jo 15 85 ", "MAJO1585", true},
		{"OKTabs", "MA\tJO\t1585", "MAJO1585", true},
		{"OKDashesAndDots", "Má-Jo.15-85", "MAJO1585", true},
		{"OKDecomposedAccent", "Ma\u0301JO1585", "MAJO1585", true},
		{"ErrDay32", "MAJO3285", "MAJO3285", false},
		{"ErrDay00", "MAJO0085", "MAJO0085", false},
		{"ErrTooShort", "MAJO158", "MAJO158", false},
		{"ErrTooLong", "MAJO15850", "MAJO15850", false},
		{"ErrDigitForLetter", "MA1O1585", "MA1O1585", false},
		{"ErrLetterForDigit", "MAJO15B5", "MAJO15B5", false},
		{"ErrOtherScript", "МАJO1585", "МАJO1585", false}, // Cyrillic М and А
		{"ErrEmpty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeUIC(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeUIC(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

var pseudonymShape = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestPseudonyms(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	create := func(a Actor, uic string) string {
		t.Helper()
		in := validInput()
		in.UIC = uic
		c := mustCreate(t, s, a, in)
		if !pseudonymShape.MatchString(c.Subject) {
			t.Errorf("subject %q is not XXXX-XXXX-XXXX-XXXX in Crockford base32", c.Subject)
		}
		return c.Subject
	}
	first := create(ana, "MAJO1585")
	if again := create(bea, "má-jo 15.85"); again != first {
		t.Errorf("same UIC, same org: pseudonyms %s and %s differ", first, again)
	}
	if other := create(ana, "MAJO1685"); other == first {
		t.Errorf("different UICs share pseudonym %s", first)
	}
	if cal := create(carla, "MAJO1585"); cal == first {
		t.Errorf("same UIC in two organizations gives the same pseudonym %s", first)
	}
	r1, r2 := create(ana, ""), create(ana, "")
	if r1 == r2 || r1 == first {
		t.Errorf("cases without UIC got pseudonyms %s, %s (UIC case: %s): want random ones", r1, r2, first)
	}
	key, err := s.orgKeys.Pseudonym(context.Background(), "LIM")
	if err != nil {
		t.Fatal(err)
	}
	if want := Pseudonym(key, "MAJO1585"); first != want {
		t.Errorf("subject = %s, want HMAC of the normalized UIC %s", first, want)
	}
}

func TestUpdateUICSetsPseudonym(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	in := validInput()
	in.UIC = ""
	c := mustCreate(t, s, ana, in)
	withUIC := mustCreate(t, s, ana, validInput())
	got, err := s.Update(ctx, ana, c.ID, Patch{Version: ptr(c.Version), UIC: ptr("majo 1585")}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != withUIC.Subject {
		t.Errorf("subject after UIC edit = %s, want %s like the other case of MAJO1585", got.Subject, withUIC.Subject)
	}
}
