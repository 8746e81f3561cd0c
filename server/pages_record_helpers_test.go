package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// recordInputValue is the value of the first input named name in a page, or "".
func recordInputValue(page, name string) string {
	m := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

const (
	recordNarrative = "NARRATIVE-MARKER-record-4471: la detuvieron sin motivo."
	recordContact   = "+51 987 654 321"
)

// fullIncident is a complete form as a person fills it in, with her code
// Má / jo / 15 / 85 (the code MAJO1585).
func (b *webSession) fullIncident(key string) url.Values {
	return url.Values{
		"csrf_token": {b.csrf}, "idempotency_key": {key},
		"consent_record": {"yes"}, "consent_statistics": {"yes"}, "consent_legal_sharing": {"no"}, "consent_contact": {"yes"},
		"uic_mother": {"Má"}, "uic_father": {"jo"}, "uic_day": {"15"}, "uic_year": {"85"},
		"date_precision": {"month"}, "date_day": {""}, "date_year": {""},
		"date_month":      {b.ts.Clock.Now().AddDate(0, -1, 0).Format("2006-01")},
		"district_search": {"mira"}, "district": {"150122"}, "place": {"street"},
		"perpetrators": {"serenazgo", "police"}, "violations": {"physical", "confiscation"},
		"age_band": {"25-34"}, "gender": {"trans_woman"}, "nationality": {"VE"}, "work_setting": {""},
		"narrative": {recordNarrative}, "contact": {recordContact},
		"reported_to": {"none"}, "referrals": {"legal", "health"},
	}
}

var recordedPath = regexp.MustCompile(`^/cases/([0-9a-f-]{36})/recorded$`)

// mustRecord posts a form that must be accepted, and returns the new case's id.
func (b *webSession) mustRecord(t *testing.T, form url.Values) string {
	t.Helper()
	resp, page := b.post(t, "/cases/new", form)
	m := recordedPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /cases/new: status %d, Location %q, page %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	return m[1]
}

// recordCount is how many cases the API lists for a token.
func recordCount(t *testing.T, ts *testServer, token string) int {
	t.Helper()
	st, ids := ts.listIDs(t, token)
	if st != http.StatusOK {
		t.Fatalf("list cases: status %d", st)
	}
	return len(ids)
}

// recordProblemBeside returns the field problem shown beside field, or "".
func recordProblemBeside(page, field string) string {
	m := regexp.MustCompile(`<p class="field-problem" id="e-` + regexp.QuoteMeta(field) + `">([^<]*)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

var (
	recordControl = regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
	recordAttr    = func(attrs, name string) string {
		m := regexp.MustCompile(`\b` + name + `="([^"]*)"`).FindStringSubmatch(attrs)
		if m == nil {
			return ""
		}
		return m[1]
	}
)

// recordCheckLabels fails for a visible input of the page without a <label for>.
func recordCheckLabels(t *testing.T, page string) {
	t.Helper()
	n := 0
	for _, m := range recordControl.FindAllStringSubmatch(page, -1) {
		if recordAttr(m[2], "type") == "hidden" {
			continue
		}
		n++
		id := recordAttr(m[2], "id")
		if id == "" || !strings.Contains(page, `<label for="`+id+`"`) && !strings.Contains(page, `for="`+id+`">`) {
			t.Errorf("%s without a label: <%s%s>", m[1], m[1], m[2])
		}
	}
	if n < 60 {
		t.Errorf("only %d inputs in the form", n)
	}
}

// recordSteps are the steps of the form in order, with fields each must hold.
var recordSteps = []struct {
	id     string
	fields []string
}{
	{"consent", []string{"consent_record", "consent_statistics", "consent_legal_sharing", "consent_contact"}},
	{"code", []string{"uic_mother", "uic_father", "uic_day", "uic_year", "no_uic"}},
	{"when", []string{"date_precision", "date_day", "date_month", "date_year", "district_search", "district", "place"}},
	{"what", []string{"perpetrators", "violations"}},
	{"her", []string{"age_band", "gender", "nationality", "work_setting"}},
	{"story", []string{"narrative", "contact", "reported_to", "referrals"}},
}

// recordCheckSteps fails unless the form has its six steps in order, each with its
// fields, the stepper's buttons, and the submit button in the last.
func recordCheckSteps(t *testing.T, page string) {
	t.Helper()
	parts := strings.Split(page, `<fieldset class="step"`)
	if len(parts) != len(recordSteps)+1 {
		t.Fatalf("%d steps, want %d", len(parts)-1, len(recordSteps))
	}
	for i, s := range recordSteps {
		part := parts[i+1]
		if !strings.HasPrefix(part, ` id="step-`+s.id+`"`) {
			t.Errorf("step %d is not %s: %.40s", i+1, s.id, part)
		}
		for _, f := range s.fields {
			if !strings.Contains(part, `name="`+f+`"`) {
				t.Errorf("step %s has no field %s", s.id, f)
			}
		}
		last := i == len(recordSteps)-1
		if strings.Contains(part, `class="step-next`) == last || (i > 0) != strings.Contains(part, `class="step-back"`) {
			t.Errorf("step %s: wrong stepper buttons", s.id)
		}
		if strings.Contains(part, `id="record-submit"`) != last {
			t.Errorf("step %s: the submit button belongs to the last step only", s.id)
		}
	}
}

// recordOpenStep is the step (1 to 6) a rejected form says it opens at, or "".
func recordOpenStep(page string) string {
	m := regexp.MustCompile(`<form [^>]*id="record"[^>]*data-open="([0-9]+)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// recordSummary is the problem summary's fields, in the order it lists them.
func recordSummary(page string) []string {
	i := strings.Index(page, `id="problems"`)
	if i < 0 {
		return nil
	}
	end := strings.Index(page[i:], "</ul>")
	var out []string
	for _, m := range regexp.MustCompile(`<li><a href="#f-([a-z_]+)">`).FindAllStringSubmatch(page[i:i+end], -1) {
		out = append(out, m[1])
	}
	return out
}

// recordCheckCodeKept fails unless each answer of her code sent in form comes back in
// its own input and nowhere else: not in another place of the page, the redirect, the
// server's log or the access log.
func recordCheckCodeKept(t *testing.T, ts *testServer, resp *http.Response, page string, form url.Values) {
	t.Helper()
	for _, f := range []string{"uic_mother", "uic_father", "uic_day", "uic_year"} {
		sent := form.Get(f)
		if got := recordInputValue(page, f); got != sent {
			t.Errorf("%s comes back as %q, want %q", f, got, sent)
		}
		if sent == "" {
			continue
		}
		if n := strings.Count(page, `value="`+sent+`"`); n != 1 {
			t.Errorf("her answer %q is in the page %d times, want once (its input)", sent, n)
		}
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("a rejected form redirects to %q", loc)
	}
	if strings.Contains(page, "MAJO") {
		t.Error("the page shows her whole code")
	}
	for _, secret := range []string{"MAJO", "Má", `"uic`, "uic_mother="} {
		if strings.Contains(ts.Logs.String(), secret) {
			t.Errorf("the server's log holds %q", secret)
		}
	}
	for _, e := range auditEntries(t, ts, "LIM", "case.create") {
		if strings.Contains(e.Detail, "MAJO") || strings.Contains(e.Detail, "Má") {
			t.Errorf("the access log holds her code: %q", e.Detail)
		}
	}
}
