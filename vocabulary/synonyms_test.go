package vocabulary

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustSynonyms(tb testing.TB) (*Vocabulary, *Synonyms) {
	tb.Helper()
	v, err := Baseline()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := BaselineSynonyms(v)
	if err != nil {
		tb.Fatal(err)
	}
	return v, s
}

func TestSynonymsLookup(t *testing.T) {
	_, s := mustSynonyms(t)
	for _, tc := range []struct {
		list List
		text string
		want string
	}{
		{Perpetrators, "PNP", "police"},
		{Perpetrators, "  Policía ", "police"},
		{Perpetrators, "policia", "police"},
		{Perpetrators, "serenos", "serenazgo"},
		{Perpetrators, "Cliente", "client"},
		{Perpetrators, "fiscalizador", "municipal_inspector"},
		{Violations, "violación", "sexual"},
		{Violations, "Violencia sexual", "sexual"},
		{Violations, "cupos", "extortion"},
		{Violations, "detención arbitraria", "arbitrary_detention"},
		{Places, "vía pública", "street"},
		{Places, "night club", "venue"},
		{Genders, "Mujer trans", "trans_woman"},
		{Genders, "mujer cis", "cis_woman"},
		{Nationalities, "venezolana", "VE"},
		{Nationalities, "Venezuela", "VE"},
		{Nationalities, "PE", "PE"},
		{Nationalities, "Perú", "PE"},
		{Nationalities, "Colombia", "CO"},
		{Districts, "SJL", "150132"},
		{Districts, "sjl", "150132"},
		{Districts, "Rímac", "150128"},
		{Districts, "Rimac", "150128"},
		{Districts, "San Martin de Porres", "150135"},
		{Districts, "150115", "150115"},
		{Districts, "Cercado de Lima", "150101"},
		{Districts, "Callao", "070101"},
		{ReportedTo, "fiscalía", "prosecutor"},
		{Statuses, "en seguimiento", "in_follow_up"},
		{Outcomes, "resuelto", "resolved"},
	} {
		if got, ok := s.Lookup(tc.list, tc.text); !ok || got != tc.want {
			t.Errorf("Lookup(%s, %q) = %q, %v; want %q", tc.list, tc.text, got, ok, tc.want)
		}
	}
	for _, text := range []string{"Apurímac y algo", "xyz", ""} {
		if got, ok := s.Lookup(Districts, text); ok {
			t.Errorf("Lookup(districts, %q) = %q; want nothing", text, got)
		}
	}
}

func TestSynonymsWithin(t *testing.T) {
	_, s := mustSynonyms(t)
	if got, ok := s.Within(Perpetrators, "Serenazgo de Lince"); !ok || got != "serenazgo" {
		t.Errorf("Within(Serenazgo de Lince) = %q, %v", got, ok)
	}
	// Two codes inside one cell: not for Within to choose.
	if got, ok := s.Within(Perpetrators, "cliente con policía"); ok {
		t.Errorf("Within(cliente con policía) = %q; want no single code", got)
	}
}

func TestSynonymsNames(t *testing.T) {
	_, s := mustSynonyms(t)
	if got := s.Names(Districts, "150132"); !slices.Contains(got, "SJL") {
		t.Errorf("Names(150132) = %v; want SJL among them", got)
	}
}

func TestLoadSynonyms(t *testing.T) {
	v, _ := mustSynonyms(t)
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "org.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := LoadSynonyms(v, write(`{"perpetrators": {"guachimán": "venue_manager", "serenos": "other"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Lookup(Perpetrators, "Guachiman"); got != "venue_manager" {
		t.Errorf("the organization's word: %q", got)
	}
	if got, _ := s.Lookup(Perpetrators, "serenos"); got != "other" {
		t.Errorf("the organization's word replaces the built-in one: %q", got)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"ErrUnknownList": {`{"colores": {"rojo": "red"}}`, `unknown list "colores"`},
		"ErrUnknownCode": {`{"places": {"playa": "beach"}}`, `"playa" names unknown code "beach"`},
		"ErrTwoCodes":    {`{"places": {"Playa": "street", "playa": "other"}}`, `given both`},
		"ErrNotJSON":     {`{"places": `, `org.json`},
	} {
		_, err := LoadSynonyms(v, write(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", name, err, tc.want)
		}
	}
}
