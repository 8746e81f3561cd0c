package browser

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The attacker's own account, in an organization of her own, and her password: it
// holds "=", which lets a text/plain form spell a JSON body (the form's one field is
// named `{"username":"atacante","password":"atk` and its value is the rest).
const (
	attackerOrg      = "ATK"
	attackerUser     = "atacante"
	attackerPassword = "atk=Trampa-Lima-2026-q7"
	attackerAuditor  = "atk.auditoria"
	auditorPassword  = "Auditoria-ATK-2026-z3"
)

// TestCrossSiteSignIn: a page on another site (localhost, while Registro is on
// 127.0.0.1: another site for the browser) tries to sign a real Chromium into the
// attacker's account, (a) through the API with a text/plain form whose body is the
// sign-in JSON, and (b) through the sign-in form itself, with a valid form token whose
// cookie the attacker planted in the browser beforehand (as a page on a sibling domain
// could), so that only the site check can stop it. Afterwards the browser has no
// Registro session, and the access log of the attacker's organization holds no
// successful sign-in; then the same two requests, sent as Registro's own pages and
// API clients send them, do sign in and are logged, so the attacks were real.
func TestCrossSiteSignIn(t *testing.T) {
	chromium := findChromium(t)
	srv := startRegistro(t, buildRegistro(t))
	atkID, auditorToken := setUpAttacker(t, srv)
	// The attacker's own first sign-in (choosing her password) is in the log already.
	before := signIns(t, srv.base, auditorToken, atkID)

	// The attacker's sign-in form token and its cookie, fetched from Registro by her
	// own server.
	preToken := signInFormToken(t, srv.base)

	jsonHead := `{"username":"` + attackerUser + `","password":"`
	name, value, _ := strings.Cut(jsonHead+attackerPassword+`"}`, "=")
	textBody := name + "=" + value + "\r\n" // what the browser sends for the text/plain form
	forms := map[string]attackForm{
		"/api": {Action: srv.base + "/api/v1/login", Enctype: "text/plain",
			Fields: []struct{ Name, Value string }{{name, value}}},
		"/pages": {Action: srv.base + "/login",
			Fields: []struct{ Name, Value string }{{"username", attackerUser}, {"password", attackerPassword}, {"csrf_token", preToken}}},
	}
	attacker := attackerSite(t, forms)

	// The worker's browser: the attacks run in one tab, and Registro is checked in
	// another, fresh one (the same browser, so the same cookies).
	ctx := startChromium(t, chromium)
	tb := newTab(t, ctx, srv.base)
	lureCtx, closeLure := chromedp.NewContext(ctx)
	defer closeLure()
	lure := newTab(t, lureCtx, srv.base)
	docs := watchDocuments(t, lureCtx)
	plantCookie(t, ctx, srv.base, preToken)

	for _, step := range []struct {
		name, page, lands string
		want              int
	}{
		{"a_text_plain_to_api", "/api", "/api/v1/login", http.StatusUnsupportedMediaType},
		{"b_form_to_sign_in", "/pages", "/login", http.StatusForbidden},
	} {
		t.Run(step.name, func(t *testing.T) {
			got := docs.land(t, lure, attacker+step.page, srv.base+step.lands)
			if got != step.want {
				t.Errorf("the attacker's form to %s answered %d, want %d; page says: %s", step.lands, got, step.want, lure.summary(t))
			}
		})
	}

	t.Run("no_session", func(t *testing.T) {
		tb.open(t, "/", 200)
		if p := tb.path(t); p != "/login" {
			t.Errorf("after the attacks, / shows %s, want the sign-in page", p)
		}
		for _, c := range cookies(t, ctx) {
			if c.Name == "__Host-registro" || c.Name == "registro" {
				t.Errorf("the browser holds a session cookie %s for %s", c.Name, c.Domain)
			}
		}
		if n := signIns(t, srv.base, auditorToken, atkID) - before; n != 0 {
			t.Errorf("the access log holds %d new successful sign-ins of %s, want none", n, attackerUser)
		}
	})

	t.Run("controls_sign_in", func(t *testing.T) {
		// (a) The very body the form sent, as JSON: the media type alone stopped it.
		st, body := apiCall(t, srv.base, http.MethodPost, "/api/v1/login", "", []byte(textBody))
		if st != http.StatusOK {
			t.Errorf("the attack's body sent as JSON: %d %v, want 200", st, body)
		}
		// (b) The planted form token and cookie, from no other site: the site check
		// alone stopped it.
		form := url.Values{"username": {attackerUser}, "password": {attackerPassword}, "csrf_token": {preToken}}
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "registro_pre", Value: preToken})
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the attack's form from no other site: %d, want 303", resp.StatusCode)
		}
		if n := signIns(t, srv.base, auditorToken, atkID) - before; n != 2 {
			t.Errorf("the access log holds %d new successful sign-ins of %s after the two controls, want 2", n, attackerUser)
		}
	})
}

// setUpAttacker creates, as the admin over the API, the attacker's organization, her
// account and an auditor of that organization who can read its access log. It returns
// the attacker's id and the auditor's token.
func setUpAttacker(t *testing.T, srv *registro) (atkID, auditorToken string) {
	t.Helper()
	admin := apiOwnPassword(t, srv.base, "admin", srv.adminPassword, "la frase propia de la administradora")
	mustAPI := func(path string, in any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(in)
		st, out := apiCall(t, srv.base, http.MethodPost, path, admin, b)
		if st != http.StatusCreated {
			t.Fatalf("POST %s: %d %v", path, st, out)
		}
		return out
	}
	mustAPI("/api/v1/orgs", map[string]string{"code": attackerOrg, "name": "Organización del atacante"})
	u := mustAPI("/api/v1/users", map[string]string{"username": attackerUser, "role": "coordinator", "org": attackerOrg, "password": "given " + attackerPassword})
	mustAPI("/api/v1/users", map[string]string{"username": attackerAuditor, "role": "auditor", "org": attackerOrg, "password": "given " + auditorPassword})
	user, _ := u["user"].(map[string]any)
	atkID, _ = user["id"].(string)
	if atkID == "" {
		t.Fatalf("no id for %s in %v", attackerUser, u)
	}
	// Both choose their own passwords first, as every account does.
	apiOwnPassword(t, srv.base, attackerUser, "given "+attackerPassword, attackerPassword)
	return atkID, apiOwnPassword(t, srv.base, attackerAuditor, "given "+auditorPassword, auditorPassword)
}
