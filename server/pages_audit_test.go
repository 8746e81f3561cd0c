package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/accounts"
	"registro/audit"
)

// TestPagesAudit: the auditor reads the log in plain Spanish, filters it by action and
// Lima day, pages back, and the chain check says intact, then broken once an entry
// is edited in the database.
func TestPagesAudit(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coordToken := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	ts.mustUser(t, "LIM", "auditora", accounts.RoleAuditor)
	id := ts.mustCreateCase(t, coordToken, nil)
	w := ts.signedIn(t, "auditora", passwordOf("auditora"))

	resp, body := w.fetch(t, "/audit")
	wantPage(t, "audit", resp.StatusCode, body, http.StatusOK, `<form id="verify"`)
	table := wsElement(body, `<table id="audit"`, "</table>")
	for _, s := range []string{"Ingreso al sistema", "Registrar un caso", "Hecho", "coordina", `title="` + id + `"`, id[:8] + "…"} {
		if !strings.Contains(table, s) {
			t.Errorf("the log table lacks %q", s)
		}
	}

	// The anchor line: one that `registro audit verify --anchor` accepts, naming the
	// chain's head as it stood once the page's own access was logged.
	el := wsElement(body, `<code id="anchor-line">`, "</code>")
	line := html.UnescapeString(strings.TrimSuffix(strings.TrimPrefix(el, `<code id="anchor-line">`), "</code>"))
	parsed, err := audit.ParseAnchor(line)
	if err != nil {
		t.Fatalf("the page's anchor line %q: %v", line, err)
	}
	head, err := ts.Audit.Anchor(context.Background(), "LIM")
	if err != nil || parsed != head || line != head.String() {
		t.Errorf("the page's anchor %q, the log's %q (%v)", line, head, err)
	}
	if err := ts.Audit.Extends(context.Background(), parsed); err != nil {
		t.Errorf("the log does not extend the page's anchor: %v", err)
	}
	for _, s := range []string{"Copie esta línea y guárdela fuera de la instalación", `registro audit verify --anchor "LÍNEA"`} {
		if !strings.Contains(wsElement(body, `<section id="anchor"`, "</section>"), s) {
			t.Errorf("the anchor section lacks %q", s)
		}
	}

	_, body = w.get(t, "/audit?action=case.create")
	table = wsElement(body, `<table id="audit"`, "</table>")
	if !strings.Contains(table, "Registrar un caso") || strings.Contains(table, "Ingreso al sistema") {
		t.Errorf("filter by action:\n%s", table)
	}
	today := ts.Clock.Now().In(time.FixedZone("PET", -5*3600))
	_, body = w.get(t, "/audit?from="+today.Format(time.DateOnly)+"&to="+today.Format(time.DateOnly))
	if !strings.Contains(body, "Registrar un caso") {
		t.Errorf("today in Lima does not hold today's entries")
	}
	_, body = w.get(t, "/audit?from="+today.AddDate(0, 0, 1).Format(time.DateOnly))
	if !strings.Contains(body, "No hay registros con estos filtros") {
		t.Errorf("tomorrow in Lima holds entries")
	}
	resp, body = w.fetch(t, "/audit?to=2026-13-45")
	wantPage(t, "bad date", resp.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-to"`, "Use una fecha como 2026-05-14")

	for i := range 60 { // enough for a second page
		if _, err := ts.Audit.Append(context.Background(), audit.Entry{Org: "LIM", Action: "case.list",
			Outcome: "ok", Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, body = w.get(t, "/audit")
	older := wsAttrByText(t, body, "Ver registros más antiguos")
	resp, body = w.fetch(t, older)
	wantPage(t, "older page", resp.StatusCode, body, http.StatusOK, "Registrar un caso")

	resp, body = w.post(t, "/audit/verify", url.Values{})
	wantPage(t, "verify", resp.StatusCode, body, http.StatusOK, `id="verify-result"`, "La cadena está intacta", "Se revisaron")
	if _, err := ts.DB.Collection("audit").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "LIM:000000000002"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "detail", Value: "forged"}}}}); err != nil {
		t.Fatal(err)
	}
	resp, body = w.post(t, "/audit/verify", url.Values{})
	wantPage(t, "verify tampered", resp.StatusCode, body, http.StatusOK, "La cadena está rota", "registro número 2",
		"fue cambiado después de guardarse")
	resp, body = w.post(t, "/audit/verify", url.Values{"csrf_token": {"not-the-token"}})
	wantPage(t, "verify without CSRF", resp.StatusCode, body, http.StatusForbidden)
	w.post(t, "/lang", url.Values{"lang": {"en"}})
	resp, body = w.post(t, "/audit/verify", url.Values{})
	wantPage(t, "verify in English", resp.StatusCode, body, http.StatusOK, "The chain is broken", "entry number 2")
	// An entry turned back into the unkeyed format of old installations, which anyone
	// with the database could write.
	if _, err := ts.DB.Collection("audit").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "LIM:000000000001"}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "v", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	resp, body = w.post(t, "/audit/verify", url.Values{})
	wantPage(t, "verify unkeyed", resp.StatusCode, body, http.StatusOK, "The chain is broken", "entry number 1",
		"It was stored without the access log&#39;s key")
	resp, body = w.fetch(t, "/audit")
	wantPage(t, "log in English", resp.StatusCode, body, http.StatusOK, "Record a case", "Sign in", "Verify the chain",
		"Copy this line and keep it outside the installation", `<code id="anchor-line">registro-anchor/1 LIM `)

	coord := ts.signedIn(t, "coordina", passwordOf("coordina"))
	resp, body = coord.fetch(t, "/audit")
	wantPage(t, "coordinator on /audit", resp.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")
	resp, body = coord.post(t, "/audit/verify", url.Values{})
	wantPage(t, "coordinator verifies", resp.StatusCode, body, http.StatusForbidden)
	_, body = w.get(t, "/audit?action=audit.read")
	if !strings.Contains(body, "Denied") {
		t.Errorf("the coordinator's refused visit is not in the log as denied")
	}
}

// wsAttrByText is the unescaped href of the link whose text is text.
func wsAttrByText(tb testing.TB, body, text string) string {
	tb.Helper()
	i := strings.Index(body, ">"+text+"</a>")
	if i < 0 {
		tb.Fatalf("no link %q", text)
	}
	j := strings.LastIndex(body[:i], `href="`)
	href := body[j+len(`href="`):]
	return strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
}
