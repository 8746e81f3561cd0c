package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUpdatePatches(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		start func(*Input)
		patch Patch
		want  func(*Case)
	}{
		{"OKSeveralFields", func(*Input) {}, Patch{
			Incident:     &IncidentPatch{Date: ptr("2026-04"), DatePrecision: ptr("month"), District: ptr("150132")},
			Perpetrators: &[]string{"police", "police", "client"},
			Survivor:     &SurvivorPatch{Gender: ptr("trans_woman"), Nationality: ptr("")},
			Consent:      &ConsentPatch{Statistics: ptr(false), Contact: ptr(true)},
			Narrative:    ptr("Volvieron a la semana."),
			Contact:      ptr("+51 911 222 333"),
			Response:     &ResponsePatch{ReportedTo: &[]string{"police", "prosecutor"}, Status: ptr("closed"), Outcome: ptr("resolved")},
		}, func(c *Case) {
			c.Incident = Incident{Date: "2026-04", DatePrecision: "month", District: "150132", Place: "street"}
			c.Perpetrators = []string{"police", "client"}
			c.Survivor.Gender, c.Survivor.Nationality = "trans_woman", ""
			c.Consent.Statistics, c.Consent.Contact = false, true
			c.Narrative, c.Contact = "Volvieron a la semana.", "+51 911 222 333"
			c.Response = Response{ReportedTo: []string{"police", "prosecutor"}, Referrals: []string{"legal"}, Status: "closed", Outcome: "resolved"}
			c.Period = Period{Year: "2026", Quarter: "2026-Q2", Month: "2026-04"}
		}},
		{"OKEmptyPatchRaisesVersion", func(*Input) {}, Patch{}, func(*Case) {}},
		{"OKReopeningClearsOutcome", func(in *Input) { in.Response.Status, in.Response.Outcome = "closed", "unresolved" },
			Patch{Response: &ResponsePatch{Status: ptr("in_follow_up")}},
			func(c *Case) { c.Response.Status, c.Response.Outcome = "in_follow_up", "" }},
		{"OKWithdrawingContactConsentDeletesContact", func(in *Input) { in.Contact, in.Consent.Contact = "+51 999", true },
			Patch{Consent: &ConsentPatch{Contact: ptr(false)}},
			func(c *Case) { c.Consent.Contact, c.Contact = false, "" }},
		{"OKDatePrecisionCoarsened", func(*Input) {}, Patch{Incident: &IncidentPatch{DatePrecision: ptr("year")}},
			func(c *Case) {
				c.Incident.Date, c.Incident.DatePrecision, c.Period = "2026", "year", Period{Year: "2026"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.start(&in)
			c := mustCreate(t, s, ana, in)
			want := *c
			tt.want(&want)
			want.Version, want.UpdatedAt = 2, testNow
			tt.patch.Version = ptr(c.Version)
			got, err := s.Update(ctx, bea, c.ID, tt.patch, allowAll)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("updated (-want +got):\n%s", diff)
			}
			stored, err := s.Case(ctx, c.ID, allowAll)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, stored); diff != "" {
				t.Errorf("stored (-returned +stored):\n%s", diff)
			}
		})
	}
}

func TestUpdateVersion(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	v2, err := s.Update(ctx, ana, c.ID, Patch{Version: ptr(int64(1)), Narrative: ptr("first edit")}, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(ctx, bea, c.ID, Patch{Version: ptr(int64(1)), Narrative: ptr("stale edit")}, allowAll)
	if !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("stale Update = %v, want ErrVersionConflict", err)
	}
	_, err = s.Update(ctx, bea, c.ID, Patch{Narrative: ptr("no version")}, allowAll)
	if diff := cmp.Diff(map[string]string{"version": "required: the version you read"}, fieldsOf(t, err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	stored, err := s.Case(ctx, c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v2, stored); diff != "" {
		t.Errorf("stored after refused updates (-want +got):\n%s", diff)
	}
}

func TestUpdateInvalidPatchChangesNothing(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	tests := []struct {
		name  string
		patch Patch
		want  map[string]string
	}{
		{"ErrDistrictUnknown", Patch{Incident: &IncidentPatch{District: ptr("159999")}}, map[string]string{"incident.district": "unknown district code"}},
		{"ErrDateMonthWithDayPrecision", Patch{Incident: &IncidentPatch{Date: ptr("2026-05")}}, map[string]string{"incident.date": "a date with precision day needs YYYY-MM-DD"}},
		{"ErrDateFuture", Patch{Incident: &IncidentPatch{Date: ptr("2026-12-01")}}, map[string]string{"incident.date": "in the future"}},
		{"ErrPerpetratorsEmpty", Patch{Perpetrators: &[]string{}}, map[string]string{"perpetrators": "choose at least one"}},
		{"ErrClosedWithoutOutcome", Patch{Response: &ResponsePatch{Status: ptr("closed")}}, map[string]string{"response.outcome": "required when the case is closed"}},
		{"ErrContactWithoutConsent", Patch{Contact: ptr("+51 999")}, map[string]string{"contact": "keep a contact only with consent.contact"}},
		{"ErrUIC", Patch{UIC: ptr("MAJO0085")}, map[string]string{"uic": uicProblem}},
		{"ErrUICEmpty", Patch{UIC: ptr("")}, map[string]string{"uic": uicProblem}},
		{"ErrSeveral", Patch{UIC: ptr("X"), Violations: &[]string{"theft"}, Survivor: &SurvivorPatch{AgeBand: ptr("17")},
			Response: &ResponsePatch{ReportedTo: &[]string{"none", "other"}}},
			map[string]string{"uic": uicProblem, "violations": `unknown code "theft"`, "survivor.age_band": `unknown code "17"`,
				"response.reported_to": `"none" cannot be combined with other answers`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rawCase(t, s, c.ID)
			tt.patch.Version = ptr(c.Version)
			got, err := s.Update(ctx, ana, c.ID, tt.patch, allowAll)
			if got != nil {
				t.Errorf("Update returned a case with an error")
			}
			if diff := cmp.Diff(tt.want, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if after := rawCase(t, s, c.ID); !bytes.Equal(before, after) {
				t.Errorf("stored document changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestConcurrentUpdatesOfOneVersion(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	c := mustCreate(t, s, ana, validInput())
	const n = 10
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.Update(context.Background(), ana, c.ID,
				Patch{Version: ptr(c.Version), Narrative: ptr(fmt.Sprint("edit ", i))}, allowAll)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range results {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("updates %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ErrVersionConflict):
			t.Errorf("update %d: %v, want ErrVersionConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update succeeded")
	}
	stored, err := s.Case(context.Background(), c.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Version != 2 || stored.Narrative != fmt.Sprint("edit ", winner) {
		t.Errorf("stored version %d narrative %q, want 2 and the winner's edit %d", stored.Version, stored.Narrative, winner)
	}
}
