package vocabulary

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseExtend(t *testing.T) {
	base := mustBaseline(t)
	v := mustParse(t, base, `{"lists": {
		"perpetrators": [
			{"code": "pimp", "es": "Proxeneta", "en": "Pimp"},
			{"code": "police", "es": "PNP", "en": "National Police"}],
		"statuses": [{"code": "in_follow_up", "es": "Seguimiento", "en": "Follow-up"}],
		"districts": [{"code": "150115", "es": "La Vicky", "en": "La Victoria"},
			{"code": "130101", "es": "Trujillo", "en": "Trujillo", "level": "district", "parent": "1301"}]}}`)

	got := codes(v.Terms(Perpetrators))
	want := append(codes(base.Terms(Perpetrators)), "pimp")
	if d := diff(want, got); d != "" {
		t.Errorf("perpetrators after extend:\n%s", d)
	}
	for _, c := range []struct {
		list       List
		code, lang string
		want       string
	}{
		{Perpetrators, "pimp", "es", "Proxeneta"},
		{Perpetrators, "police", "en", "National Police"},
		{Statuses, "in_follow_up", "es", "Seguimiento"},
		{Statuses, "open", "es", "Abierto"},
		{Districts, "150115", "es", "La Vicky"},
	} {
		if got := v.Label(c.list, c.code, c.lang); got != c.want {
			t.Errorf("Label(%s, %q, %q) = %q, want %q", c.list, c.code, c.lang, got, c.want)
		}
	}
	if d := diff(Term{Code: "150115", ES: "La Vicky", EN: "La Victoria", Level: "district", Parent: "1501"},
		v.Terms(Districts)[14]); d != "" {
		t.Errorf("relabelled district keeps its level and parent:\n%s", d)
	}
	if !v.Has(Districts, "130101") || !v.Has(Nationalities, "VE") {
		t.Error("extended vocabulary lost a district or the nationalities")
	}
	if got := base.Label(Perpetrators, "police", "en"); got != "Police" {
		t.Errorf("baseline changed by Parse: Label = %q, want %q", got, "Police")
	}
}

func TestParseReplace(t *testing.T) {
	base := mustBaseline(t)
	v := mustParse(t, base, `{"mode": "replace", "lists": {
		"districts": [{"code": "110101", "es": "Cusco", "en": "Cusco", "level": "district"}],
		"outcomes": [{"code": "unresolved", "es": "Sin resolver", "en": "Not resolved"},
			{"code": "resolved", "es": "Resuelto", "en": "Resolved"},
			{"code": "partly_resolved", "es": "A medias", "en": "Half"}]}}`)

	if d := diff([]string{"110101"}, codes(v.Terms(Districts))); d != "" {
		t.Errorf("districts after replace:\n%s", d)
	}
	// Fixed lists keep the baseline's codes and order; only labels change.
	if d := diff(codes(base.Terms(Outcomes)), codes(v.Terms(Outcomes))); d != "" {
		t.Errorf("outcomes after replace:\n%s", d)
	}
	if got := v.Label(Outcomes, "partly_resolved", "en"); got != "Half" {
		t.Errorf("Label(outcomes, partly_resolved) = %q, want %q", got, "Half")
	}
	if d := diff(codes(base.Terms(Perpetrators)), codes(v.Terms(Perpetrators))); d != "" {
		t.Errorf("a list not named in the file must keep the baseline:\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	const name = "/etc/x.json"
	term := func(code string) string { return `{"code": "` + code + `", "es": "x", "en": "x"}` }
	tests := []struct {
		name    string
		content string
		err     error    // nil when only the message is checked
		want    []string // substrings of the error besides the file name
	}{
		{"ErrInvalidCode", `{"lists": {"perpetrators": [` + term("Police!") + `]}}`, errInvalidCode,
			[]string{`vocabulary file /etc/x.json: list "perpetrators": code "Police!": codes are lower-case ASCII letters, digits, "_", "-" or "+"`}},
		{"ErrInvalidCode/TooLong", `{"lists": {"places": [` + term(strings.Repeat("a", 41)) + `]}}`, errInvalidCode, []string{`list "places"`}},
		{"ErrInvalidCode/Leading", `{"lists": {"places": [` + term("_car") + `]}}`, errInvalidCode, []string{`code "_car"`}},
		{"ErrInvalidCode/Empty", `{"lists": {"places": [` + term("") + `]}}`, errInvalidCode, []string{`code ""`}},
		{"ErrDistrictCode/Short", `{"lists": {"districts": [` + term("15011") + `]}}`, errDistrictCode, []string{`list "districts": code "15011"`}},
		{"ErrDistrictCode/Name", `{"lists": {"districts": [` + term("lima") + `]}}`, errDistrictCode, []string{`code "lima"`}},
		{"ErrDuplicateCode", `{"lists": {"perpetrators": [` + term("pimp") + `,` + term("pimp") + `]}}`, errDuplicateCode, []string{`list "perpetrators": code "pimp"`}},
		{"ErrEmptyLabel/ES", `{"lists": {"referrals": [{"code": "food", "es": "", "en": "Food"}]}}`, errEmptyLabel, []string{`list "referrals": code "food"`}},
		{"ErrEmptyLabel/ENBlank", `{"lists": {"referrals": [{"code": "food", "es": "Víveres", "en": "  "}]}}`, errEmptyLabel, []string{`code "food"`}},
		{"ErrEmptyLabel/Missing", `{"lists": {"referrals": [{"code": "food", "es": "Víveres"}]}}`, errEmptyLabel, []string{`code "food"`}},
		{"ErrLabelTooLong", `{"lists": {"places": [{"code": "bus", "es": "` + strings.Repeat("á", 121) + `", "en": "Bus"}]}}`, errLabelTooLong, []string{`list "places": code "bus"`}},
		{"ErrEmptyList", `{"lists": {"violations": []}}`, errEmptyList, []string{`list "violations"`}},
		{"ErrEmptyList/Null", `{"lists": {"violations": null}}`, errEmptyList, []string{`list "violations"`}},
		{"ErrNoLists", `{"mode": "extend"}`, errNoLists, nil},
		{"ErrUnknownList", `{"lists": {"perps": [` + term("pimp") + `]}}`, errUnknownList, []string{`list "perps"`}},
		{"ErrNationalities", `{"lists": {"nationalities": [` + term("xk") + `]}}`, errNationalities, []string{`list "nationalities"`}},
		{"ErrMode", `{"mode": "merge", "lists": {"places": [` + term("bus") + `]}}`, errMode, []string{`mode "merge"`}},
		{"ErrFixedAdd/Extend", `{"lists": {"statuses": [` + term("archived") + `]}}`, errFixedAdd, []string{`list "statuses": code "archived"`}},
		{"ErrFixedAdd/Replace", `{"mode": "replace", "lists": {"date_precisions": [` + term("day") + `,` + term("month") + `,` + term("year") + `,` + term("week") + `]}}`, errFixedAdd, []string{`list "date_precisions": code "week"`}},
		{"ErrFixedRemove", `{"mode": "replace", "lists": {"statuses": [` + term("open") + `,` + term("closed") + `]}}`, errFixedRemove, []string{`list "statuses": code "in_follow_up"`}},
		{"ErrNotDistrict", `{"lists": {"places": [{"code": "bus", "es": "Bus", "en": "Bus", "level": "district"}]}}`, errNotDistrict, []string{`list "places": code "bus"`}},
		{"ErrLevel", `{"lists": {"districts": [{"code": "130101", "es": "T", "en": "T", "level": "city"}]}}`, errLevel, []string{`code "130101"`, `level "city"`}},
		{"ErrParent", `{"lists": {"districts": [{"code": "130101", "es": "T", "en": "T", "parent": "La Libertad"}]}}`, errParent, []string{`code "130101"`}},
		{"ErrUnknownField", `{"version": 2, "lists": {"places": [` + term("bus") + `]}}`, nil, []string{`unknown field "version"`}},
		{"ErrUnknownTermField", `{"lists": {"places": [{"code": "bus", "es": "Bus", "en": "Bus", "fr": "Bus"}]}}`, nil, []string{`unknown field "fr"`}},
		{"ErrTrailingData", `{"lists": {"places": [` + term("bus") + `]}} {}`, errTrailingData, nil},
		{"ErrTrailingData/Bracket", `{"lists": {"places": [` + term("bus") + `]}}]`, errTrailingData, nil},
		{"ErrSyntax", `{"lists": {"places": [`, nil, []string{"unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse(mustBaseline(t), strings.NewReader(tt.content), name)
			if err == nil {
				t.Fatalf("Parse() = %v, nil; want an error", v)
			}
			if v != nil {
				t.Errorf("Parse() returned a vocabulary with error %v", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("Parse() error = %v, want errors.Is %v", err, tt.err)
			}
			for _, s := range append(tt.want, "vocabulary file "+name+": ") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Parse() error = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestParseLabelLimit(t *testing.T) {
	v := mustParse(t, nil, `{"lists": {"places": [{"code": "bus", "es": "`+strings.Repeat("á", 120)+`", "en": "Bus"}]}}`)
	if !v.Has(Places, "bus") || !v.Has(Places, "street") {
		t.Error("a 120-character label must be accepted, and a nil baseline means the embedded one")
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vocabulary.json")
	if err := os.WriteFile(path, []byte(`{"lists": {"places": [{"code": "bus", "es": "Combi", "en": "Minibus"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := Load(path)
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	if got := v.Label(Places, "bus", "en"); got != "Minibus" {
		t.Errorf("Label(places, bus, en) = %q, want %q", got, "Minibus")
	}

	missing := filepath.Join(t.TempDir(), "missing.json")
	if _, err := Load(missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) error = %v, want a not-exist error naming the file", err)
	}
}

func mustParse(tb testing.TB, base *Vocabulary, content string) *Vocabulary {
	tb.Helper()
	v, err := Parse(base, strings.NewReader(content), "test.json")
	if err != nil {
		tb.Fatalf("Parse() error: %v", err)
	}
	return v
}
