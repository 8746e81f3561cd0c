package cases

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	create := func(date, precision, district string, perps, viols []string, status, outcome string) string {
		in := validInput()
		in.Incident = Incident{Date: date, DatePrecision: precision, District: district, Place: "street"}
		in.Perpetrators, in.Violations = perps, viols
		in.Response.Status, in.Response.Outcome = status, outcome
		return mustCreate(t, s, ana, in).Ref
	}
	f1 := create("2026-01-10", "day", "150101", []string{"police"}, []string{"physical"}, "open", "")
	f2 := create("2026-03", "month", "150115", []string{"serenazgo", "client"}, []string{"extortion"}, "in_follow_up", "")
	f3 := create("2025", "year", "070101", []string{"client"}, []string{"sexual", "physical"}, "closed", "resolved")
	f4 := create("2026-05-14", "day", "150115", []string{"police", "serenazgo"}, []string{"robbery"}, "open", "")
	tests := []struct {
		name string
		q    ListQuery
		want []string
	}{
		{"OKNoFilter", ListQuery{}, []string{f4, f3, f2, f1}},
		{"OKFrom", ListQuery{From: "2026-01-01"}, []string{f4, f2, f1}},
		{"OKFromInsideAMonth", ListQuery{From: "2026-03-15"}, []string{f4}}, // "2026-03" starts on the 1st
		{"OKTo", ListQuery{To: "2026-03-01"}, []string{f3, f2, f1}},
		{"OKFromToOneDay", ListQuery{From: "2026-01-10", To: "2026-01-10"}, []string{f1}},
		{"OKYearStartsInJanuary", ListQuery{From: "2025-01-01", To: "2025-01-01"}, []string{f3}},
		{"OKDistrict", ListQuery{District: "150115"}, []string{f4, f2}},
		{"OKPerpetrator", ListQuery{Perpetrator: "police"}, []string{f4, f1}},
		{"OKViolation", ListQuery{Violation: "physical"}, []string{f3, f1}},
		{"OKStatus", ListQuery{Status: "closed"}, []string{f3}},
		{"OKStatusAndPerpetrator", ListQuery{Status: "open", Perpetrator: "serenazgo"}, []string{f4}},
		{"OKNoMatch", ListQuery{District: "150101", Violation: "sexual"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Sources = []Source{{Kind: "org", Org: "LIM"}}
			if diff := cmp.Diff(tt.want, refs(mustList(t, s, tt.q))); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
		})
	}

	// An edit shows in the lists at once.
	l := mustList(t, s, ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: ana.UserID}}, Perpetrator: "police"})
	c, err := s.Update(ctx, bea, l[1].ID, Patch{Version: ptr(l[1].Version),
		Response: &ResponsePatch{Status: ptr("closed"), Outcome: ptr("unresolved")}}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	closed := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}, Status: "closed"})
	if diff := cmp.Diff([]string{f3, f1}, refs(closed)); diff != "" {
		t.Errorf("closed cases after the edit (-want +got):\n%s", diff)
	}
	got := closed[1]
	if got.Ref != c.Ref || got.Status != "closed" || got.Outcome != "unresolved" || got.Version != 2 || !got.UpdatedAt.Equal(testNow) {
		t.Errorf("listed after edit: %s %s/%s v%d updated %v; want %s closed/unresolved v2 updated %v",
			got.Ref, got.Status, got.Outcome, got.Version, got.UpdatedAt, c.Ref, testNow)
	}
	if open := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}, Status: "open"}); cmp.Diff([]string{f4}, refs(open)) != "" {
		t.Errorf("open cases after the edit = %v, want [%s]", refs(open), f4)
	}
}
