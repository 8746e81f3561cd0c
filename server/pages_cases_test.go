package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"registro/accounts"
)

// casesRefOf is the reference of a case, read from the store.
func (ts *testServer) casesRefOf(tb testing.TB, id string) string {
	tb.Helper()
	return ts.storedCase(tb, id).Ref
}

func casesListed(body, ref string) bool { return strings.Contains(body, `data-ref="`+ref+`"`) }

// casesFixture is one organization with a worker of each case role and two workers'
// cases, plus a case of another organization.
type casesFixture struct {
	ts                    *testServer
	mine, theirs, foreign string // case ids: outreach1's, outreach2's, another org's
	mineRef, theirsRef    string
}

func newCasesFixture(t *testing.T) *casesFixture {
	t.Helper()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, w1 := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	_, w2 := ts.mustUserToken(t, "LIM", "outreach2", accounts.RoleOutreach)
	ts.mustUser(t, "LIM", "coordina", accounts.RoleCoordinator)
	ts.mustUser(t, "LIM", "abogada", accounts.RoleLegal)
	ts.mustUser(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, other := ts.mustUserToken(t, "CAL", "outreach-cal", accounts.RoleOutreach)
	fx := &casesFixture{ts: ts}
	fx.mine = ts.mustCreateCase(t, w1, func(in map[string]any) {
		in["narrative"] = "Relato de prueba: la detuvieron en la avenida."
		in["incident"] = map[string]any{"date": ts.Clock.Now().AddDate(0, -2, 0).Format("2006-01"),
			"date_precision": "month", "district": "150115", "place": "street"}
	})
	fx.theirs = ts.mustCreateCase(t, w2, nil)
	fx.foreign = ts.mustCreateCase(t, other, nil)
	fx.mineRef, fx.theirsRef = ts.casesRefOf(t, fx.mine), ts.casesRefOf(t, fx.theirs)
	return fx
}

// signIn opens a browser signed in as username through the sign-in form. Its pages
// come back decoded (&amp; as &): these tests compare the text as a reader sees it.
func (fx *casesFixture) signIn(tb testing.TB, username string) *webSession {
	tb.Helper()
	w := fx.ts.signedIn(tb, username, passwordOf(username))
	w.decode = true
	return w
}

// TestPagesCasesOutreach: a worker sees her own case in the list and in full, never
// another worker's, and each detail read is in the access log.
func TestPagesCasesOutreach(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := fx.signIn(t, "outreach1")

	st, body := b.get(t, "/cases")
	month := ts.Clock.Now().AddDate(0, -2, 0)
	wantPage(t, "own list", st, body, http.StatusOK, "Mis casos", `<table id="cases"`, "La Victoria", "Policía",
		`href="/cases/`+fx.mine+`"`, casesMonthES[month.Month()-1]+" de "+month.Format("2006"))
	if !casesListed(body, fx.mineRef) || casesListed(body, fx.theirsRef) {
		t.Errorf("own list: want only %s, page lists %s: %v", fx.mineRef, fx.theirsRef, casesListed(body, fx.theirsRef))
	}

	st, body = b.get(t, "/cases/"+fx.mine)
	wantPage(t, "own case", st, body, http.StatusOK, `id="case-ref">`+fx.mineRef, `id="narrative"`,
		"Relato de prueba: la detuvieron en la avenida.", `<ol id="followups"`, `id="followup"`, `name="note"`,
		"Lo que ella aceptó", `href="/cases/`+fx.mine+`/edit"`)
	for _, absent := range []string{`id="case-share"`, `id="case-erase"`, `id="grants"`} {
		if strings.Contains(body, absent) {
			t.Errorf("own case: an outreach worker must not see %s", absent)
		}
	}

	for name, id := range map[string]string{"another worker's": fx.theirs, "another organization's": fx.foreign} {
		st, body = b.get(t, "/cases/"+id)
		wantPage(t, name+" case", st, body, http.StatusNotFound, "No encontrado")
		if strings.Contains(body, "Fue detenida") {
			t.Errorf("%s case: the 404 page shows the narrative", name)
		}
		st, body = b.get(t, "/cases/"+id+"/edit")
		wantPage(t, name+" case, edit", st, body, http.StatusNotFound, "No encontrado")
	}
	st, body = b.get(t, "/cases/"+fx.mine+"/share")
	wantPage(t, "outreach share page", st, body, http.StatusForbidden, "Su rol no permite esto")
	st, body = b.get(t, "/cases/"+fx.mine+"/erase")
	wantPage(t, "outreach erase page", st, body, http.StatusForbidden, "Su rol no permite esto")

	reads := map[string]string{}
	for _, e := range auditEntries(t, ts, "LIM", "case.read") {
		if e.ActorName == "outreach1" {
			reads[e.Object] = e.Outcome
		}
	}
	if reads[fx.mine] != "ok" || reads[fx.theirs] != "not_found" {
		t.Errorf("access log case.read of outreach1 = %v, want %s ok and %s not_found", reads, fx.mine, fx.theirs)
	}
}

var casesMonthES = []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
	"septiembre", "octubre", "noviembre", "diciembre"}

// TestPagesCasesRoles: a role without cases gets the 403 page, a signed-out browser is
// sent to sign in, and a form without its CSRF token is refused.
func TestPagesCasesRoles(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	adv := fx.signIn(t, "vocera")
	for _, p := range []string{"/cases", "/cases/" + fx.mine} {
		st, body := adv.get(t, p)
		wantPage(t, "advocate "+p, st, body, http.StatusForbidden, "Su rol no permite esto")
	}
	res, body := adv.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"nota"}})
	wantPage(t, "advocate follow-up", res.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")

	res, _ = ts.newWebSession(t).fetch(t, "/cases")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fcases" {
		t.Errorf("signed out /cases: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	coord := fx.signIn(t, "coordina")
	coord.get(t, "/cases/"+fx.mine)
	res, body = coord.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"sin token"}, "csrf_token": nil})
	wantPage(t, "follow-up without CSRF", res.StatusCode, body, http.StatusForbidden, "El formulario venció")
	res, body = coord.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"token ajeno"}, "csrf_token": {"x" + coord.csrf}})
	wantPage(t, "follow-up with a wrong CSRF token", res.StatusCode, body, http.StatusForbidden, "El formulario venció")
	if n := len(ts.storedCase(t, fx.mine).Followups); n != 0 {
		t.Errorf("refused posts added %d follow-ups", n)
	}
}

// TestPagesCasesEnglish: the pages and the vocabulary labels follow the account's
// language.
func TestPagesCasesEnglish(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	b := fx.signIn(t, "outreach1")
	b.get(t, "/cases")
	if res, body := b.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/cases"}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/cases" {
		t.Fatalf("switch to English: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	month := fx.ts.Clock.Now().AddDate(0, -2, 0)
	st, body := b.get(t, "/cases")
	wantPage(t, "English list", st, body, http.StatusOK, "My cases", "Incident date", "Who did it", "Police",
		"Physical violence", month.Month().String()+" "+month.Format("2006"), ">Open<")
	st, body = b.get(t, "/cases/"+fx.mine)
	wantPage(t, "English detail", st, body, http.StatusOK, "What she agreed to", "Street or public space",
		"Her account", "Add a follow-up", "Save the follow-up")
	if strings.Contains(body, "Lo que ella aceptó") || strings.Contains(body, "Calle o vía pública") {
		t.Error("English detail shows Spanish texts")
	}
	st, body = b.get(t, "/cases/"+fx.theirs)
	wantPage(t, "English 404", st, body, http.StatusNotFound, "Not found")
}

// TestPagesCasesFilters: the filters narrow the list, a bad one is a 422 page naming
// it, and a long list pages with a cursor.
func TestPagesCasesFilters(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := fx.signIn(t, "coordina")
	st, body := b.get(t, "/cases")
	wantPage(t, "organization list", st, body, http.StatusOK, "Casos de la organización")
	if !casesListed(body, fx.mineRef) || !casesListed(body, fx.theirsRef) || strings.Contains(body, fx.foreign) {
		t.Errorf("organization list: want %s and %s and nothing of CAL", fx.mineRef, fx.theirsRef)
	}
	st, body = b.get(t, "/cases?status=closed")
	wantPage(t, "closed filter", st, body, http.StatusOK, "Ningún caso coincide", `<details class="case-filter card" open>`)
	if casesListed(body, fx.mineRef) {
		t.Error("closed filter lists an open case")
	}
	st, body = b.get(t, "/cases?district=150115&perpetrator=police")
	if st != http.StatusOK || !casesListed(body, fx.mineRef) {
		t.Errorf("district filter: %d, lists %s: %v", st, fx.mineRef, casesListed(body, fx.mineRef))
	}
	st, body = b.get(t, "/cases?district=999999&from=ayer")
	wantPage(t, "bad filters", st, body, http.StatusUnprocessableEntity, "Revise estos datos",
		`href="#f-case_district"`, "Elija una opción de la lista.", `href="#f-case_from"`, "Use una fecha como")
	if strings.Contains(body, `<table id="cases"`) {
		t.Error("bad filters: the page still lists cases")
	}

	_, w1 := ts.mustUserToken(t, "LIM", "outreach3", accounts.RoleOutreach)
	for range 50 {
		ts.mustCreateCase(t, w1, nil)
	}
	st, body = b.get(t, "/cases?perpetrator=police&limit=500")
	if n := strings.Count(body, "data-ref="); st != http.StatusOK || n != 50 {
		t.Fatalf("first page: %d, %d rows, want 50", st, n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil || !strings.Contains(next[1], "cursor=") || !strings.Contains(next[1], "perpetrator=police") {
		t.Fatalf("first page: next link %v must keep the filter and carry a cursor", next)
	}
	st, body = b.get(t, next[1])
	if n := strings.Count(body, "data-ref="); st != http.StatusOK || n != 2 || strings.Contains(body, `rel="next"`) {
		t.Errorf("second page: %d, %d rows (want 2), next link %v", st, n, strings.Contains(body, `rel="next"`))
	}
}
