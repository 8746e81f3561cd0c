package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"registro/accounts"
)

// TestRightsPages: a coordinator helps a survivor by her code. She finds the three
// cases of that code (not the other organization's), prints what is kept (no
// account's name in it), withdraws the statistics consent on all three, and erases
// them all. Other roles reach none of it; the code is in no log, URL or page.
func TestRightsPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, coord := ts.webUser(t, "LIM", "coord", accounts.RoleCoordinator)
	_, rosa := ts.mustUserToken(t, "LIM", "rosa", accounts.RoleOutreach)
	_, calToken := ts.mustUserToken(t, "CAL", "cal.coord", accounts.RoleCoordinator)
	withCode := func(uic string) func(map[string]any) { return func(in map[string]any) { in["uic"] = uic } }
	hers := []string{
		ts.mustCreateCase(t, rosa, withCode("MAJO1585")),
		ts.mustCreateCase(t, rosa, withCode("ma-jo 1585")),
		ts.mustCreateCase(t, rosa, withCode("MAJO1585")),
	}
	other := ts.mustCreateCase(t, rosa, withCode("LUAN0290"))
	ts.mustCreateCase(t, calToken, withCode("MAJO1585"))
	// A fresh form each time: post adds the session's token to the form it is given.
	answers := func() url.Values {
		return url.Values{"uic_mother": {"Má"}, "uic_father": {"Jo"}, "uic_day": {"15"}, "uic_year": {"1985"}}
	}

	for _, role := range []accounts.Role{accounts.RoleOutreach, accounts.RoleLegal, accounts.RoleAdvocate, accounts.RoleAuditor} {
		_, w := ts.webUser(t, "LIM", "u-"+string(role), role)
		if st, _ := w.get(t, "/rights"); st != http.StatusForbidden {
			t.Errorf("%s opens /rights: %d, want 403", role, st)
		}
		if res, _ := w.post(t, "/rights", answers()); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s looks up a code: %d, want 403", role, res.StatusCode)
		}
	}

	if st, body := coord.get(t, "/rights"); st != http.StatusOK || !strings.Contains(body, `action="/rights"`) {
		t.Fatalf("/rights: %d", st)
	}
	// A wrong answer: named, and every answer kept.
	bad := url.Values{"uic_mother": {"Má"}, "uic_father": {"J"}, "uic_day": {"45"}, "uic_year": {"1985"}}
	res, body := coord.post(t, "/rights", bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true"`) ||
		!strings.Contains(body, `value="Má"`) || !strings.Contains(body, `value="45"`) {
		t.Errorf("a wrong code: %d\n%s", res.StatusCode, body)
	}
	res, body = coord.post(t, "/rights", answers())
	where := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/rights/") {
		t.Fatalf("lookup: %d %q\n%s", res.StatusCode, where, body)
	}
	if strings.Contains(where, "MAJO") || strings.Contains(where, "1585") {
		t.Errorf("her code is in the address %q", where)
	}
	st, page := coord.get(t, where)
	if st != http.StatusOK {
		t.Fatalf("her page: %d\n%s\n%s", st, page, ts.Logs.String()[max(0, len(ts.Logs.String())-3000):])
	}
	for _, id := range hers {
		if ref := ts.storedCase(t, id).Ref; !strings.Contains(page, `data-ref="`+ref+`"`) {
			t.Errorf("her case %s is not on her page", ref)
		}
	}
	if ref := ts.storedCase(t, other).Ref; strings.Contains(page, ref) {
		t.Errorf("another survivor's case %s is on her page", ref)
	}
	if n := strings.Count(page, `data-ref="`); n != 3 {
		t.Errorf("her page lists %d cases, want 3", n)
	}

	st, summary := coord.get(t, where+"/summary")
	if st != http.StatusOK || !strings.Contains(summary, "La Victoria") || !strings.Contains(summary, "Fue detenida en la vía pública sin motivo.") {
		t.Errorf("what is kept: %d\n%s", st, summary)
	}
	for _, name := range []string{"rosa", "cal.coord", "u-outreach"} {
		if strings.Contains(summary, ">"+name) || strings.Contains(summary, " "+name+" ") {
			t.Errorf("the summary names the account %s", name)
		}
	}

	res, _ = coord.post(t, where+"/consent", url.Values{"statistics": {"withdraw"}, "legal_sharing": {"keep"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?changed=3") {
		t.Fatalf("withdraw statistics: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, id := range hers {
		if k := ts.storedCase(t, id); k.Consent.Statistics || !k.Consent.LegalSharing {
			t.Errorf("case %s after the withdrawal: %+v", k.Ref, k.Consent)
		}
	}
	if ts.storedCase(t, other).Consent.Statistics != true {
		t.Error("another survivor's consent changed")
	}
	if res, _ := coord.post(t, where+"/consent", url.Values{"statistics": {"maybe"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown consent choice: %d, want 422", res.StatusCode)
	}

	if st, body := coord.get(t, where+"/erase"); st != http.StatusOK || strings.Count(body, "<li>") < 3 {
		t.Errorf("erase page: %d", st)
	}
	if res, body := coord.post(t, where+"/erase", url.Values{"confirm": {"si"}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Escriba BORRAR") {
		t.Errorf("erase without the word: %d", res.StatusCode)
	}
	res, _ = coord.post(t, where+"/erase", url.Values{"confirm": {"borrar"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?erased=3") {
		t.Fatalf("erase: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if st, page := coord.get(t, where); st != http.StatusOK || !strings.Contains(page, `id="rights-none"`) {
		t.Errorf("her page after the erasure: %d", st)
	}
	if ts.storedCase(t, other).Ref == "" {
		t.Error("another survivor's case went with hers")
	}
	for _, action := range []string{"subject.lookup", "subject.see", "subject.consent", "subject.erase"} {
		if len(auditEntries(t, ts, "LIM", action)) == 0 {
			t.Errorf("no %s entry in the access log", action)
		}
	}
	for _, secret := range []string{"MAJO1585", "Má", "MA JO"} {
		if strings.Contains(ts.Logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
