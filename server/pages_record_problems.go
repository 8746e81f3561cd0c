package server

import "strings"

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

// recordProblem words a domain problem (written in English for API clients) for the
// person at the form: the domain's messages about dates, codes and the contact have
// plainer equivalents here; anything else goes through the shared catalogue.
func (s *Server) recordProblem(lang, field, msg string) string {
	id := ""
	switch {
	case field == "consent_record":
		id = "record.problem.consent_record"
	case strings.HasPrefix(field, "date_"):
		switch {
		case msg == "required":
			id = "record.problem.date_missing"
		case msg == "in the future":
			id = "record.problem.date_future"
		case strings.HasPrefix(msg, "before "):
			id = "record.problem.date_old"
		default:
			id = "record.problem.date_format"
		}
	case strings.HasPrefix(msg, "unknown"), strings.HasPrefix(msg, "must be day"):
		id = "problem.unknown_code"
	case field == "contact" && strings.HasPrefix(msg, "keep a contact only"):
		id = "record.problem.contact_consent"
	case strings.HasPrefix(msg, "at most"):
		id = "record.problem.too_long"
	case strings.Contains(msg, "cannot be combined"):
		id = "record.problem.none_alone"
	}
	if id != "" {
		return s.cat.text(lang, id)
	}
	return s.cat.fieldProblem(lang, msg)
}
