package cases

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// factsOfCases is what statistics should see, computed straight from the cases.
func factsOfCases(tb testing.TB, s *Store, org string) map[string]Fact {
	tb.Helper()
	out := map[string]Fact{}
	err := s.eachCase(context.Background(), func(d *caseDoc) error {
		if d.Org != org || !counts(d) {
			return nil
		}
		f := normalizeFact(factOf(d))
		f.Case, f.Year = d.ID, d.Period.Year
		if d.Period.Month != "" {
			f.Month, f.Quarter = d.Period.Month, QuarterOf(d.Period.Month)
		}
		out[d.ID] = f
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func servedFacts(tb testing.TB, s *Store, org string, periods []string) map[string]Fact {
	tb.Helper()
	fs, err := s.Facts(context.Background(), org, periods)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]Fact{}
	for _, f := range fs {
		out[f.Case] = normalizeFact(f)
	}
	return out
}

func TestFactsFollowCases(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	noConsent := validInput()
	noConsent.Consent.Statistics = false
	hidden := mustCreate(t, s, ana, noConsent)
	periods := []string{"2026-04", "2026-05", "2026-06", "2026"}

	got := servedFacts(t, s, "LIM", periods)
	if _, ok := got[hidden.ID]; ok || len(got) != 1 {
		t.Fatalf("facts = %v: want only the case with statistics consent", got)
	}
	want := Fact{Case: c.ID, Subject: c.Subject, Perpetrators: []string{"serenazgo", "police"},
		Violations: []string{"physical", "confiscation"}, District: "150115", Place: "street",
		AgeBand: "25-34", Gender: "cis_woman", Nationality: "VE", WorkSetting: "street", Month: "2026-05", Quarter: "2026-Q2", Year: "2026"}
	if diff := cmp.Diff(want, got[c.ID]); diff != "" {
		t.Fatalf("fact (-want +got):\n%s", diff)
	}

	// An edit moving the incident to June moves the fact; a withdrawn consent drops it.
	c, err := s.Update(ctx, bea, c.ID, Patch{Version: ptr(c.Version), Incident: &IncidentPatch{Date: ptr("2026-06-02")}}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if got := servedFacts(t, s, "LIM", []string{"2026-05"}); len(got) != 0 {
		t.Fatalf("May still counts the moved case: %v", got)
	}
	if got := servedFacts(t, s, "LIM", []string{"2026-06"}); got[c.ID].Month != "2026-06" {
		t.Fatalf("June lacks the moved case: %v", got)
	}
	if _, err := s.Update(ctx, bea, c.ID, Patch{Version: ptr(c.Version), Consent: &ConsentPatch{Statistics: ptr(false)}}, allowAll); err != nil {
		t.Fatal(err)
	}
	if got := servedFacts(t, s, "LIM", periods); len(got) != 0 {
		t.Fatalf("a withdrawn consent still counts: %v", got)
	}
	if n, err := s.RebuildFacts(ctx, true); err != nil || n != 0 {
		t.Fatalf("check after edits: %d differences, %v", n, err)
	}
}

// TestFactsAgreeWithCases: after a random sequence of creates, edits and erasures the
// facts served are exactly the facts recomputed from the cases.
func TestFactsAgreeWithCases(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	var live []*Case
	districts := []string{"150101", "150115", "150132", "070101"}
	months := []string{"2026-01-15", "2026-03-02", "2026-04-20", "2025-11-30"}
	for step := 0; step < 60; step++ {
		switch op := rng.IntN(10); {
		case op < 5 || len(live) == 0:
			in := validInput()
			in.UIC = fmt.Sprintf("ABCD%02d%02d", rng.IntN(28)+1, rng.IntN(3)+80)
			in.Incident.Date = months[rng.IntN(len(months))]
			in.Incident.District = districts[rng.IntN(len(districts))]
			in.Consent.Statistics = rng.IntN(4) > 0
			live = append(live, mustCreate(t, s, ana, in))
		case op < 8:
			i := rng.IntN(len(live))
			p := Patch{Version: ptr(live[i].Version),
				Incident:     &IncidentPatch{Date: ptr(months[rng.IntN(len(months))]), District: ptr(districts[rng.IntN(len(districts))])},
				Perpetrators: ptr([]string{"police", "client", "serenazgo"}[:rng.IntN(3)+1]),
				Consent:      &ConsentPatch{Statistics: ptr(rng.IntN(3) > 0)}}
			c, err := s.Update(ctx, bea, live[i].ID, p, allowAll)
			if err != nil {
				t.Fatal(err)
			}
			live[i] = c
		default:
			i := rng.IntN(len(live))
			if _, err := s.Erase(ctx, bea, live[i].ID, allowAll); err != nil {
				t.Fatal(err)
			}
			live = append(live[:i], live[i+1:]...)
		}
	}
	served := servedFacts(t, s, "LIM", []string{"2025-11", "2026-01", "2026-03", "2026-04"})
	if diff := cmp.Diff(factsOfCases(t, s, "LIM"), served); diff != "" {
		t.Fatalf("served facts differ from the cases (-cases +served):\n%s", diff)
	}
	if n, err := s.RebuildFacts(ctx, true); err != nil || n != 0 {
		t.Fatalf("check: %d differences, %v", n, err)
	}
}

func TestRebuildFacts(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	// A lost facts document and a stray one.
	if _, err := s.facts.DeleteOne(ctx, bson.D{{Key: "_id", Value: "f|LIM|2026-05|0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.facts.InsertOne(ctx, factsChunkDoc{ID: "f|LIM|1999-01|0", F: map[string][]byte{"x": mustMarshal(t, Fact{})}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RebuildFacts(ctx, true); err != nil || n != 2 {
		t.Fatalf("check: %d differences, %v; want 2", n, err)
	}
	if n, err := s.RebuildFacts(ctx, false); err != nil || n != 2 {
		t.Fatalf("rebuild fixed %d, %v; want 2", n, err)
	}
	if got := servedFacts(t, s, "LIM", []string{"2026-05", "1999-01"}); len(got) != 1 || got[c.ID].Subject != c.Subject {
		t.Fatalf("after rebuild: %v", got)
	}
	// Writes after a rebuild still land (the revision moved on).
	if _, err := s.Update(ctx, bea, c.ID, Patch{Version: ptr(c.Version), Incident: &IncidentPatch{District: ptr("150101")}}, allowAll); err != nil {
		t.Fatal(err)
	}
	if got := servedFacts(t, s, "LIM", []string{"2026-05"}); got[c.ID].District != "150101" {
		t.Fatalf("edit after rebuild not in facts: %v", got)
	}
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func normalizeFact(f Fact) Fact {
	if len(f.Perpetrators) == 0 {
		f.Perpetrators = nil
	}
	if len(f.Violations) == 0 {
		f.Violations = nil
	}
	return f
}
