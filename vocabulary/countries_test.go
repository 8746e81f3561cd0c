package vocabulary

import (
	"strings"
	"testing"
)

func TestNationalities(t *testing.T) {
	v := mustBaseline(t)
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"OK/Venezuela", "VE", true},
		{"OK/Peru", "PE", true},
		{"OK/Colombia", "CO", true},
		{"OK/UnitedStates", "US", true},
		{"ErrUnassigned", "XX", false},
		{"ErrUserAssigned", "XK", false},
		{"ErrReserved", "UK", false},
		{"ErrLowerCase", "ve", false},
		{"ErrAlpha3", "VEN", false},
		{"ErrEmpty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.Has(Nationalities, tt.code); got != tt.want {
				t.Errorf("Has(nationalities, %q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
	if got := v.Label(Nationalities, "PE", "es"); got != "Perú" {
		t.Errorf("Spanish name of PE = %q, want %q", got, "Perú")
	}
	if got := v.Label(Nationalities, "VE", "en"); got != "Venezuela" {
		t.Errorf("English name of VE = %q, want %q", got, "Venezuela")
	}
	if d := diff(Countries("es"), v.Terms(Nationalities)); d != "" {
		t.Errorf("Terms(nationalities) differs from Countries(\"es\"):\n%s", d)
	}
}

func TestCountries(t *testing.T) {
	for _, tt := range []struct {
		lang        string
		first, last []string // names
	}{
		{"es", []string{"Perú", "Venezuela", "Colombia", "Afganistán", "Albania", "Alemania"}, []string{"Zambia", "Zimbabue"}},
		{"en", []string{"Peru", "Venezuela", "Colombia", "Afghanistan", "Åland Islands", "Albania"}, []string{"Zambia", "Zimbabwe"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			terms := Countries(tt.lang)
			if len(terms) != 249 {
				t.Errorf("len(Countries) = %d, want 249", len(terms))
			}
			var names []string
			seen := map[string]bool{}
			for _, c := range terms {
				names = append(names, c.Label(tt.lang))
				if c.ES == c.Code || c.EN == c.Code || strings.ToUpper(c.Code) != c.Code || seen[c.Code] {
					t.Errorf("term %+v: want a unique upper-case code with real names", c)
				}
				seen[c.Code] = true
			}
			if d := diff(tt.first, names[:len(tt.first)]); d != "" {
				t.Errorf("first names:\n%s", d)
			}
			if d := diff(tt.last, names[len(names)-len(tt.last):]); d != "" {
				t.Errorf("last names:\n%s", d)
			}
		})
	}
}
