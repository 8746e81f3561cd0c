package stats

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"registro/cases"
	"registro/validation"
	"registro/vocabulary"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, quarter, from, to string
		want                    Period
		label, err              string
	}{
		{"OKDefaultCurrentQuarter", "", "", "", Period{"2026-10", "2026-12"}, "2026-Q4", ""},
		{"OKQuarter", "2026-Q2", "", "", Period{"2026-04", "2026-06"}, "2026-Q2", ""},
		{"OKMonths", "", "2026-01", "2026-05", Period{"2026-01", "2026-05"}, "2026-01 – 2026-05", ""},
		{"OKQuarterRange", "", "2024-Q3", "2026-Q2", Period{"2024-07", "2026-06"}, "2024-07 – 2026-06", ""},
		{"OKOneMonth", "", "2026-03", "2026-03", Period{"2026-03", "2026-03"}, "2026-03", ""},
		{"ErrQuarterAndRange", "2026-Q2", "2026-01", "", Period{}, "", "quarter"},
		{"ErrBadQuarter", "2026-Q5", "", "", Period{}, "", "quarter"},
		{"ErrOnlyFrom", "", "2026-01", "", Period{}, "", "from"},
		{"ErrBadTo", "", "2026-01", "2026-13", Period{}, "", "to"},
		{"ErrReversed", "", "2026-05", "2026-01", Period{}, "", "to"},
		{"ErrTooLong", "", "2000-01", "2026-01", Period{}, "", "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.quarter, tt.from, tt.to, now)
			if tt.err != "" {
				ve, ok := err.(*validation.Error)
				if !ok || ve.Fields[tt.err] == "" {
					t.Fatalf("err = %v, want a validation error on %s", err, tt.err)
				}
				return
			}
			if err != nil || p != tt.want || p.Label() != tt.label {
				t.Fatalf("got %v %q %v, want %v %q", p, p.Label(), err, tt.want, tt.label)
			}
		})
	}
	p, _ := ParsePeriod("", "2025-01", "2026-06", now)
	if got := p.FactsPeriods(); len(got) != 19 || got[18] != "2025" {
		t.Fatalf("facts periods of 2025-01..2026-06 = %v: want 18 months and the year 2025", got)
	}
}

// reportFacts: 12 survivors hurt by police in April, 2 by clients (one of them also by
// police), in two districts.
func reportFacts() []cases.Fact {
	var fs []cases.Fact
	for i := range 12 {
		d := "150101"
		if i%2 == 0 {
			d = "150115"
		}
		fs = append(fs, cases.Fact{Case: fmt.Sprint("p", i), Subject: fmt.Sprint("S", i), Perpetrators: []string{"police"},
			Violations: []string{"physical"}, District: d, Place: "street", Month: "2026-04"})
	}
	fs = append(fs,
		cases.Fact{Case: "c1", Subject: "S0", Perpetrators: []string{"client", "police"}, Violations: []string{"robbery"}, District: "150115", Place: "hotel", Month: "2026-05"},
		cases.Fact{Case: "c2", Subject: "S99", Perpetrators: []string{"client"}, Violations: []string{"robbery"}, District: "150101", Place: "hotel", Month: "2026-05"})
	return fs
}

func TestBuild(t *testing.T) {
	v, _ := vocabulary.Baseline()
	p := Period{"2026-04", "2026-06"}
	r, err := Build("LIM", p, reportFacts(), []string{"perpetrator", "district"}, v, 5, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range append(r.Cells, r.Totals...) {
		if !row.Suppressed && *row.Survivors > 0 && *row.Survivors < 5 {
			t.Errorf("published %v with %d survivors", row.Key, *row.Survivors)
		}
	}
	find := func(codes ...string) Row {
		for _, row := range append(r.Cells, r.Totals...) {
			match := true
			for i, c := range codes {
				match = match && row.Key[i].Code == c
			}
			if match {
				return row
			}
		}
		t.Fatalf("no row %v", codes)
		return Row{}
	}
	if row := find("client", "150101"); !row.Suppressed || row.Reason != ReasonPrimary {
		t.Errorf("client × 150101 (1 survivor) = %+v, want primary suppression", row)
	}
	// With the grand total published, hiding client's total alone would not do.
	if row := find("police", "total"); !row.Suppressed || row.Reason != ReasonComplementary {
		t.Errorf("police total = %+v, want complementary suppression", row)
	}
	// S0, recorded twice, counts once among the survivors.
	if row := find("total", "total"); row.Suppressed || *row.Incidents != 14 || *row.Survivors != 13 {
		t.Errorf("grand total = %+v, want 14 incidents, 13 survivors", row)
	}
	if d := r.Dimensions[0].Values[0]; d.ES != v.Label(vocabulary.Perpetrators, "police", "es") || d.EN != v.Label(vocabulary.Perpetrators, "police", "en") {
		t.Errorf("bilingual labels: %+v", d)
	}
	if r.Dimensions[0].Label != "Perpetrator" || r.Dimensions[0].Values[0].Label != v.Label(vocabulary.Perpetrators, "police", "en") {
		t.Errorf("English labels: %+v", r.Dimensions[0])
	}
	es, _ := Build("LIM", p, reportFacts(), []string{"perpetrator"}, v, 5, "es")
	if es.Dimensions[0].Label != "Agresor" || es.Totals[0].Key[0].Label != "Total" {
		t.Errorf("Spanish labels: %+v", es.Dimensions[0])
	}
}

func TestExports(t *testing.T) {
	v, _ := vocabulary.Baseline()
	r, err := Build("LIM", Period{"2026-04", "2026-06"}, reportFacts(), []string{"perpetrator"}, v, 5, "es")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(&buf)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][2] != "Periodo 2026-Q2" || recs[0][3] != "Umbral k = 5" {
		t.Errorf("CSV heading = %v", recs[0])
	}
	want := [][]string{
		{"Agresor", "Incidentes", "Sobrevivientes", "Motivo"},
		// Police is hidden too: with the total published, client's count would follow.
		{v.Label(vocabulary.Perpetrators, "police", "es"), "oculto", "oculto", "protege otra celda oculta"},
		{v.Label(vocabulary.Perpetrators, "client", "es"), "oculto", "oculto", "menos de k sobrevivientes"},
		{"Total", "14", "13", ""},
	}
	// (The blank line after the note is skipped by the CSV reader.)
	if diff := cmp.Diff(want, recs[2:]); diff != "" {
		t.Errorf("CSV table (-want +got):\n%s", diff)
	}
	buf.Reset()
	if err := r.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	want[3] = want[3][:3] // a spreadsheet row ends at its last non-empty cell
	if diff := cmp.Diff(want, rows[3:]); diff != "" {
		t.Errorf("XLSX table (-want +got):\n%s", diff)
	}
	if typ, _ := f.GetCellType(f.GetSheetName(0), "B7"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("counts are stored as text in the spreadsheet")
	}
}
