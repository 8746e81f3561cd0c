package cases

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badInput is wrong in every field that can be wrong.
func badInput() Input {
	return Input{
		UIC:          "MA1",
		Incident:     Incident{Date: "2026-13-45", DatePrecision: "day", District: "999999", Place: "park"},
		Perpetrators: []string{"alien"},
		Survivor:     Survivor{AgeBand: "15-17", Gender: "man", Nationality: "XX", WorkSetting: "home"},
		Consent:      ConsentInput{Record: ptr(false), TextVersion: strings.Repeat("v", 41)},
		Narrative:    strings.Repeat("n", maxNarrative+1),
		Contact:      "999 888 777",
		Response:     Response{ReportedTo: []string{"none", "police"}, Referrals: []string{"lawyer"}, Status: "closed"},
	}
}

func TestCreateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	_, _, err := s.Create(context.Background(), ana, badInput(), "")
	want := map[string]string{
		"uic":                   uicProblem,
		"consent.record":        "the survivor must agree to the record",
		"consent.text_version":  "at most 40 characters",
		"incident.date":         "not a date: use YYYY-MM-DD, YYYY-MM or YYYY",
		"incident.district":     "unknown district code",
		"incident.place":        "unknown place code",
		"perpetrators":          `unknown code "alien"`,
		"violations":            "choose at least one",
		"survivor.age_band":     `unknown code "15-17"`,
		"survivor.gender":       `unknown code "man"`,
		"survivor.nationality":  `unknown code "XX"`,
		"survivor.work_setting": `unknown code "home"`,
		"response.reported_to":  `"none" cannot be combined with other answers`,
		"response.referrals":    `unknown code "lawyer"`,
		"response.outcome":      "required when the case is closed",
		"narrative":             "at most 20000 characters",
		"contact":               "keep a contact only with consent.contact",
	}
	if diff := cmp.Diff(want, fieldsOf(t, err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestCreateRejectedStoresNothing(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	for _, key := range []string{"", "key-1"} {
		if _, _, err := s.Create(ctx, ana, badInput(), key); err == nil {
			t.Fatal("bad input accepted")
		}
	}
	in := validInput()
	in.Incident.District = "150199"
	if _, _, err := s.Create(ctx, ana, in, "key-2"); err == nil {
		t.Fatal("unknown district accepted")
	}
	for name, coll := range map[string]int64{
		"cases": mustCount(t, s.cases), "case_lists": mustCount(t, s.lists),
		"counters": mustCount(t, s.counters), "idempotency": mustCount(t, s.idem),
	} {
		if coll != 0 {
			t.Errorf("%s holds %d documents after rejected requests", name, coll)
		}
	}
	// The key of a rejected request stays free for the corrected one.
	c, replayed, err := s.Create(ctx, ana, validInput(), "key-1")
	if err != nil || replayed {
		t.Fatalf("Create = %v, replayed %v", err, replayed)
	}
	if c.Ref != refOf("LIM", 1) {
		t.Errorf("ref after rejections = %s, want %s", c.Ref, refOf("LIM", 1))
	}
}
