package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"registro/accounts"
)

// TestPagesRecordRejected checks the form's answers to what cannot be recorded: the
// problems beside their fields, the values kept except her code, and the refusals of
// a role that may not record and of a form without its CSRF token.
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
		for _, secret := range []string{"MAJO", `value="Má"`, `value="jo"`, `value="15"`, `value="85"`, `value="M1"`} {
			if strings.Contains(page, secret) {
				t.Errorf("the rejected form shows her code's answer %q", secret)
			}
		}
		if m := regexp.MustCompile(`<input id="f-uic_[a-z]+"[^>]*value=`).FindString(page); m != "" {
			t.Errorf("a question of her code comes back filled in: %s", m)
		}
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
		if got := recordProblemBeside(page, "uic_mother"); !strings.Contains(got, "Pregúntele otra vez") {
			t.Errorf("her code is not asked again: %q", got)
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
	})

	t.Run("DateInTheFuture", func(t *testing.T) {
		form := b.fullIncident(key)
		form.Set("date_precision", "day")
		form.Set("date_day", ts.Clock.Now().AddDate(0, 0, 5).Format("2006-01-02"))
		page := reject(t, form)
		if got := recordProblemBeside(page, "date_day"); got != "La fecha no puede ser futura." {
			t.Errorf("date problem: %q", got)
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
