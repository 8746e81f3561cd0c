package server_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"registro/accounts"
)

// TestPagesRecord follows an outreach worker who records an incident through the
// form, and checks what the pages show, what is stored and what is logged.
func TestPagesRecord(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	worker := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	token := ts.login(t, "rosa", passwordOf("rosa"))
	ts.mustUser(t, "LIM", "carmen", accounts.RoleOutreach)
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))

	var key, id string
	t.Run("Form", func(t *testing.T) {
		st, page := b.get(t, "/cases/new")
		if st != http.StatusOK {
			t.Fatalf("GET /cases/new: status %d", st)
		}
		key = recordInputValue(page, "idempotency_key")
		if b.csrf == "" || len(key) < 16 {
			t.Fatalf("form without csrf_token (%q) or idempotency_key (%q)", b.csrf, key)
		}
		if _, again := b.get(t, "/cases/new"); recordInputValue(again, "idempotency_key") == key {
			t.Error("two fresh forms got the same idempotency key")
		}
		for _, want := range []string{`<html lang="es">`, `<form method="post" action="/cases/new" id="record"`,
			"Registrar un incidente", "¿Acepta que registremos lo que le pasó?", "Paso 1 de 6", "Paso 6 de 6",
			"Las dos primeras letras del nombre de su mamá", "Serenazgo", "Miraflores", "Lima Metropolitana",
			"#p-police", "#v-physical", `id="record-submit"`, "Venezuela", "data-fresh"} {
			if !strings.Contains(page, want) {
				t.Errorf("the form does not contain %q", want)
			}
		}
		recordCheckLabels(t, page)
		recordCheckSteps(t, page)
		if m := regexp.MustCompile(`\b(record|field|problem)\.[a-z_.]+`).FindString(page); m != "" {
			t.Errorf("the form shows the catalogue id %q instead of a text", m)
		}
		// Peru and Venezuela open the nationality list.
		if i, j, k := strings.Index(page, `value="PE"`), strings.Index(page, `value="VE"`), strings.Index(page, `value="AR"`); i < 0 || i > j || j > k {
			t.Errorf("nationalities: Peru at %d, Venezuela at %d, Argentina at %d", i, j, k)
		}
	})

	t.Run("Record", func(t *testing.T) {
		id = b.mustRecord(t, b.fullIncident(key))
		st, page := b.get(t, "/cases/"+id+"/recorded")
		if st != http.StatusOK {
			t.Fatalf("confirmation: status %d", st)
		}
		k := ts.storedCase(t, id)
		if m := regexp.MustCompile(`id="case-ref"[^>]*>([^<]+)<`).FindStringSubmatch(page); m == nil || m[1] != k.Ref || !strings.HasPrefix(k.Ref, "LIM-") {
			t.Errorf("confirmation: #case-ref %v, want %s", m, k.Ref)
		}
		for _, want := range []string{"data-clear-draft", "Incidente registrado", `href="/cases/new"`, `href="/cases"`, "Ver mis casos"} {
			if !strings.Contains(page, want) {
				t.Errorf("confirmation does not contain %q", want)
			}
		}
		for _, secret := range []string{"MAJO", "Má", recordNarrative, "987 654 321"} {
			if strings.Contains(page, secret) {
				t.Errorf("confirmation shows %q", secret)
			}
		}
		month := ts.Clock.Now().AddDate(0, -1, 0).Format("2006-01")
		if k.Incident.Date != month || k.Incident.DatePrecision != "month" || k.Incident.District != "150122" || k.Incident.Place != "street" {
			t.Errorf("incident = %+v", k.Incident)
		}
		if !slices.Equal(k.Perpetrators, []string{"serenazgo", "police"}) || !slices.Equal(k.Violations, []string{"physical", "confiscation"}) {
			t.Errorf("perpetrators %v, violations %v", k.Perpetrators, k.Violations)
		}
		if k.Survivor.AgeBand != "25-34" || k.Survivor.Gender != "trans_woman" || k.Survivor.Nationality != "VE" || k.Survivor.WorkSetting != "" {
			t.Errorf("survivor = %+v", k.Survivor)
		}
		c := k.Consent
		if !c.Record || !c.Statistics || c.LegalSharing || !c.Contact || c.TextVersion != "2026-11-web-1" || c.RecordedBy != worker.ID {
			t.Errorf("consent = %+v", c)
		}
		if k.Narrative != recordNarrative || k.Contact != recordContact || k.RecordedBy != worker.ID {
			t.Errorf("narrative %q, contact %q, recorded by %q", k.Narrative, k.Contact, k.RecordedBy)
		}
		if r := k.Response; r.Status != "open" || !slices.Equal(r.ReportedTo, []string{"none"}) || !slices.Equal(r.Referrals, []string{"legal", "health"}) {
			t.Errorf("response = %+v", r)
		}
	})

	t.Run("CodeAsTheAPIComposesIt", func(t *testing.T) {
		same := ts.mustCreateCase(t, token, func(in map[string]any) { in["uic"] = "MAJO1585" })
		other := ts.mustCreateCase(t, token, func(in map[string]any) { in["uic"] = "MAJO1685" })
		got := ts.storedCase(t, id).Subject
		if want := ts.storedCase(t, same).Subject; got != want {
			t.Errorf("pseudonym from the form's answers %s, from the API's MAJO1585 %s", got, want)
		}
		if ts.storedCase(t, other).Subject == got {
			t.Error("another code gave the same pseudonym")
		}
	})

	t.Run("SentTwice", func(t *testing.T) {
		before := recordCount(t, ts, token)
		if again := b.mustRecord(t, b.fullIncident(key)); again != id {
			t.Errorf("the same form sent again made case %s, want %s", again, id)
		}
		if after := recordCount(t, ts, token); after != before {
			t.Errorf("cases: %d before sending again, %d after", before, after)
		}
	})

	t.Run("ChangedAfterSending", func(t *testing.T) {
		before := recordCount(t, ts, token)
		form := b.fullIncident(key)
		form.Set("narrative", "Otra versión de lo que pasó.")
		resp, page := b.post(t, "/cases/new", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Este formulario ya se envió") ||
			!strings.Contains(page, `href="#f-form">Formulario</a>`) {
			t.Fatalf("the same key with other answers: status %d", resp.StatusCode)
		}
		fresh := recordInputValue(page, "idempotency_key")
		if fresh == "" || fresh == key {
			t.Fatalf("the form must come back with a new key, got %q", fresh)
		}
		if after := recordCount(t, ts, token); after != before {
			t.Errorf("cases: %d before, %d after the refused form", before, after)
		}
		form.Set("idempotency_key", fresh)
		if second := b.mustRecord(t, form); second == id {
			t.Error("sent with the new key, the form did not record a new incident")
		}
	})

	t.Run("AccessLog", func(t *testing.T) {
		if !hasAuditEntry(auditEntries(t, ts, "LIM", "case.create"), worker.ID, id, "ok") {
			t.Error("no case.create entry for the recorded case")
		}
		if !hasAuditEntry(auditEntries(t, ts, "LIM", "case.read"), worker.ID, id, "ok") {
			t.Error("the confirmation's read of the case is not in the access log")
		}
		for _, secret := range []string{"MAJO", recordNarrative, "987 654 321"} {
			if strings.Contains(ts.Logs.String(), secret) {
				t.Errorf("the server log contains %q", secret)
			}
		}
	})

	t.Run("OtherWorkersConfirmation", func(t *testing.T) {
		other := ts.signedIn(t, "carmen", passwordOf("carmen"))
		if st, page := other.get(t, "/cases/"+id+"/recorded"); st != http.StatusNotFound || !strings.Contains(page, "No encontrado") {
			t.Errorf("another worker's confirmation: status %d", st)
		}
	})

	t.Run("SignedOut", func(t *testing.T) {
		resp, _ := ts.newWebSession(t).fetch(t, "/cases/new")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fcases%2Fnew" {
			t.Errorf("signed out: status %d, Location %q", resp.StatusCode, loc)
		}
	})
}

// TestPagesRecordWithoutCode records a case for a survivor who gives no code.
func TestPagesRecordWithoutCode(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "coord", accounts.RoleCoordinator)
	b := ts.signedIn(t, "coord", passwordOf("coord"))
	_, page := b.get(t, "/cases/new")
	form := b.fullIncident(recordInputValue(page, "idempotency_key"))
	for _, f := range []string{"uic_mother", "uic_father", "uic_day", "uic_year"} {
		form.Set(f, "")
	}
	form.Set("no_uic", "yes")
	id := b.mustRecord(t, form)
	if k := ts.storedCase(t, id); k.Subject == "" || k.RecordedBy == "" {
		t.Errorf("case without code: subject %q", k.Subject)
	}
	if _, page := b.get(t, "/cases/"+id+"/recorded"); !strings.Contains(page, "Ver los casos") {
		t.Error("a coordinator's confirmation should lead to the organization's cases")
	}
}

// TestPagesRecordDistrictNames checks that the district list carries the names people
// use besides INEI's, for the search to find.
func TestPagesRecordDistrictNames(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	_, page := b.get(t, "/cases/new")
	for _, want := range []string{`<option value="150132" data-aka="SJL">San Juan de Lurigancho</option>`,
		`<option value="150135" data-aka="SMP">San Martín de Porres</option>`,
		`<option value="150142" data-aka="VES">Villa El Salvador</option>`,
		`<option value="150101" data-aka="Cercado|Cercado de Lima">Lima (Cercado)</option>`,
		`<option value="150103">Ate</option>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the district list lacks %s", want)
		}
	}
}
