package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// alertValidity is how long an approved alert shows in this test's installation
// (REGISTRO_ALERT_VALIDITY): long enough for the story, short enough to see it expire.
const alertValidity = 30 * time.Second

// TestAlertsInBrowser: a worker proposes an alert from her case (the form starts with
// the case's kind of aggressor and district, warns about a phone number in the text,
// and takes it once she confirms); the coordinator approves it, marking the plate
// internal; a second worker sees it on her home page and copies the text for WhatsApp,
// which holds neither the plate nor anything of the case; when its validity ends it is
// gone from her home page.
func TestAlertsInBrowser(t *testing.T) {
	s, tb := coordinatorSignedIn(t, "REGISTRO_ALERT_VALIDITY="+alertValidity.String())
	for _, a := range []struct{ user, role string }{{"rosa", "outreach"}, {"lucia", "outreach"}} {
		s.createAccount(t, a.user, a.role)
	}
	s.signOut(t)

	// Rosa records a case, then proposes an alert from it.
	s.signIn(t, "rosa")
	token := apiSignIn(t, s.srv.base, "rosa", s.passwords["rosa"])
	b, _ := json.Marshal(map[string]any{
		"uic":          "MAJO1585",
		"incident":     map[string]string{"date": time.Now().AddDate(0, 0, -3).Format(time.DateOnly), "date_precision": "day", "district": "150115", "place": "hotel"},
		"perpetrators": []string{"client"},
		"violations":   []string{"physical", "robbery"},
		"consent":      map[string]bool{"record": true, "statistics": true, "contact": true},
		"contact":      "987 654 321",
		"narrative":    "Un cliente del hostal Los Pinos la golpeó y le quitó el dinero.",
		"response":     map[string]any{"reported_to": []string{"none"}, "status": "open"},
	})
	st, k := apiCall(t, s.srv.base, http.MethodPost, "/api/v1/cases", token, b)
	if st != http.StatusCreated {
		t.Fatalf("record the case: %d %v", st, k)
	}
	caseID, ref := k["id"].(string), k["ref"].(string)
	tb.open(t, "/cases/"+caseID, 200)
	tb.follow(t, "propose an alert from the case", chromedp.Click(chromedp.CSS(`#case-alert`)), 200)
	if got := eval[string](t, tb, `document.querySelector("#f-alert_aggressor").value + " " + document.querySelector("#f-alert_district").value`); got != "client 150115" {
		t.Errorf("the form starts with %q, want the case's client 150115", got)
	}
	f := func(name, value string) { t.Helper(); tb.fillIn(t, "form#alert-form", name, value) }
	f("hours", "night")
	f("vehicle", "Station wagon plomo")
	f("plate", "BXK-4")
	f("physical", "alto, gorra roja, tatuaje en la mano")
	f("behaviour", "Ofrece pagar más, la lleva al hostal y la golpea. Llama desde el 912 345 678.")
	f("advice", "No subir a su auto; avisar a las compañeras.")
	tb.w.expect(s.srv.base + "/alerts/new") // 422, on purpose
	tb.follow(t, "send the proposal", chromedp.Click(chromedp.CSS(`#alert-submit`)), 422)
	if !tb.exists(t, "#alert-warning") || !strings.Contains(tb.text(t, "#problems"), "teléfono") {
		t.Fatalf("a phone number in the text is not warned about; page says: %s", tb.summary(t))
	}
	if got := eval[string](t, tb, `document.querySelector("#f-alert_physical").value`); got != "alto, gorra roja, tatuaje en la mano" {
		t.Errorf("the answers are not kept: %q", got)
	}
	f("behaviour", "Ofrece pagar más, la lleva al hostal y la golpea.")
	f("checked", "yes")
	tb.follow(t, "send it again, checked", chromedp.Click(chromedp.CSS(`#alert-submit`)), 200)
	if p := tb.path(t); p != "/alerts" || !strings.Contains(tb.text(t, "main"), "La propuesta se envió") {
		t.Fatalf("after proposing: %s, %s", p, tb.summary(t))
	}
	tb.shot(t, "50-alert-proposed")
	axe := axeSource(t)
	checkAxe(t, tb, axe, "the alerts page")
	s.signOut(t)

	// Lucía sees nothing yet.
	s.signIn(t, "lucia")
	if tb.exists(t, "#home-alerts article") {
		t.Fatal("another worker sees the alert before a coordinator approved it")
	}
	s.signOut(t)

	// The coordinator marks the plate internal and approves.
	s.signIn(t, "coord")
	tb.follow(t, "open the alerts", chromedp.Click(chromedp.CSS(`nav a[href="/alerts"]`)), 200)
	tb.follow(t, "open the proposal", chromedp.Click(chromedp.CSS(`#alerts-proposals article a[href^="/alerts/"]`)), 200)
	checkAxe(t, tb, axe, "an alert's page")
	tb.follow(t, "correct it", chromedp.Click(chromedp.CSS(`#alert-edit`)), 200)
	checkAxe(t, tb, axe, "the alert form")
	tb.tick(t, "form#alert-form", "internal", "plate")
	tb.follow(t, "save", chromedp.Click(chromedp.CSS(`#alert-submit`)), 200)
	tb.follow(t, "approve", chromedp.Click(chromedp.CSS(`#alert-approve`)), 200)
	approved := time.Now()
	if !strings.Contains(tb.text(t, "main"), "La alerta se publicó") {
		t.Fatalf("after approving: %s", tb.summary(t))
	}
	s.signOut(t)

	// Lucía sees it on her home page and copies it for WhatsApp.
	s.signIn(t, "lucia")
	if !tb.exists(t, "#home-alerts article") || !strings.Contains(tb.text(t, "#home-alerts"), "Station wagon plomo") {
		t.Fatalf("the approved alert is not on the second worker's home page: %s", tb.summary(t))
	}
	tb.shot(t, "51-alert-home")
	checkAxe(t, tb, axe, "the home page with an alert")
	if _, err := chromedp.Call(tb.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "clipboard-read"}, Setting: browser.PermissionSettingGranted, Origin: s.srv.base}); err != nil {
		t.Fatalf("let the test read the clipboard: %v", err)
	}
	tb.do(t, "open the text for WhatsApp", chromedp.Click(chromedp.CSS(`#home-alerts .alert-copy summary`)))
	tb.do(t, "copy it", chromedp.Click(chromedp.CSS(`#home-alerts button.copy-text`)))
	tb.waitFor(t, "the copy is confirmed", `(document.querySelector("#home-alerts .copy-status") || {}).textContent === "Copiado. Péguelo en WhatsApp."`)
	copied := eval[string](t, tb, `navigator.clipboard.readText()`)
	for _, want := range []string{"ALERTA", "Station wagon plomo", "gorra roja", "No subir a su auto"} {
		if !strings.Contains(copied, want) {
			t.Errorf("the copied text lacks %q: %q", want, copied)
		}
	}
	for _, leak := range []string{"BXK-4", "MAJO1585", ref, caseID, "987", "Los Pinos", "rosa"} {
		if strings.Contains(copied, leak) {
			t.Errorf("the copied text holds %q: %q", leak, copied)
		}
	}

	// It leaves her home page when its validity ends.
	time.Sleep(time.Until(approved.Add(alertValidity + time.Second)))
	tb.open(t, "/", 200)
	if tb.exists(t, "#home-alerts article") {
		t.Errorf("the alert is still on the home page %s after approval", time.Since(approved).Round(time.Second))
	}
	if !tb.exists(t, "#alerts-none") {
		t.Errorf("the home page does not say there are no current alerts: %s", tb.summary(t))
	}
}
