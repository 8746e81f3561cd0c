package cases

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"registro/validation"
	"registro/vocabulary"
)

// Limits on free text, so a single case stays small (the store decodes every value).
const (
	maxNarrative   = 20000
	maxContact     = 200
	maxNote        = 5000
	maxTextVersion = 40
)

// earliestYear bounds incident dates: older events are out of the registry's scope.
const earliestYear = 1980

// checkRecord validates and normalizes the fields shared by a new and an edited case,
// adding every problem to e.
func checkRecord(v *vocabulary.Vocabulary, e *validation.Error, c *Case, now time.Time) {
	checkIncident(v, e, &c.Incident, now)
	c.Perpetrators = checkCodes(v, e, vocabulary.Perpetrators, "perpetrators", c.Perpetrators, true)
	c.Violations = checkCodes(v, e, vocabulary.Violations, "violations", c.Violations, true)
	checkOptional(v, e, vocabulary.AgeBands, "survivor.age_band", c.Survivor.AgeBand)
	checkOptional(v, e, vocabulary.Genders, "survivor.gender", c.Survivor.Gender)
	checkOptional(v, e, vocabulary.Nationalities, "survivor.nationality", c.Survivor.Nationality)
	checkOptional(v, e, vocabulary.WorkSettings, "survivor.work_setting", c.Survivor.WorkSetting)
	checkResponse(v, e, &c.Response)
	if n := utf8.RuneCountInString(c.Narrative); n > maxNarrative {
		e.Add("narrative", validation.TooLong, "Max", maxNarrative)
	}
	switch {
	case utf8.RuneCountInString(c.Contact) > maxContact:
		e.Add("contact", validation.TooLong, "Max", maxContact)
	case c.Contact != "" && !c.Consent.Contact:
		e.Add("contact", validation.ContactConsent)
	}
	if utf8.RuneCountInString(c.Consent.TextVersion) > maxTextVersion {
		e.Add("consent.text_version", validation.TooLong, "Max", maxTextVersion)
	}
	if !utf8.ValidString(c.Narrative) {
		e.Add("narrative", validation.NotUTF8)
	}
	if !utf8.ValidString(c.Contact) {
		e.Add("contact", validation.NotUTF8)
	}
}

func checkIncident(v *vocabulary.Vocabulary, e *validation.Error, in *Incident, now time.Time) {
	if in.DatePrecision == "" {
		in.DatePrecision = "day"
	}
	if !v.Has(vocabulary.DatePrecisions, in.DatePrecision) {
		e.Add("incident.date_precision", validation.DatePrecision)
	} else if date, problem := parseIncidentDate(in.Date, in.DatePrecision, now); problem != nil {
		e.AddProblem("incident.date", *problem)
	} else {
		in.Date = date
	}
	switch {
	case in.District == "":
		e.Add("incident.district", validation.Required)
	case !v.Has(vocabulary.Districts, in.District):
		e.Add("incident.district", validation.UnknownDistrict)
	}
	switch {
	case in.Place == "":
		e.Add("incident.place", validation.Required)
	case !v.Has(vocabulary.Places, in.Place):
		e.Add("incident.place", validation.UnknownPlace)
	}
}

// parseIncidentDate accepts a full date or one cut to the precision ("2026-05" for a
// month) and returns it cut to the precision, or its problem.
func parseIncidentDate(s, precision string, now time.Time) (string, *validation.Problem) {
	if s == "" {
		return "", problem(validation.Required)
	}
	var t time.Time
	var err error
	for _, layout := range []string{time.DateOnly, "2006-01", "2006"} {
		if t, err = time.Parse(layout, s); err == nil {
			if layoutRank(layout) < precisionRank(precision) {
				return "", problem(validation.DateNeeds, "Precision", precision, "Layout", precisionLayoutHint(precision))
			}
			break
		}
	}
	if err != nil {
		return "", problem(validation.NotADate)
	}
	if t.Year() < earliestYear {
		return "", problem(validation.DateBefore, "Year", earliestYear)
	}
	// A day ahead of UTC covers every time zone; anything later is a typo.
	if t.After(now.Add(24 * time.Hour)) {
		return "", problem(validation.InFuture)
	}
	switch precision {
	case "month":
		return t.Format("2006-01"), nil
	case "year":
		return t.Format("2006"), nil
	}
	return t.Format(time.DateOnly), nil
}

func problem(code validation.Code, args ...any) *validation.Problem {
	p := validation.P(code, args...)
	return &p
}

func precisionRank(p string) int { return map[string]int{"year": 0, "month": 1, "day": 2}[p] }

func layoutRank(l string) int {
	return map[string]int{"2006": 0, "2006-01": 1, time.DateOnly: 2}[l]
}

func precisionLayoutHint(p string) string {
	if p == "day" {
		return "YYYY-MM-DD"
	}
	return "YYYY-MM"
}

// checkCodes returns codes without repeats, adding a problem for each unknown code
// and for an empty list when one is required.
func checkCodes(v *vocabulary.Vocabulary, e *validation.Error, l vocabulary.List, field string, codes []string, required bool) []string {
	if len(codes) == 0 {
		if required {
			e.Add(field, validation.ChooseOne)
		}
		return []string{}
	}
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if !v.Has(l, c) {
			e.Add(field, validation.UnknownCode, "Code", c)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func checkOptional(v *vocabulary.Vocabulary, e *validation.Error, l vocabulary.List, field, code string) {
	if code != "" && !v.Has(l, code) {
		e.Add(field, validation.UnknownCode, "Code", code)
	}
}

func checkResponse(v *vocabulary.Vocabulary, e *validation.Error, r *Response) {
	r.ReportedTo = checkCodes(v, e, vocabulary.ReportedTo, "response.reported_to", r.ReportedTo, false)
	if len(r.ReportedTo) > 1 && slices.Contains(r.ReportedTo, "none") {
		e.Add("response.reported_to", validation.NoneAlone)
	}
	r.Referrals = checkCodes(v, e, vocabulary.Referrals, "response.referrals", r.Referrals, false)
	if r.Status == "" {
		r.Status = "open"
	}
	if !v.Has(vocabulary.Statuses, r.Status) {
		e.Add("response.status", validation.StatusValue)
		return
	}
	switch {
	case r.Status == "closed" && r.Outcome == "":
		e.Add("response.outcome", validation.OutcomeRequired)
	case r.Status != "closed" && r.Outcome != "":
		e.Add("response.outcome", validation.OutcomeOnlyClosed)
	case r.Outcome != "" && !v.Has(vocabulary.Outcomes, r.Outcome):
		e.Add("response.outcome", validation.OutcomeValue)
	}
}

// periodOf derives the statistical period of a validated incident date.
func periodOf(in Incident) Period {
	p := Period{Year: in.Date[:4]}
	if len(in.Date) >= 7 {
		p.Month = in.Date[:7]
		p.Quarter = QuarterOf(p.Month)
	}
	return p
}

// QuarterOf names the quarter of a month: "2026-05" → "2026-Q2".
func QuarterOf(month string) string {
	m := int(month[5]-'0')*10 + int(month[6]-'0')
	return fmt.Sprintf("%s-Q%d", month[:4], (m-1)/3+1)
}
