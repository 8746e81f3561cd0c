package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var casesVersionField = regexp.MustCompile(`name="version" value="([0-9]+)"`)

// TestPagesCasesFollowupAndEdit: a coordinator adds a follow-up to a worker's case,
// and closes it, which needs an outcome; a stale form is refused with 409.
func TestPagesCasesFollowupAndEdit(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := fx.signIn(t, "coordina")
	detail := "/cases/" + fx.theirs

	b.get(t, detail)
	res, body := b.post(t, detail+"/followups", url.Values{"note": {"Se acompañó a la comisaría."}, "date": {""}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != detail+"?done=followup#followups" {
		t.Fatalf("follow-up: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	st, body := b.get(t, detail+"?done=followup")
	wantPage(t, "detail after the follow-up", st, body, http.StatusOK, "Se guardó el seguimiento.",
		"Se acompañó a la comisaría.", "coordina · coordinadora", "En seguimiento")

	res, body = b.post(t, detail+"/followups", url.Values{"note": {""}, "date": {"2020-13-45"}})
	wantPage(t, "empty follow-up", res.StatusCode, body, http.StatusUnprocessableEntity, "Revise estos datos",
		`href="#f-case_note"`, "Este dato es obligatorio.", `id="f-case_note"`, `value="2020-13-45"`)
	if n := len(ts.storedCase(t, fx.theirs).Followups); n != 1 {
		t.Errorf("follow-ups stored: %d, want 1", n)
	}

	st, body = b.get(t, detail+"/edit")
	wantPage(t, "edit form", st, body, http.StatusOK, `id="edit"`, `name="status" value="in_follow_up" checked`,
		"se quita de inmediato el acceso")
	m := casesVersionField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("edit form has no version")
	}
	form := url.Values{"version": {m[1]}, "status": {"closed"}, "outcome": {""}, "reported_to": {"police"},
		"referrals": {"legal", "health"}, "consent_statistics": {"yes"}, "consent_legal_sharing": {"yes"}, "consent_contact": {"no"}}
	res, body = b.post(t, detail+"/edit", form)
	wantPage(t, "closing without an outcome", res.StatusCode, body, http.StatusUnprocessableEntity,
		`href="#f-case_outcome"`, "Para cerrar el caso, elija un resultado.", `name="status" value="closed" checked`,
		`name="referrals" value="health" checked`)
	if k := ts.storedCase(t, fx.theirs); k.Response.Status == "closed" {
		t.Fatal("a rejected form closed the case")
	}

	form.Set("outcome", "resolved")
	res, body = b.post(t, detail+"/edit", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc != detail+"?done=updated" {
		t.Fatalf("closing with an outcome: %d to %q\n%s", res.StatusCode, loc, body)
	}
	k := ts.storedCase(t, fx.theirs)
	if k.Response.Status != "closed" || k.Response.Outcome != "resolved" || strings.Join(k.Response.Referrals, ",") != "legal,health" {
		t.Errorf("stored response %+v", k.Response)
	}
	st, body = b.get(t, loc)
	wantPage(t, "closed case", st, body, http.StatusOK, "Se guardaron los cambios.", "Cerrado", "Resuelto")

	// The same form again carries the version it was opened with: someone changed the case since.
	res, body = b.post(t, detail+"/edit", form)
	wantPage(t, "stale form", res.StatusCode, body, http.StatusConflict, "Otra persona cambió este caso")

	if entries := auditEntries(t, ts, "LIM", "case.update"); len(entries) == 0 || entries[0].Object != fx.theirs {
		t.Errorf("access log case.update: %v", entries)
	}
}

// TestPagesCasesShare: a coordinator shares a case with a legal partner until the end
// of a day in Lima; the partner sees it in her list and in full until the share is
// revoked or runs out.
func TestPagesCasesShare(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	coord := fx.signIn(t, "coordina")
	legal := fx.signIn(t, "abogada")
	share := "/cases/" + fx.mine + "/share"
	lima := time.FixedZone("PET", -5*60*60)
	today := ts.Clock.Now().In(lima)

	st, body := coord.get(t, share)
	wantPage(t, "share page", st, body, http.StatusOK, `id="share"`, `<select id="f-case_user" name="user"`,
		`<option value="abogada"`, `name="expires" value="`+today.AddDate(0, 0, 90).Format(time.DateOnly)+`"`)
	if strings.Contains(body, `value="outreach1"`) || strings.Contains(body, `value="vocera"`) {
		t.Error("the share form offers accounts that are not legal partners")
	}

	until := today.AddDate(0, 0, 10).Format(time.DateOnly)
	res, body := coord.post(t, share, url.Values{"user": {"abogada"}, "expires": {until}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != share+"?done=shared#grants" {
		t.Fatalf("share: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	day, _ := time.ParseInLocation(time.DateOnly, until, lima)
	if g := ts.storedCase(t, fx.mine).Grants; len(g) != 1 || !g[0].ExpiresAt.Equal(day.Add(24*time.Hour-time.Second)) {
		t.Fatalf("stored grants %+v, want one until %s 23:59:59 in Lima", g, until)
	}

	st, body = legal.get(t, "/cases")
	wantPage(t, "legal list", st, body, http.StatusOK, "Casos compartidos conmigo")
	if !casesListed(body, fx.mineRef) || casesListed(body, fx.theirsRef) {
		t.Errorf("legal list: want only %s", fx.mineRef)
	}
	st, body = legal.get(t, "/cases/"+fx.mine)
	wantPage(t, "shared case", st, body, http.StatusOK, "Relato de prueba", `id="followup"`)
	if strings.Contains(body, `id="case-edit"`) || strings.Contains(body, `id="grants"`) {
		t.Error("a legal partner sees the edit link or the shares")
	}
	st, body = legal.get(t, "/cases/"+fx.theirs)
	wantPage(t, "unshared case", st, body, http.StatusNotFound)

	st, body = coord.get(t, "/cases/"+fx.mine)
	wantPage(t, "detail with a share", st, body, http.StatusOK, `<ul id="grants"`, "abogada",
		`action="/cases/`+fx.mine+`/grants/abogada/revoke"`)
	res, _ = coord.post(t, "/cases/"+fx.mine+"/grants/abogada/revoke", url.Values{"from": {"share"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != share+"?done=revoked#grants" {
		t.Fatalf("revoke: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	st, body = legal.get(t, "/cases/"+fx.mine)
	wantPage(t, "revoked share", st, body, http.StatusNotFound, "No encontrado")
	if _, body = legal.get(t, "/cases"); casesListed(body, fx.mineRef) {
		t.Error("the legal list keeps a revoked case")
	}

	// A share until today ends at midnight in Lima.
	coord.get(t, share)
	if res, body := coord.post(t, share, url.Values{"user": {"abogada"}, "expires": {today.Format(time.DateOnly)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("share until today: %d\n%s", res.StatusCode, body)
	}
	if st, _ := legal.get(t, "/cases/"+fx.mine); st != http.StatusOK {
		t.Fatalf("share until today: legal detail %d, want 200", st)
	}
	ts.Clock.Advance(25 * time.Hour)
	st, body = legal.get(t, "/cases/"+fx.mine)
	wantPage(t, "expired share", st, body, http.StatusNotFound)
	st, body = coord.get(t, share)
	wantPage(t, "share page with an expired share", st, body, http.StatusOK, "Vencido")

	for date, problem := range map[string]string{"mañana": "Use una fecha como", "2020-01-01": "Debe ser una fecha futura."} {
		res, body = coord.post(t, share, url.Values{"user": {"abogada"}, "expires": {date}})
		wantPage(t, "expires "+date, res.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-case_expires"`, problem, `value="`+date+`"`)
	}

	token := ts.login(t, "coordina", passwordOf("coordina"))
	private := ts.mustCreateCase(t, token, func(in map[string]any) { in["consent"].(map[string]any)["legal_sharing"] = false })
	st, body = coord.get(t, "/cases/"+private+"/share")
	wantPage(t, "case without legal-sharing consent", st, body, http.StatusOK, "no aceptó que su caso se comparta")
	if strings.Contains(body, `id="share"`) {
		t.Error("the share form is offered without the survivor's consent")
	}
}

// TestPagesCasesErase: erasing needs the typed reference; then the case is gone and
// the list says so.
func TestPagesCasesErase(t *testing.T) {
	t.Parallel()
	fx := newCasesFixture(t)
	ts := fx.ts
	b := fx.signIn(t, "coordina")
	erase := "/cases/" + fx.theirs + "/erase"
	st, body := b.get(t, erase)
	wantPage(t, "erase page", st, body, http.StatusOK, "Borrar es para siempre", fx.theirsRef, `name="ref"`)

	res, body := b.post(t, erase, url.Values{"ref": {"LIM-1999-00001"}})
	wantPage(t, "wrong reference", res.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-case_ref"`,
		"La referencia no coincide", `value="LIM-1999-00001"`)
	ts.storedCase(t, fx.theirs)

	res, body = b.post(t, erase, url.Values{"ref": {" " + strings.ToLower(fx.theirsRef) + " "}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc != "/cases?erased="+fx.theirsRef {
		t.Fatalf("erase: %d to %q\n%s", res.StatusCode, loc, body)
	}
	st, body = b.get(t, loc)
	wantPage(t, "list after erasure", st, body, http.StatusOK, "El caso "+fx.theirsRef+" se borró para siempre.")
	if casesListed(body, fx.theirsRef) || !casesListed(body, fx.mineRef) {
		t.Error("the list after erasure is wrong")
	}
	st, body = b.get(t, "/cases/"+fx.theirs)
	wantPage(t, "erased case", st, body, http.StatusNotFound)
	if e := auditEntries(t, ts, "LIM", "case.erase"); len(e) != 1 || e[0].Object != fx.theirs || e[0].Outcome != "ok" {
		t.Errorf("access log case.erase: %+v", e)
	}
	if _, body = b.get(t, "/cases?erased=<b>hola</b>"); strings.Contains(body, "hola") {
		t.Error("the erasure notice echoes text that is not a reference")
	}
}
