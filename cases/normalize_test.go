package cases

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// normalized is the part of a case that Create derives or cleans up.
type normalized struct {
	Incident     Incident
	Perpetrators []string
	Violations   []string
	Response     Response
	Period       Period
	TextVersion  string
}

func TestCreateNormalizes(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	base := func(date, precision string) normalized {
		return normalized{
			Incident:     Incident{Date: date, DatePrecision: precision, District: "150115", Place: "street"},
			Perpetrators: []string{"serenazgo", "police"}, Violations: []string{"physical", "confiscation"},
			Response:    Response{ReportedTo: []string{"none"}, Referrals: []string{"legal"}, Status: "open"},
			TextVersion: ConsentTextVersion,
		}
	}
	with := func(n normalized, p Period) normalized { n.Period = p; return n }
	q2 := Period{Year: "2026", Quarter: "2026-Q2", Month: "2026-05"}
	tests := []struct {
		name string
		mod  func(*Input)
		want normalized
	}{
		{"OKDayPrecision", func(*Input) {}, with(base("2026-05-14", "day"), q2)},
		{"OKPrecisionDefaultsToDay", func(in *Input) { in.Incident.DatePrecision = "" }, with(base("2026-05-14", "day"), q2)},
		{"OKMonthPrecision", func(in *Input) { in.Incident.Date, in.Incident.DatePrecision = "2026-05", "month" }, with(base("2026-05", "month"), q2)},
		{"OKFullDateCutToMonth", func(in *Input) { in.Incident.DatePrecision = "month" }, with(base("2026-05", "month"), q2)},
		{"OKFullDateCutToYear", func(in *Input) { in.Incident.Date, in.Incident.DatePrecision = "2025-12-31", "year" },
			with(base("2025", "year"), Period{Year: "2025"})},
		{"OKYearPrecisionHasNoQuarter", func(in *Input) { in.Incident.Date, in.Incident.DatePrecision = "2024", "year" },
			with(base("2024", "year"), Period{Year: "2024"})},
		{"OKFirstQuarter", func(in *Input) { in.Incident.Date = "2026-03-31" },
			with(base("2026-03-31", "day"), Period{Year: "2026", Quarter: "2026-Q1", Month: "2026-03"})},
		{"OKThirdQuarter", func(in *Input) { in.Incident.Date = "2025-07-01" },
			with(base("2025-07-01", "day"), Period{Year: "2025", Quarter: "2025-Q3", Month: "2025-07"})},
		{"OKFourthQuarterMonth", func(in *Input) { in.Incident.Date, in.Incident.DatePrecision = "2025-12", "month" },
			with(base("2025-12", "month"), Period{Year: "2025", Quarter: "2025-Q4", Month: "2025-12"})},
		{"OKRepeatedCodesDropped", func(in *Input) {
			in.Perpetrators = []string{"police", "serenazgo", "police", "police"}
			in.Violations = []string{"physical", "physical", "sexual"}
			in.Response.ReportedTo = []string{"police", "prosecutor", "police"}
			in.Response.Referrals = []string{"legal", "health", "legal"}
		}, func() normalized {
			n := with(base("2026-05-14", "day"), q2)
			n.Perpetrators, n.Violations = []string{"police", "serenazgo"}, []string{"physical", "sexual"}
			n.Response.ReportedTo, n.Response.Referrals = []string{"police", "prosecutor"}, []string{"legal", "health"}
			return n
		}()},
		{"OKStatusDefaultsToOpen", func(in *Input) { in.Response.Status = "" }, with(base("2026-05-14", "day"), q2)},
		{"OKOwnConsentText", func(in *Input) { in.Consent.TextVersion = "2025-radio" }, func() normalized {
			n := with(base("2026-05-14", "day"), q2)
			n.TextVersion = "2025-radio"
			return n
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.mod(&in)
			c := mustCreate(t, s, ana, in)
			got := normalized{c.Incident, c.Perpetrators, c.Violations, c.Response, c.Period, c.Consent.TextVersion}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			stored, err := s.Case(context.Background(), c.ID, allowAll)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c, stored); diff != "" {
				t.Errorf("stored differs from created (-created +stored):\n%s", diff)
			}
		})
	}
}

func TestCreateRecordsProvenance(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	c := mustCreate(t, s, ana, validInput())
	want := Case{
		ID: c.ID, Ref: refOf("LIM", 1), Org: "LIM", Subject: c.Subject, Incident: c.Incident,
		Perpetrators: c.Perpetrators, Violations: c.Violations, Survivor: validInput().Survivor,
		Consent: Consent{Record: true, Statistics: true, LegalSharing: true, TextVersion: ConsentTextVersion,
			RecordedAt: idTime(c.ID), RecordedBy: ana.UserID},
		Narrative: validInput().Narrative, Response: c.Response, Followups: []Followup{}, Grants: []Grant{},
		RecordedBy: ana.UserID, RecordedAt: idTime(c.ID), UpdatedAt: idTime(c.ID), Version: 1, Period: c.Period,
	}
	if diff := cmp.Diff(&want, c); diff != "" {
		t.Errorf("case (-want +got):\n%s", diff)
	}
	// The record's time is the real time of its id, not the store's (test) clock.
	if d := time.Since(c.RecordedAt); d < -time.Second || d > time.Minute {
		t.Errorf("recorded_at = %v, want about now", c.RecordedAt)
	}
}
