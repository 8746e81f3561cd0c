package server

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"registro/cases"
)

// recordCodeFields are the four answers that make up her code (UIC). With her
// birthday they could identify her: they are never kept in a draft, a URL or a log,
// and only a rejected form's own inputs show them back, on that one answer.
var recordCodeFields = []string{"uic_mother", "uic_father", "uic_day", "uic_year"}

// recordShownBack is the posted form without the CSRF token (the page writes its own),
// to show a rejected form again with every answer, so only what is marked needs fixing.
func recordShownBack(form url.Values) url.Values {
	out := url.Values{}
	for k, vs := range form {
		out[k] = vs
	}
	delete(out, "csrf_token")
	return out
}

// recordInput maps the form to a new case. The problems only the page can see (her
// code, asked as four questions, and the consent step) come back as form field →
// catalogue id; everything else the domain checks.
func recordInput(form url.Values) (cases.Input, map[string]string) {
	problems := map[string]string{}
	yes := func(name string) bool { return form.Get(name) == "yes" }
	agrees := yes("consent_record")
	if !agrees {
		problems["consent_record"] = "record.problem.consent_record"
	}
	precision := form.Get("date_precision")
	date := ""
	if precision == "day" || precision == "month" || precision == "year" {
		date = strings.TrimSpace(form.Get("date_" + precision))
	}
	in := cases.Input{
		UIC: recordCode(form, problems),
		Incident: cases.Incident{
			Date: date, DatePrecision: precision,
			District: form.Get("district"), Place: form.Get("place"),
		},
		Perpetrators: form["perpetrators"],
		Violations:   form["violations"],
		Survivor: cases.Survivor{
			AgeBand: form.Get("age_band"), Gender: form.Get("gender"),
			Nationality: form.Get("nationality"), WorkSetting: form.Get("work_setting"),
		},
		Consent: cases.ConsentInput{
			Record: &agrees, Statistics: yes("consent_statistics"),
			LegalSharing: yes("consent_legal_sharing"), Contact: yes("consent_contact"),
			TextVersion: recordConsentText,
		},
		Narrative: strings.TrimSpace(form.Get("narrative")),
		Contact:   strings.TrimSpace(form.Get("contact")),
		Response: cases.Response{
			ReportedTo: form["reported_to"], Referrals: form["referrals"], Status: "open",
		},
	}
	return in, problems
}

var twoDigits = regexp.MustCompile(`^[0-9]{2}$`)
var fullYear = regexp.MustCompile(`^(19|20)[0-9]{2}$`)

// recordCode builds her code from the four answers: two letters of her mother's first
// name, two of her father's, day of birth in two digits, last two digits of the year.
// It returns "" when she prefers not to give it (the case gets a random pseudonym).
func recordCode(form url.Values, problems map[string]string) string {
	if form.Get("no_uic") != "" {
		return ""
	}
	answers := make([]string, len(recordCodeFields))
	empty := true
	for i, f := range recordCodeFields {
		answers[i] = strings.TrimSpace(form.Get(f))
		empty = empty && answers[i] == ""
	}
	if empty {
		problems["uic_mother"] = "record.problem.code_missing"
		return ""
	}
	mother, okMother := twoLetters(answers[0])
	father, okFather := twoLetters(answers[1])
	if !okMother {
		problems["uic_mother"] = "record.problem.code_letters"
	}
	if !okFather {
		problems["uic_father"] = "record.problem.code_letters"
	}
	day, err := strconv.Atoi(answers[2])
	if err != nil || day < 1 || day > 31 {
		problems["uic_day"] = "record.problem.code_day"
	}
	year := answers[3]
	if fullYear.MatchString(year) {
		// She said the whole year; the code keeps its last two digits.
		year = year[2:]
	}
	if !twoDigits.MatchString(year) {
		problems["uic_year"] = "record.problem.code_year"
	}
	return mother + father + fmt.Sprintf("%02d", day) + year
}

// twoLetters reads two letters as the code writes them ("Má" → "MA", "Ñu" → "NU").
func twoLetters(s string) (string, bool) {
	out := cases.FoldUIC(s)
	if len(out) != 2 || out[0] < 'A' || out[0] > 'Z' || out[1] < 'A' || out[1] > 'Z' {
		return "", false
	}
	return out, true
}
