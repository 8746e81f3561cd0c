package server

import (
	"slices"
	"strings"

	"registro/validation"
)

// recordFields maps the domain's field names (cases/validate.go, cases/create.go) to
// the form's, so that each problem shows beside its input (id "f-<field>") and in the
// summary (catalogue "field.<field>"). The incident date depends on the precision.
var recordFields = map[string]string{
	"consent.record":          "consent_record",
	"uic":                     "uic_mother",
	"incident.date_precision": "date_precision",
	"incident.district":       "district",
	"incident.place":          "place",
	"perpetrators":            "perpetrators",
	"violations":              "violations",
	"survivor.age_band":       "age_band",
	"survivor.gender":         "gender",
	"survivor.nationality":    "nationality",
	"survivor.work_setting":   "work_setting",
	"narrative":               "narrative",
	"contact":                 "contact",
	"response.reported_to":    "reported_to",
	"response.referrals":      "referrals",
}

// recordFormField is the form field a domain problem belongs to. Problems with fields
// the form does not show (the consent text version, the status, the idempotency key)
// go to the form as a whole, so none is hidden.
func recordFormField(domain, precision string) string {
	if domain == "incident.date" {
		if precision != "month" && precision != "year" {
			precision = "day"
		}
		return "date_" + precision
	}
	if f, ok := recordFields[domain]; ok {
		return f
	}
	return "form"
}

// recordProblem words a domain problem for the person at the form: the problems of
// dates, codes and the contact have plainer words here; anything else goes through
// the shared catalogue.
func (s *Server) recordProblem(lang, field string, p validation.Problem) string {
	id := ""
	switch {
	case field == "consent_record":
		id = "record.problem.consent_record"
	case strings.HasPrefix(field, "date_"):
		switch p.Code {
		case validation.Required:
			id = "record.problem.date_missing"
		case validation.InFuture:
			id = "record.problem.date_future"
		case validation.DateBefore:
			id = "record.problem.date_old"
		default:
			id = "record.problem.date_format"
		}
	case p.Code == validation.UnknownCode, p.Code == validation.UnknownDistrict, p.Code == validation.UnknownPlace,
		p.Code == validation.DatePrecision, p.Code == validation.StatusValue, p.Code == validation.OutcomeValue:
		id = "problem.unknown_code"
	case field == "contact" && p.Code == validation.ContactConsent:
		id = "record.problem.contact_consent"
	case p.Code == validation.TooLong:
		id = "record.problem.too_long"
	case p.Code == validation.NoneAlone:
		id = "record.problem.none_alone"
	}
	if id != "" {
		return s.cat.text(lang, id)
	}
	return s.cat.problem(lang, p)
}

// recordStepFields are the form's fields step by step, in the order the page shows
// them: the order of the problem summary and the step a rejected form opens at. A
// problem of the form as a whole ("form") comes before them all.
var recordStepFields = [recordSteps][]string{
	{"consent_record", "consent_statistics", "consent_legal_sharing", "consent_contact"},
	{"uic_mother", "uic_father", "uic_day", "uic_year", "no_uic"},
	{"date_precision", "date_day", "date_month", "date_year", "district", "place"},
	{"perpetrators", "violations"},
	{"age_band", "gender", "work_setting", "nationality"},
	{"narrative", "contact", "reported_to", "referrals"},
}

// problemLine is one line of the problem summary: a link to the field, its name and
// the problem.
type problemLine struct {
	Field, Name, Text string
}

// Problems lists the form's problems in the order the form asks its questions, so the
// summary reads as she goes through the form; a field the form does not know (none
// should reach here) comes last rather than being hidden.
func (p *recordPage) Problems() []problemLine {
	var out []problemLine
	seen := map[string]bool{}
	add := func(f string) {
		if msg, ok := p.v.Errors[f]; ok && !seen[f] {
			seen[f] = true
			out = append(out, problemLine{Field: f, Name: p.v.T("field." + f), Text: msg})
		}
	}
	add("form")
	for _, fields := range recordStepFields {
		for _, f := range fields {
			add(f)
		}
	}
	rest := make([]string, 0, len(p.v.Errors))
	for f := range p.v.Errors {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	for _, f := range rest {
		add(f)
	}
	return out
}

// OpenStep is the step a rejected form opens at (1 to recordSteps): the first with a
// problem, or the first step when none has one.
func (p *recordPage) OpenStep() int {
	for i, fields := range recordStepFields {
		for _, f := range fields {
			if _, ok := p.v.Errors[f]; ok {
				return i + 1
			}
		}
	}
	return 1
}
