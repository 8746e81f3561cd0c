package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/accounts"
)

// TestPagesRecordRejected checks the form's answers to what cannot be recorded: the
// problems beside their fields, every value kept (her code's only in its own inputs),
// the step it opens at, and the refusals of a role that may not record and of a form
// without its CSRF token.
func TestPagesRecordRejected(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	worker := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	token := ts.login(t, "rosa", passwordOf("rosa"))
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	_, page := b.get(t, "/cases/new")
	key := recordInputValue(page, "idempotency_key")

	reject := func(t *testing.T, form url.Values) string {
		t.Helper()
		before := recordCount(t, ts, token)
		resp, page := b.post(t, "/cases/new", form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422 (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
		}
		if after := recordCount(t, ts, token); after != before {
			t.Errorf("a rejected form recorded a case (%d → %d)", before, after)
		}
		recordCheckCodeKept(t, ts, resp, page, form)
		recordCheckLabels(t, page)
		if recordInputValue(page, "idempotency_key") != key {
			t.Error("the rejected form lost its idempotency key")
		}
		if !strings.Contains(page, `id="problems"`) || !strings.Contains(page, recordNarrative) {
			t.Error("the rejected form lacks the problems summary or the narrative typed")
		}
		if strings.Contains(page, "data-fresh") {
			t.Error("a rejected form must not take back a draft over what was sent")
		}
		return page
	}

	t.Run("NoConsent", func(t *testing.T) {
		form := b.fullIncident(key)
		form.Del("consent_record")
		page := reject(t, form)
		if got := recordProblemBeside(page, "consent_record"); !strings.Contains(got, "Sin el acuerdo de la compañera no se registra nada") {
			t.Errorf("consent problem beside the question: %q", got)
		}
		if !strings.Contains(page, `href="#f-consent_record">Acuerdo para registrar</a>`) || !strings.Contains(page, `id="f-consent_record"`) {
			t.Error("the summary does not link the consent question")
		}
		if got := recordProblemBeside(page, "uic_mother"); got != "" {
			t.Errorf("her code, answered well, is flagged: %q", got)
		}
		if got := recordOpenStep(page); got != "1" {
			t.Errorf("the form opens at step %q, want 1", got)
		}
	})

	t.Run("BadDistrictNoPerpetrator", func(t *testing.T) {
		form := b.fullIncident(key)
		form.Set("district", "999999")
		form.Del("perpetrators")
		page := reject(t, form)
		if got := recordProblemBeside(page, "district"); got != "Elija una opción de la lista." {
			t.Errorf("district problem: %q", got)
		}
		if got := recordProblemBeside(page, "perpetrators"); got != "Elija al menos una opción." {
			t.Errorf("perpetrators problem: %q", got)
		}
		if !regexp.MustCompile(`<select id="f-district" name="district" aria-invalid="true"`).MatchString(page) {
			t.Error("the district select is not marked invalid")
		}
		for _, kept := range []string{`value="physical" checked`, `value="confiscation" checked`, `value="VE" selected`,
			`value="25-34" checked`, `id="f-date_precision-month" name="date_precision" value="month" checked`, "987 654 321"} {
			if !strings.Contains(page, kept) {
				t.Errorf("the rejected form lost %q", kept)
			}
		}
		if !hasAuditEntry(auditEntries(t, ts, "LIM", "case.create"), worker.ID, "", "invalid") {
			t.Error("the rejected creation is not in the access log")
		}
	})

	t.Run("BadCodeAnswers", func(t *testing.T) {
		form := b.fullIncident(key)
		form.Set("uic_mother", "M1")
		form.Set("uic_day", "32")
		form.Set("uic_year", "8")
		page := reject(t, form)
		for field, want := range map[string]string{"uic_mother": "Escriba dos letras, sin números.",
			"uic_day": "Escriba un día del 1 al 31.", "uic_year": "Escriba dos números, por ejemplo 85."} {
			if got := recordProblemBeside(page, field); got != want {
				t.Errorf("%s problem %q, want %q", field, got, want)
			}
		}
		if recordProblemBeside(page, "uic_father") != "" {
			t.Error("a good answer was flagged")
		}
		if got := recordOpenStep(page); got != "2" {
			t.Errorf("the form opens at step %q, want 2", got)
		}
	})

	t.Run("DateInTheFuture", func(t *testing.T) {
		form := b.fullIncident(key)
		form.Set("date_precision", "day")
		form.Set("date_day", ts.Clock.Now().AddDate(0, 0, 5).Format("2006-01-02"))
		page := reject(t, form)
		if got := recordProblemBeside(page, "date_day"); got != "La fecha no puede ser futura." {
			t.Errorf("date problem: %q", got)
		}
		if got := recordOpenStep(page); got != "3" {
			t.Errorf("the form opens at step %q, want 3 (no more step 2 for her code)", got)
		}
	})

	t.Run("NoCSRF", func(t *testing.T) {
		form := b.fullIncident(key)
		form["csrf_token"] = nil // sent without a token
		before := recordCount(t, ts, token)
		resp, page := b.post(t, "/cases/new", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "El formulario venció") {
			t.Errorf("without CSRF token: status %d", resp.StatusCode)
		}
		if recordCount(t, ts, token) != before {
			t.Error("a form without CSRF token recorded a case")
		}
	})

	t.Run("Advocate", func(t *testing.T) {
		ts.mustUser(t, "LIM", "ana", accounts.RoleAdvocate)
		adv := ts.signedIn(t, "ana", passwordOf("ana"))
		if st, page := adv.get(t, "/cases/new"); st != http.StatusForbidden || !strings.Contains(page, "Su rol no permite esto") {
			t.Errorf("advocate GET /cases/new: status %d", st)
		}
		resp, page := adv.post(t, "/cases/new", adv.fullIncident(key))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Su rol no permite esto") {
			t.Errorf("advocate POST /cases/new: status %d", resp.StatusCode)
		}
	})
}

// TestPagesRecordEnglish shows the form in English to an account that chose it.
func TestPagesRecordEnglish(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	u := ts.mustUser(t, "LIM", "grace", accounts.RoleOutreach)
	en := "en"
	if _, err := ts.Accounts.UpdateUser(context.Background(), u.ID, accounts.UserPatch{Lang: &en}); err != nil {
		t.Fatal(err)
	}
	b := ts.signedIn(t, "grace", passwordOf("grace"))
	st, page := b.get(t, "/cases/new")
	if st != http.StatusOK {
		t.Fatalf("GET /cases/new: status %d", st)
	}
	for _, want := range []string{`<html lang="en">`, "Record an incident", "Do you agree that we record what happened to you?",
		"Step 3 of 6", "Metropolitan Lima", "Police", "The first two letters of her mother&#39;s first name"} {
		if !strings.Contains(page, want) {
			t.Errorf("the English form does not contain %q", want)
		}
	}
	if strings.Contains(page, "Registrar un incidente") {
		t.Error("the English form shows Spanish")
	}
	form := b.fullIncident(recordInputValue(page, "idempotency_key"))
	form.Del("violations")
	resp, page := b.post(t, "/cases/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || recordProblemBeside(page, "violations") != "Choose at least one option." {
		t.Errorf("English rejection: status %d, problem %q", resp.StatusCode, recordProblemBeside(page, "violations"))
	}
	form.Set("violations", "sexual")
	id := b.mustRecord(t, form)
	if _, page := b.get(t, "/cases/"+id+"/recorded"); !strings.Contains(page, "Incident recorded") || !strings.Contains(page, "See my cases") {
		t.Error("the English confirmation is not in English")
	}
}

// TestPagesRecordAllProblemsAtOnce sends a form with six problems, one of them in her
// code (which the page checks before the domain sees the case): all six come back at
// once, in the form's order, with every answer kept, and the form opens at the first
// step with a problem.
func TestPagesRecordAllProblemsAtOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	worker := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	token := ts.login(t, "rosa", passwordOf("rosa"))
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	_, page := b.get(t, "/cases/new")
	form := b.fullIncident(recordInputValue(page, "idempotency_key"))
	future := ts.Clock.Now().AddDate(0, 0, 3).Format("2006-01-02")
	form.Set("uic_mother", "M1")
	form.Set("date_precision", "day")
	form.Set("date_day", future)
	form.Set("district_search", "rimac")
	form.Set("district", "")
	for _, f := range []string{"place", "perpetrators", "violations"} {
		form.Del(f)
	}

	resp, page := b.post(t, "/cases/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.StatusCode)
	}
	if n := recordCount(t, ts, token); n != 0 {
		t.Errorf("a rejected form recorded %d cases", n)
	}
	want := []string{"uic_mother", "date_day", "district", "place", "perpetrators", "violations"}
	if diff := cmp.Diff(want, recordSummary(page)); diff != "" {
		t.Errorf("problem summary (-want +got):\n%s", diff)
	}
	for field, text := range map[string]string{
		"uic_mother": "Escriba dos letras, sin números.", "date_day": "La fecha no puede ser futura.",
		"district": "Este dato es obligatorio.", "place": "Este dato es obligatorio.",
		"perpetrators": "Elija al menos una opción.", "violations": "Elija al menos una opción.",
	} {
		if got := recordProblemBeside(page, field); got != text {
			t.Errorf("%s: problem %q, want %q", field, got, text)
		}
	}
	if got := recordProblemBeside(page, "consent_record"); got != "" {
		t.Errorf("the consent she gave is flagged: %q", got)
	}
	recordCheckCodeKept(t, ts, resp, page, form)
	for _, kept := range []string{`id="f-date_day" name="date_day" type="date" min="1980-01-01" max="` + ts.Clock.Now().In(lima(t)).Format("2006-01-02") + `" value="` + future + `"`,
		`name="district_search" type="search" autocomplete="off" spellcheck="false" value="rimac"`,
		`id="f-consent_statistics-yes" name="consent_statistics" value="yes" checked`,
		`id="f-consent_legal_sharing-no" name="consent_legal_sharing" value="no" checked`,
		`value="25-34" checked`, `value="VE" selected`, `value="trans_woman" checked`, `value="legal" checked`,
		recordNarrative, "987 654 321"} {
		if !strings.Contains(page, kept) {
			t.Errorf("the rejected form lost %q", kept)
		}
	}
	if got := recordOpenStep(page); got != "2" {
		t.Errorf("the form opens at step %q, want 2 (her code)", got)
	}
	if !hasAuditEntry(auditEntries(t, ts, "LIM", "case.create"), worker.ID, "", "invalid") {
		t.Error("the rejected creation is not in the access log")
	}

	// Fixing only what is marked records the case.
	form.Set("uic_mother", "Má")
	form.Set("date_day", ts.Clock.Now().AddDate(0, 0, -3).Format("2006-01-02"))
	form.Set("district", "150128")
	form.Set("place", "street")
	form["perpetrators"] = []string{"police"}
	form["violations"] = []string{"physical"}
	b.mustRecord(t, form)
}

func lima(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Lima")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
