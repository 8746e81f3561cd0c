package vocabulary

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestBaselineCodes(t *testing.T) {
	v := mustBaseline(t)
	tests := map[List][]string{
		Perpetrators: {"police", "serenazgo", "municipal_inspector", "military", "client",
			"partner_or_family", "venue_manager", "extortion_gang", "health_staff",
			"other_sex_worker", "unknown", "other"},
		Violations: {"physical", "sexual", "psychological", "extortion", "robbery",
			"arbitrary_detention", "confiscation", "eviction", "denied_complaint",
			"health_discrimination", "image_exposure", "homicide", "trafficking", "other"},
		Places: {"street", "venue", "hotel", "private_home", "police_station",
			"municipal_depot", "health_facility", "online", "other"},
		AgeBands:       {"18-24", "25-34", "35-44", "45-59", "60+", "unknown"},
		Genders:        {"cis_woman", "trans_woman", "other", "unknown"},
		WorkSettings:   {"street", "venue", "independent"},
		ReportedTo:     {"none", "police", "prosecutor", "ombudsman", "other"},
		Referrals:      {"legal", "health", "psychosocial", "shelter", "economic"},
		Statuses:       {"open", "in_follow_up", "closed"},
		Outcomes:       {"resolved", "partly_resolved", "unresolved"},
		DatePrecisions: {"day", "month", "year"},
	}
	for l, want := range tests {
		t.Run(string(l), func(t *testing.T) {
			if d := diff(want, codes(v.Terms(l))); d != "" {
				t.Errorf("codes mismatch:\n%s", d)
			}
		})
	}
	if got, want := len(v.All()), len(tests)+2; got != want {
		t.Errorf("len(All()) = %d, want %d (the lists above plus districts and nationalities)", got, want)
	}
}

func TestBaselineDistricts(t *testing.T) {
	v := mustBaseline(t)
	count := map[string]int{}
	for _, d := range v.Terms(Districts) {
		count[d.Level+"/"+d.Parent]++
	}
	want := map[string]int{"district/1501": 43, "district/0701": 7, "department/": 24}
	if d := diff(want, count); d != "" {
		t.Errorf("districts by level/parent:\n%s", d)
	}
	labels := map[string][2]string{
		"150101": {"Lima (Cercado)", "Lima (centre)"},
		"070101": {"Callao (Cercado)", "Callao (centre)"},
		"150115": {"La Victoria", "La Victoria"},
		"150000": {"Lima (provincias fuera de Lima Metropolitana)", "Lima (provinces outside Metropolitan Lima)"},
		"020000": {"Áncash", "Áncash"},
	}
	for code, want := range labels {
		got := [2]string{v.Label(Districts, code, "es"), v.Label(Districts, code, "en")}
		if got != want {
			t.Errorf("labels of %s = %q, want %q", code, got, want)
		}
	}
	if v.Has(Districts, "070000") {
		t.Error(`Has(Districts, "070000") = true; the baseline must not invent codes`)
	}
}

func TestBaselineLabels(t *testing.T) {
	for l, terms := range mustBaseline(t).All() {
		for _, term := range terms {
			if term.ES == "" || term.EN == "" {
				t.Errorf("%s %q: es=%q en=%q, want both", l, term.Code, term.ES, term.EN)
			}
		}
	}
}

func TestLabel(t *testing.T) {
	v := mustBaseline(t)
	tests := []struct {
		name       string
		list       List
		code, lang string
		want       string
	}{
		{"OK/Spanish", Perpetrators, "serenazgo", "es", "Serenazgo"},
		{"OK/English", Violations, "confiscation", "en", "Confiscation (condoms, belongings, money)"},
		{"OK/DefaultSpanish", Violations, "extortion", "fr", "Extorsión o cobro de cupos"},
		{"OK/EmptyLangSpanish", Violations, "denied_complaint", "", "La policía no quiso recibir la denuncia"},
		{"OK/Nationality", Nationalities, "PE", "es", "Perú"},
		{"UnknownCode", Perpetrators, "alien", "es", "alien"},
		{"UnknownList", List("colours"), "red", "en", "red"},
		{"CaseSensitive", Nationalities, "pe", "es", "pe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.Label(tt.list, tt.code, tt.lang); got != tt.want {
				t.Errorf("Label(%s, %q, %q) = %q, want %q", tt.list, tt.code, tt.lang, got, tt.want)
			}
		})
	}
}

func TestTermsIsACopy(t *testing.T) {
	v := mustBaseline(t)
	v.Terms(Statuses)[0].ES = "changed"
	v.All()[Statuses][0].ES = "changed"
	if got := v.Label(Statuses, "open", "es"); got != "Abierto" {
		t.Errorf("Label after editing copies = %q, want %q", got, "Abierto")
	}
	if got := v.Terms(List("colours")); got != nil {
		t.Errorf("Terms(unknown) = %v, want nil", got)
	}
}

// TestConcurrentUse is meant for -race: one Vocabulary serves every request.
func TestConcurrentUse(t *testing.T) {
	v := mustBaseline(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				_ = v.Has(Districts, "150115")
				_ = v.Label(Nationalities, "VE", []string{"es", "en"}[i%2])
				_ = v.All()
			}
		})
	}
	wg.Wait()
}

func mustBaseline(tb testing.TB) *Vocabulary {
	tb.Helper()
	v, err := Baseline()
	if err != nil {
		tb.Fatalf("Baseline() error: %v", err)
	}
	return v
}

func codes(terms []Term) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = t.Code
	}
	return out
}

// diff stands in for cmp.Diff: go-cmp is not (yet) a requirement in go.mod, and
// adding it is outside this package's remit.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("-want %#v\n+got  %#v", want, got)
}
