package server_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"registro/accounts"
	"registro/audit"
)

// casesBrowser is a browser for the case pages: a cookie jar, redirects not followed
// (so a test sees each 303), and the CSRF token of the last page it was shown.
type casesBrowser struct {
	ts     *testServer
	client *http.Client
	csrf   string
}

var casesCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// casesSignIn opens a browser and signs username in through the sign-in form.
func (ts *testServer) casesSignIn(tb testing.TB, username string) *casesBrowser {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	b := &casesBrowser{ts: ts, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.get(tb, "/login")
	st, _, body := b.post(tb, "/login", url.Values{"username": {username}, "password": {passwordOf(username)}})
	if st != http.StatusSeeOther {
		tb.Fatalf("sign-in of %s through the form: status %d\n%s", username, st, body)
	}
	return b
}

// get fetches a page: status and body; it keeps the page's CSRF token.
func (b *casesBrowser) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	res, err := b.client.Get(b.ts.URL + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	return b.read(tb, res)
}

// post sends a form with the last page's CSRF token unless form has its own (an empty
// one sends none): status, Location and body.
func (b *casesBrowser) post(tb testing.TB, path string, form url.Values) (int, string, string) {
	tb.Helper()
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", b.csrf)
	} else if form.Get("csrf_token") == "" {
		form.Del("csrf_token")
	}
	res, err := b.client.PostForm(b.ts.URL+path, form)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	st, body := b.read(tb, res)
	return st, res.Header.Get("Location"), body
}

func (b *casesBrowser) read(tb testing.TB, res *http.Response) (int, string) {
	tb.Helper()
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if m := casesCSRF.FindSubmatch(raw); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, html.UnescapeString(string(raw))
}

// casesWantPage fails unless the page has status st and contains every text.
func casesWantPage(tb testing.TB, what string, gotSt int, body string, st int, texts ...string) {
	tb.Helper()
	if gotSt != st {
		tb.Fatalf("%s: status %d, want %d\n%s", what, gotSt, st, body)
	}
	for _, t := range texts {
		if !strings.Contains(body, t) {
			tb.Errorf("%s: page lacks %q", what, t)
		}
	}
}

// casesRefOf is the reference of a case, read from the store.
func (ts *testServer) casesRefOf(tb testing.TB, id string) string {
	tb.Helper()
	return ts.storedCase(tb, id).Ref
}

func casesListed(body, ref string) bool { return strings.Contains(body, `data-ref="`+ref+`"`) }

// casesAudit returns the organization's access-log entries with action.
func (ts *testServer) casesAudit(tb testing.TB, org, action string) []audit.Entry {
	tb.Helper()
	entries, _, err := ts.Audit.Entries(context.Background(), audit.Filter{Org: org, Action: action, Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	return entries
}

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

// TestPagesCasesOutreach: a worker sees her own case in the list and in full, never
// another worker's, and each detail read is in the access log.
func TestPagesCasesOutreach(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := ts.casesSignIn(t, "outreach1")

	st, body := b.get(t, "/cases")
	month := ts.Clock.Now().AddDate(0, -2, 0)
	casesWantPage(t, "own list", st, body, http.StatusOK, "Mis casos", `<table id="cases"`, "La Victoria", "Policía",
		`href="/cases/`+fx.mine+`"`, casesMonthES[month.Month()-1]+" de "+month.Format("2006"))
	if !casesListed(body, fx.mineRef) || casesListed(body, fx.theirsRef) {
		t.Errorf("own list: want only %s, page lists %s: %v", fx.mineRef, fx.theirsRef, casesListed(body, fx.theirsRef))
	}

	st, body = b.get(t, "/cases/"+fx.mine)
	casesWantPage(t, "own case", st, body, http.StatusOK, `id="case-ref">`+fx.mineRef, `id="narrative"`,
		"Relato de prueba: la detuvieron en la avenida.", `<ol id="followups"`, `id="followup"`, `name="note"`,
		"Lo que ella aceptó", `href="/cases/`+fx.mine+`/edit"`)
	for _, absent := range []string{`id="case-share"`, `id="case-erase"`, `id="grants"`} {
		if strings.Contains(body, absent) {
			t.Errorf("own case: an outreach worker must not see %s", absent)
		}
	}

	for name, id := range map[string]string{"another worker's": fx.theirs, "another organization's": fx.foreign} {
		st, body = b.get(t, "/cases/"+id)
		casesWantPage(t, name+" case", st, body, http.StatusNotFound, "No encontrado")
		if strings.Contains(body, "Fue detenida") {
			t.Errorf("%s case: the 404 page shows the narrative", name)
		}
		st, body = b.get(t, "/cases/"+id+"/edit")
		casesWantPage(t, name+" case, edit", st, body, http.StatusNotFound, "No encontrado")
	}
	st, body = b.get(t, "/cases/"+fx.mine+"/share")
	casesWantPage(t, "outreach share page", st, body, http.StatusForbidden, "Su rol no permite esto")
	st, body = b.get(t, "/cases/"+fx.mine+"/erase")
	casesWantPage(t, "outreach erase page", st, body, http.StatusForbidden, "Su rol no permite esto")

	reads := map[string]string{}
	for _, e := range ts.casesAudit(t, "LIM", "case.read") {
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
	adv := ts.casesSignIn(t, "vocera")
	for _, p := range []string{"/cases", "/cases/" + fx.mine} {
		st, body := adv.get(t, p)
		casesWantPage(t, "advocate "+p, st, body, http.StatusForbidden, "Su rol no permite esto")
	}
	st, _, body := adv.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"nota"}})
	casesWantPage(t, "advocate follow-up", st, body, http.StatusForbidden, "Su rol no permite esto")

	anon := &casesBrowser{ts: ts, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res, err := anon.client.Get(ts.URL + "/cases")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fcases" {
		t.Errorf("signed out /cases: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	coord := ts.casesSignIn(t, "coordina")
	coord.get(t, "/cases/"+fx.mine)
	st, _, body = coord.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"sin token"}, "csrf_token": {""}})
	casesWantPage(t, "follow-up without CSRF", st, body, http.StatusForbidden, "El formulario venció")
	st, _, body = coord.post(t, "/cases/"+fx.mine+"/followups", url.Values{"note": {"token ajeno"}, "csrf_token": {"x" + coord.csrf}})
	casesWantPage(t, "follow-up with a wrong CSRF token", st, body, http.StatusForbidden, "El formulario venció")
	if n := len(ts.storedCase(t, fx.mine).Followups); n != 0 {
		t.Errorf("refused posts added %d follow-ups", n)
	}
}

// TestPagesCasesEnglish: the pages and the vocabulary labels follow the account's
// language.
func TestPagesCasesEnglish(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	b := fx.ts.casesSignIn(t, "outreach1")
	b.get(t, "/cases")
	if st, loc, body := b.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/cases"}}); st != http.StatusSeeOther || loc != "/cases" {
		t.Fatalf("switch to English: %d to %q\n%s", st, loc, body)
	}
	month := fx.ts.Clock.Now().AddDate(0, -2, 0)
	st, body := b.get(t, "/cases")
	casesWantPage(t, "English list", st, body, http.StatusOK, "My cases", "Incident date", "Who did it", "Police",
		"Physical violence", month.Month().String()+" "+month.Format("2006"), ">Open<")
	st, body = b.get(t, "/cases/"+fx.mine)
	casesWantPage(t, "English detail", st, body, http.StatusOK, "What she agreed to", "Street or public space",
		"Her account", "Add a follow-up", "Save the follow-up")
	if strings.Contains(body, "Lo que ella aceptó") || strings.Contains(body, "Calle o vía pública") {
		t.Error("English detail shows Spanish texts")
	}
	st, body = b.get(t, "/cases/"+fx.theirs)
	casesWantPage(t, "English 404", st, body, http.StatusNotFound, "Not found")
}

// TestPagesCasesFilters: the filters narrow the list, a bad one is a 422 page naming
// it, and a long list pages with a cursor.
func TestPagesCasesFilters(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := ts.casesSignIn(t, "coordina")
	st, body := b.get(t, "/cases")
	casesWantPage(t, "organization list", st, body, http.StatusOK, "Casos de la organización")
	if !casesListed(body, fx.mineRef) || !casesListed(body, fx.theirsRef) || strings.Contains(body, fx.foreign) {
		t.Errorf("organization list: want %s and %s and nothing of CAL", fx.mineRef, fx.theirsRef)
	}
	st, body = b.get(t, "/cases?status=closed")
	casesWantPage(t, "closed filter", st, body, http.StatusOK, "Ningún caso coincide", `<details class="case-filter card" open>`)
	if casesListed(body, fx.mineRef) {
		t.Error("closed filter lists an open case")
	}
	st, body = b.get(t, "/cases?district=150115&perpetrator=police")
	if st != http.StatusOK || !casesListed(body, fx.mineRef) {
		t.Errorf("district filter: %d, lists %s: %v", st, fx.mineRef, casesListed(body, fx.mineRef))
	}
	st, body = b.get(t, "/cases?district=999999&from=ayer")
	casesWantPage(t, "bad filters", st, body, http.StatusUnprocessableEntity, "Revise estos datos",
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
