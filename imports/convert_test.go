package imports

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/cases"
	"registro/vocabulary"
)

var testNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func mustConverter(tb testing.TB) *Converter {
	tb.Helper()
	v, err := vocabulary.Baseline()
	if err != nil {
		tb.Fatal(err)
	}
	syn, err := vocabulary.BaselineSynonyms(v)
	if err != nil {
		tb.Fatal(err)
	}
	return NewConverter(v, syn, func() time.Time { return testNow })
}

// convertAll converts every row of a source under the guessed mapping, by row number.
func convertAll(tb testing.TB, src Source) map[int]Result {
	tb.Helper()
	conv := mustConverter(tb)
	m := Guess(src.Header())
	out := map[int]Result{}
	for {
		r, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out[r.Number] = conv.Convert(src.Header(), m, r)
	}
}

func codes(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out
}

// TestSampleRegistry converts the sample of ../shared/data row by row. Row numbers are
// the spreadsheet's: the header is row 1, so "N° 1" is row 2.
func TestSampleRegistry(t *testing.T) {
	src, err := Open("testdata/registro-antiguo.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := convertAll(t, src)
	if len(got) != 40 {
		t.Fatalf("%d rows; want 40", len(got))
	}
	day := func(d string) cases.Incident { return cases.Incident{Date: d, DatePrecision: "day"} }
	for _, tc := range []struct {
		row      int
		incident cases.Incident
		uic      string
		perp     []string
		viol     []string
		survivor cases.Survivor
		response cases.Response
		problems []string
		noCode   bool
	}{
		// Excel serial 44287; VES; "Si - fiscalía"; no place.
		{row: 2, incident: cases.Incident{Date: "2021-04-01", DatePrecision: "day", District: "150142"}, uic: "NTIH2162",
			perp: []string{"police"}, viol: []string{"extortion"}, survivor: cases.Survivor{AgeBand: "45-59", Gender: "cis_woman", Nationality: "PE"},
			response: cases.Response{ReportedTo: []string{"prosecutor"}, Referrals: []string{"legal"}}, problems: []string{"place_required"}},
		// "cliente / policía", Breña, "Venezuela", "No".
		{row: 3, incident: cases.Incident{Date: "2021-07-19", DatePrecision: "day", District: "150105", Place: "venue"}, uic: "PDGY2188",
			perp: []string{"client", "police"}, viol: []string{"sexual"}, survivor: cases.Survivor{AgeBand: "25-34", Gender: "trans_woman", Nationality: "VE"},
			response: cases.Response{ReportedTo: []string{"none"}, Status: "open"}},
		// A year alone; a code in lower case.
		{row: 4, incident: cases.Incident{Date: "2021", DatePrecision: "year", District: "150113", Place: "hotel"}, uic: "HPRJ0577",
			perp: []string{"client"}, viol: []string{"sexual"}, survivor: cases.Survivor{AgeBand: "35-44", Gender: "trans_woman", Nationality: "PE"},
			response: cases.Response{ReportedTo: []string{"prosecutor"}, Referrals: []string{"legal"}, Status: "open"}},
		// "junio 2021", SMP, "treinta", "colombiana".
		{row: 5, incident: cases.Incident{Date: "2021-06", DatePrecision: "month", District: "150135", Place: "hotel"}, uic: "HPRJ0577",
			perp: []string{"partner_or_family"}, viol: []string{"sexual"}, survivor: cases.Survivor{AgeBand: "25-34", Gender: "cis_woman", Nationality: "CO"},
			response: cases.Response{Status: "in_follow_up"}},
		// No code: a random pseudonym; "PNP y serenazgo"; "golpes, robo"; closed without outcome.
		{row: 7, incident: cases.Incident{Date: "2021-04-01", DatePrecision: "day", District: "150101", Place: "street"}, noCode: true,
			perp: []string{"police", "serenazgo"}, viol: []string{"physical", "robbery"}, survivor: cases.Survivor{AgeBand: "25-34", Gender: "cis_woman", Nationality: "VE"},
			response: cases.Response{ReportedTo: []string{"none"}, Status: "closed"}, problems: []string{"outcome_required"}},
		// 17 years old: flagged, never banded; "cupos"; "sí, comisaría".
		{row: 8, incident: cases.Incident{Date: "2021-07-19", DatePrecision: "day", District: "150135", Place: "venue"}, uic: "RJDM0188",
			perp: []string{"municipal_inspector"}, viol: []string{"extortion"}, survivor: cases.Survivor{Gender: "trans_woman"},
			response: cases.Response{ReportedTo: []string{"police"}}, problems: []string{"minor"}},
		// 30/02/2021 does not exist; "Serenazgo de Lince".
		{row: 9, incident: cases.Incident{District: "150108", Place: "hotel"}, uic: "NFTL0370",
			perp: []string{"serenazgo"}, viol: []string{"psychological"}, survivor: cases.Survivor{AgeBand: "25-34", Gender: "trans_woman"},
			response: cases.Response{ReportedTo: []string{"prosecutor"}, Referrals: []string{"legal", "health"}, Status: "in_follow_up"}, problems: []string{"date_impossible"}},
		// "Cerrado - resuelto".
		{row: 11, incident: cases.Incident{Date: "2021-06", DatePrecision: "month", District: "150135", Place: "venue"}, uic: "DOIH2297",
			perp: []string{"client"}, viol: []string{"sexual"}, survivor: cases.Survivor{Gender: "cis_woman", Nationality: "CO"},
			response: cases.Response{Referrals: []string{"legal", "health"}, Status: "closed", Outcome: "resolved"}},
		// "12/6/21" and a district by its INEI code.
		{row: 12, incident: day("2021-06-12"), uic: "PDGY2188", problems: []string{"minor", "outcome_required"}},
		// Rímac (not Apurímac).
		{row: 14, incident: cases.Incident{Date: "2021-03", DatePrecision: "month", District: "150128"}, uic: "VDSE2868",
			problems: []string{"place_required", "outcome_required"}},
		// A row without a date.
		{row: 22, uic: "HPRJ0577", problems: []string{"date_required", "place_required"}},
		// A code written with a dash.
		{row: 33, uic: "VIMR1373", problems: []string{"date_impossible", "minor"}},
	} {
		r := got[tc.row]
		if tc.uic != r.Input.UIC || tc.noCode != r.NoCode {
			t.Errorf("row %d: code %q (none %v); want %q (none %v)", tc.row, r.Input.UIC, r.NoCode, tc.uic, tc.noCode)
		}
		if diff := cmp.Diff(tc.problems, codes(r.Problems)); diff != "" {
			t.Errorf("row %d: problems (-want +got):\n%s", tc.row, diff)
		}
		if tc.row == 12 || tc.row == 14 || tc.row == 22 || tc.row == 33 {
			if tc.incident.Date != r.Input.Incident.Date || (tc.incident.District != "" && tc.incident.District != r.Input.Incident.District) {
				t.Errorf("row %d: incident %+v; want %+v", tc.row, r.Input.Incident, tc.incident)
			}
			continue
		}
		if diff := cmp.Diff(tc.incident, r.Input.Incident); diff != "" {
			t.Errorf("row %d: incident (-want +got):\n%s", tc.row, diff)
		}
		if diff := cmp.Diff([][]string{tc.perp, tc.viol}, [][]string{r.Input.Perpetrators, r.Input.Violations}); diff != "" {
			t.Errorf("row %d: perpetrators and violations (-want +got):\n%s", tc.row, diff)
		}
		if diff := cmp.Diff(tc.survivor, r.Input.Survivor); diff != "" {
			t.Errorf("row %d: survivor (-want +got):\n%s", tc.row, diff)
		}
		if diff := cmp.Diff(tc.response, r.Input.Response, cmpEmpty); diff != "" {
			t.Errorf("row %d: response (-want +got):\n%s", tc.row, diff)
		}
	}
	// Every row accounted for, checked by reading each: 22 without any problem, 2
	// only waiting for a minor's confirmation (rows 8 and 35), 16 with problems.
	var ready, minorsOnly, problems []int
	for n, r := range got {
		switch {
		case len(r.Problems) == 0:
			ready = append(ready, n)
		case slices.Equal(codes(r.Problems), []string{"minor"}):
			minorsOnly = append(minorsOnly, n)
		default:
			problems = append(problems, n)
		}
	}
	slices.Sort(ready)
	slices.Sort(minorsOnly)
	if diff := cmp.Diff([]int{3, 4, 5, 10, 11, 15, 16, 17, 18, 19, 20, 23, 24, 27, 28, 29, 30, 31, 32, 34, 36, 38}, ready); diff != "" {
		t.Errorf("rows without problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{8, 35}, minorsOnly); diff != "" {
		t.Errorf("rows waiting only for a confirmation (-want +got):\n%s", diff)
	}
	if len(problems) != 16 {
		t.Errorf("%d rows with problems; want 16", len(problems))
	}
}

var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestDates(t *testing.T) {
	conv := mustConverter(t)
	for _, tc := range []struct {
		in, date, precision, problem string
	}{
		{"15/03/2021", "2021-03-15", "day", ""},
		{"3/5/2021", "2021-05-03", "day", ""},
		{"12/6/21", "2021-06-12", "day", ""},
		{"31/12/99", "1999-12-31", "day", ""},
		{"2021-03-15", "2021-03-15", "day", ""},
		{"marzo 2021", "2021-03", "month", ""},
		{"Marzo de 2021", "2021-03", "month", ""},
		{"mar-21", "2021-03", "month", ""},
		{"setiembre 2020", "2020-09", "month", ""},
		{"03/2021", "2021-03", "month", ""},
		{"15 de marzo de 2021", "2021-03-15", "day", ""},
		{"2021", "2021", "year", ""},
		{"44287", "2021-04-01", "day", ""},
		{"44287.5", "2021-04-01", "day", ""},
		{"30/02/2021", "", "", "date_impossible"},
		{"31/04/2021", "", "", "date_impossible"},
		{"13/13/2021", "", "", "date_impossible"},
		{"01/01/2027", "", "", "date_future"},
		{"2027", "", "", "date_future"},
		{"1975", "", "", "date_too_old"},
		{"ayer", "", "", "date_unreadable"},
		{"12345", "", "", "date_unreadable"},
		{"", "", "", "date_required"},
	} {
		var r Result
		conv.date(&r, cell{column: "Fecha", value: tc.in})
		problem := ""
		if len(r.Problems) > 0 {
			problem = r.Problems[0].Code
		}
		if r.Input.Incident.Date != tc.date || r.Input.Incident.DatePrecision != tc.precision || problem != tc.problem {
			t.Errorf("%q: %q %q %q; want %q %q %q", tc.in, r.Input.Incident.Date, r.Input.Incident.DatePrecision, problem, tc.date, tc.precision, tc.problem)
		}
	}
}

func TestAges(t *testing.T) {
	conv := mustConverter(t)
	for _, tc := range []struct {
		in, band string
		minor    bool
		problem  string
	}{
		{"19", "18-24", false, ""},
		{"30 años", "25-34", false, ""},
		{"treinta", "25-34", false, ""},
		{"treinta y cinco", "35-44", false, ""},
		{"veintidós", "18-24", false, ""},
		{"dieciocho", "18-24", false, ""},
		{"60", "60+", false, ""},
		{"25-34", "25-34", false, ""},
		{"17", "", true, "minor"},
		{"dieciséis", "", true, "minor"},
		{"mucha", "", false, "age_unreadable"},
		{"0", "", false, "age_unreadable"},
	} {
		var r Result
		conv.age(&r, cell{column: "Edad", value: tc.in})
		problem := ""
		if len(r.Problems) > 0 {
			problem = r.Problems[0].Code
		}
		if r.Input.Survivor.AgeBand != tc.band || r.Minor != tc.minor || problem != tc.problem {
			t.Errorf("%q: band %q minor %v problem %q; want %q %v %q", tc.in, r.Input.Survivor.AgeBand, r.Minor, problem, tc.band, tc.minor, tc.problem)
		}
	}
}

func TestUnknownWordsAreNamed(t *testing.T) {
	conv := mustConverter(t)
	header := []string{"Fecha", "Distrito", "Lugar", "Agresor", "Tipo de violencia"}
	r := conv.Convert(header, Guess(header), Row{Number: 2, Cells: []string{"2021", "Narnia", "calle", "cliente / dragón", "golpes"}})
	if diff := cmp.Diff([]string{"district_unknown", "perpetrator_unknown"}, codes(r.Problems)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if p := r.Problems[1]; p.Column != "Agresor" || p.Detail != "dragón" || Message(p, "es") != "No se reconoce el agresor «dragón»." {
		t.Errorf("the unknown part is not named: %+v, %q", p, Message(p, "es"))
	}
	if !slices.Equal(r.Input.Perpetrators, []string{"client"}) {
		t.Errorf("perpetrators %v", r.Input.Perpetrators)
	}
}

func TestDefaults(t *testing.T) {
	conv := mustConverter(t)
	header := []string{"Fecha", "Distrito", "Lugar", "Agresor", "Tipo de violencia", "Estado"}
	m := Guess(header)
	m.Defaults = map[Field]string{FieldPlace: "other", FieldOutcome: "unresolved"}
	r := conv.Convert(header, m, Row{Number: 2, Cells: []string{"2021", "SJL", "", "PNP", "golpes", "cerrado"}})
	if len(r.Problems) != 0 || r.Input.Incident.Place != "other" || r.Input.Response.Outcome != "unresolved" {
		t.Fatalf("with defaults: %+v %+v", r.Problems, r.Input)
	}
	// The key of the row is made of its cells, not of the defaults.
	if r.Content[slices.Index(Fields(), FieldPlace)] != "" {
		t.Errorf("content %q holds the default", r.Content)
	}
}
