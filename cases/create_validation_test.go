package cases

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/validation"
)

const uicProblem = "four letters, then day of birth and two digits of the year (e.g. MAJO1585)"

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	date := func(d, p string) func(*Input) {
		return func(in *Input) { in.Incident.Date, in.Incident.DatePrecision = d, p }
	}
	tests := []struct {
		name string
		mod  func(*Input)
		want map[string]string // nil: accepted
	}{
		{"OK", func(*Input) {}, nil},
		{"OKMonthPrecision", date("2026-05", "month"), nil},
		{"OKYearPrecision", date("2026", "year"), nil},
		{"OKPrecisionDefaultsToDay", date("2026-05-14", ""), nil},
		{"OKTomorrowSomewhereOnEarth", date("2026-06-16", "day"), nil},
		{"OK1980", date("1980-01-01", "day"), nil},
		{"OKNoUIC", func(in *Input) { in.UIC = "" }, nil},
		{"OKNoSurvivorFactsNoResponse", func(in *Input) { in.Survivor, in.Response = Survivor{}, Response{} }, nil},
		{"OKClosedWithOutcome", func(in *Input) { in.Response.Status, in.Response.Outcome = "closed", "partly_resolved" }, nil},
		{"OKContactWithConsent", func(in *Input) { in.Contact, in.Consent.Contact = "+51 999 888 777", true }, nil},
		{"OKNarrativeAtLimitInRunes", func(in *Input) { in.Narrative = strings.Repeat("ñ", maxNarrative) }, nil},

		{"ErrConsentRecordMissing", func(in *Input) { in.Consent.Record = nil }, map[string]string{"consent.record": "the survivor must agree to the record"}},
		{"ErrConsentRecordFalse", func(in *Input) { in.Consent.Record = ptr(false) }, map[string]string{"consent.record": "the survivor must agree to the record"}},
		{"ErrDateMonthWithDayPrecision", date("2026-05", "day"), map[string]string{"incident.date": "a date with precision day needs YYYY-MM-DD"}},
		{"ErrDateYearWithMonthPrecision", date("2026", "month"), map[string]string{"incident.date": "a date with precision month needs YYYY-MM"}},
		{"ErrDateYearWithDayPrecision", date("2026", "day"), map[string]string{"incident.date": "a date with precision day needs YYYY-MM-DD"}},
		{"ErrDateFutureDay", date("2026-06-17", "day"), map[string]string{"incident.date": "in the future"}},
		{"ErrDateFutureMonth", date("2026-07", "month"), map[string]string{"incident.date": "in the future"}},
		{"ErrDateFutureYear", date("2027", "year"), map[string]string{"incident.date": "in the future"}},
		{"ErrDateBefore1980", date("1979-12-31", "day"), map[string]string{"incident.date": "before 1980"}},
		{"ErrYearBefore1980", date("1979", "year"), map[string]string{"incident.date": "before 1980"}},
		{"ErrDateFormat", date("14/05/2026", "day"), map[string]string{"incident.date": "not a date: use YYYY-MM-DD, YYYY-MM or YYYY"}},
		{"ErrDateNoSuchDay", date("2026-02-30", "day"), map[string]string{"incident.date": "not a date: use YYYY-MM-DD, YYYY-MM or YYYY"}},
		{"ErrDateMissing", date("", "day"), map[string]string{"incident.date": "required"}},
		{"ErrDatePrecisionUnknown", date("2026-05-14", "week"), map[string]string{"incident.date_precision": "must be day, month or year"}},
		{"ErrDistrictUnknown", func(in *Input) { in.Incident.District = "159999" }, map[string]string{"incident.district": "unknown district code"}},
		{"ErrDistrictMissing", func(in *Input) { in.Incident.District = "" }, map[string]string{"incident.district": "required"}},
		{"ErrPlaceUnknown", func(in *Input) { in.Incident.Place = "park" }, map[string]string{"incident.place": "unknown place code"}},
		{"ErrPlaceMissing", func(in *Input) { in.Incident.Place = "" }, map[string]string{"incident.place": "required"}},
		{"ErrPerpetratorUnknown", func(in *Input) { in.Perpetrators = []string{"police", "alien"} }, map[string]string{"perpetrators": `unknown code "alien"`}},
		{"ErrPerpetratorsEmpty", func(in *Input) { in.Perpetrators = nil }, map[string]string{"perpetrators": "choose at least one"}},
		{"ErrViolationUnknown", func(in *Input) { in.Violations = []string{"Physical"} }, map[string]string{"violations": `unknown code "Physical"`}},
		{"ErrViolationsEmpty", func(in *Input) { in.Violations = []string{} }, map[string]string{"violations": "choose at least one"}},
		{"ErrAgeBandUnknown", func(in *Input) { in.Survivor.AgeBand = "15-17" }, map[string]string{"survivor.age_band": `unknown code "15-17"`}},
		{"ErrGenderUnknown", func(in *Input) { in.Survivor.Gender = "man" }, map[string]string{"survivor.gender": `unknown code "man"`}},
		{"ErrNationalityUnknown", func(in *Input) { in.Survivor.Nationality = "XX" }, map[string]string{"survivor.nationality": `unknown code "XX"`}},
		{"ErrNationalityLowerCase", func(in *Input) { in.Survivor.Nationality = "ve" }, map[string]string{"survivor.nationality": `unknown code "ve"`}},
		{"ErrWorkSettingUnknown", func(in *Input) { in.Survivor.WorkSetting = "home" }, map[string]string{"survivor.work_setting": `unknown code "home"`}},
		{"ErrReportedToNoneCombined", func(in *Input) { in.Response.ReportedTo = []string{"none", "police"} }, map[string]string{"response.reported_to": `"none" cannot be combined with other answers`}},
		{"ErrReportedToUnknown", func(in *Input) { in.Response.ReportedTo = []string{"court"} }, map[string]string{"response.reported_to": `unknown code "court"`}},
		{"ErrReferralUnknown", func(in *Input) { in.Response.Referrals = []string{"lawyer"} }, map[string]string{"response.referrals": `unknown code "lawyer"`}},
		{"ErrStatusUnknown", func(in *Input) { in.Response.Status = "pending" }, map[string]string{"response.status": "must be open, in_follow_up or closed"}},
		{"ErrClosedWithoutOutcome", func(in *Input) { in.Response.Status = "closed" }, map[string]string{"response.outcome": "required when the case is closed"}},
		{"ErrOutcomeOnOpenCase", func(in *Input) { in.Response.Outcome = "resolved" }, map[string]string{"response.outcome": "only for a closed case"}},
		{"ErrOutcomeUnknown", func(in *Input) { in.Response.Status, in.Response.Outcome = "closed", "great" }, map[string]string{"response.outcome": "must be resolved, partly_resolved or unresolved"}},
		{"ErrContactWithoutConsent", func(in *Input) { in.Contact = "+51 999 888 777" }, map[string]string{"contact": "keep a contact only with consent.contact"}},
		{"ErrNarrativeTooLong", func(in *Input) { in.Narrative = strings.Repeat("a", maxNarrative+1) }, map[string]string{"narrative": "at most 20000 characters"}},
		{"ErrContactTooLong", func(in *Input) { in.Contact, in.Consent.Contact = strings.Repeat("9", maxContact+1), true }, map[string]string{"contact": "at most 200 characters"}},
		{"ErrTextVersionTooLong", func(in *Input) { in.Consent.TextVersion = strings.Repeat("v", maxTextVersion+1) }, map[string]string{"consent.text_version": "at most 40 characters"}},
		{"ErrNarrativeNotUTF8", func(in *Input) { in.Narrative = "golpe \xff" }, map[string]string{"narrative": "text is not valid UTF-8"}},
		{"ErrContactNotUTF8", func(in *Input) { in.Contact, in.Consent.Contact = "99\xff", true }, map[string]string{"contact": "text is not valid UTF-8"}},
		{"ErrUICDay32", func(in *Input) { in.UIC = "MAJO3285" }, map[string]string{"uic": uicProblem}},
	}
	accepted := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.mod(&in)
			c, _, err := s.Create(ctx, ana, in, "key-"+tt.name)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				accepted++
				// A rejected request in between takes no number.
				if c.Ref != refOf("LIM", accepted) {
					t.Errorf("ref = %s, want %s", c.Ref, refOf("LIM", accepted))
				}
				return
			}
			if c != nil {
				t.Errorf("Create returned a case with an error: %+v", c)
			}
			if diff := cmp.Diff(tt.want, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	// Rejected requests store neither a case nor their idempotency key.
	if got := mustCount(t, s.cases); got != int64(accepted) {
		t.Errorf("cases stored = %d, want one per accepted request (%d)", got, accepted)
	}
	if got := mustCount(t, s.idem); got != int64(accepted) {
		t.Errorf("idempotency keys stored = %d, want one per accepted request (%d)", got, accepted)
	}
}

// TestCheckInput: the same verdict as Create, and nothing stored either way.
func TestCheckInput(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	if err := s.CheckInput(ana, validInput()); err != nil {
		t.Fatalf("a valid case: %v", err)
	}
	bad := validInput()
	bad.Incident.District = "999999"
	var v *validation.Error
	if err := s.CheckInput(ana, bad); !errors.As(err, &v) || v.Messages()["incident.district"] == "" {
		t.Fatalf("an unknown district: %v", err)
	}
	if n, err := s.cases.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("CheckInput stored %d cases, %v", n, err)
	}
}
