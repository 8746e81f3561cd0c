package stats

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"registro/cases"
	"registro/vocabulary"
)

func TestCount(t *testing.T) {
	v, err := vocabulary.Baseline()
	if err != nil {
		t.Fatal(err)
	}
	facts := []cases.Fact{
		// One survivor hurt twice: two incidents, one survivor.
		{Case: "c1", Subject: "S1", Perpetrators: []string{"serenazgo", "police"}, Violations: []string{"physical"}, District: "150115", Month: "2026-05", Quarter: "2026-Q2"},
		{Case: "c2", Subject: "S1", Perpetrators: []string{"police"}, Violations: []string{"extortion"}, District: "150115", Month: "2026-06", Quarter: "2026-Q2"},
		{Case: "c3", Subject: "S2", Perpetrators: []string{"client"}, Violations: []string{"physical", "robbery"}, District: "150101", Month: "2026-04", Quarter: "2026-Q2"},
		{Case: "c4", Subject: "S3", Perpetrators: []string{"police", "police"}, Violations: []string{"physical"}, District: "150101"},
	}
	tab, err := Count(facts, []string{"perpetrator", "quarter"}, v)
	if err != nil {
		t.Fatal(err)
	}
	dims := tab.Dims()
	// Values in vocabulary order (police before serenazgo before client), unknown last.
	if diff := cmp.Diff([]string{"police", "serenazgo", "client"}, dims[0].Values); diff != "" {
		t.Errorf("perpetrators (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2026-Q2", Unknown}, dims[1].Values); diff != "" {
		t.Errorf("quarters (-want +got):\n%s", diff)
	}
	if !dims[0].MultiValued || dims[1].MultiValued {
		t.Errorf("multi-valued flags: %v %v", dims[0].MultiValued, dims[1].MultiValued)
	}
	for _, tt := range []struct {
		name string
		pos  []int
		want Counts
	}{
		{"PoliceQ2", []int{0, 0}, Counts{Incidents: 2, Survivors: 1}},
		{"PoliceUnknownQuarter", []int{0, 1}, Counts{Incidents: 1, Survivors: 1}},
		{"PoliceTotal", []int{0, Total}, Counts{Incidents: 3, Survivors: 2}},
		{"SerenazgoQ2", []int{1, 0}, Counts{Incidents: 1, Survivors: 1}},
		{"ClientQ2", []int{2, 0}, Counts{Incidents: 1, Survivors: 1}},
		{"ClientUnknown", []int{2, 1}, Counts{}},
		{"AllPerpetratorsQ2", []int{Total, 0}, Counts{Incidents: 3, Survivors: 2}},
		{"GrandTotal", []int{Total, Total}, Counts{Incidents: 4, Survivors: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tab.Get(tt.pos)
			if got != tt.want {
				t.Fatalf("counts = %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := Count(facts, []string{"colour"}, v); err == nil {
		t.Error("an unknown dimension was accepted")
	}
	if _, err := Count(facts, []string{"district", "district"}, v); err == nil {
		t.Error("a repeated dimension was accepted")
	}
}
