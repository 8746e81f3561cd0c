package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"registro/accounts"
	"registro/server"
)

func TestPagesSignInAndOut(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	w := ts.newWebSession(t)

	res, _ := w.fetch(t, "/?from=start")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape("/?from=start") {
		t.Fatalf("signed-out page: %d to %q, want 303 to sign-in", res.StatusCode, res.Header.Get("Location"))
	}
	st, body := w.get(t, "/login?next="+url.QueryEscape("/cases?status=open"))
	if st != 200 || !strings.Contains(body, "Ingresar") || !strings.Contains(body, `lang="es"`) {
		t.Fatalf("sign-in page: %d\n%s", st, body)
	}
	// A form without the token of its own cookie is refused: no login CSRF.
	res, body = w.post(t, "/login", url.Values{"username": {"rosa"}, "password": {passwordOf("rosa")}, "csrf_token": {"forged"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "El formulario venció") {
		t.Fatalf("forged sign-in form: %d", res.StatusCode)
	}
	w.get(t, "/login")
	res, body = w.post(t, "/login", url.Values{"username": {"rosa"}, "password": {"wrong password"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "El usuario o la contraseña no son correctos") {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if strings.Contains(body, "wrong password") {
		t.Error("the password typed is shown back")
	}
	res, _ = w.post(t, "/login", url.Values{"username": {"rosa"}, "password": {passwordOf("rosa")}, "next": {"/cases?status=open"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/cases?status=open" {
		t.Fatalf("sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	st, body = w.get(t, "/")
	if st != 200 || !strings.Contains(body, "Hola, rosa") || !strings.Contains(body, `href="/cases/new"`) {
		t.Fatalf("home: %d\n%s", st, body)
	}
	if strings.Contains(body, `href="/stats"`) || strings.Contains(body, `href="/audit"`) {
		t.Error("an outreach worker's home links to pages her role may not use")
	}
	// Signing out needs the CSRF token too, then ends the session.
	res, _ = w.post(t, "/logout", url.Values{"csrf_token": {"nope"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out without token: %d, want 403", res.StatusCode)
	}
	res, _ = w.post(t, "/logout", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?bye=1" {
		t.Fatalf("sign-out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = w.get(t, "/login?bye=1")
	if !strings.Contains(body, "data-clear-drafts") {
		t.Error("the signed-out page does not clear the drafts")
	}
	if st, _ := w.get(t, "/"); st != http.StatusSeeOther {
		t.Fatalf("home after sign-out: %d, want 303", st)
	}
	entries := map[string]bool{} // the access log as a set of "action:outcome"
	for _, e := range auditEntries(t, ts, "LIM", "") {
		entries[e.Action+":"+e.Outcome] = true
	}
	for _, want := range []string{"login:failed", "login:ok", "logout:ok"} {
		if !entries[want] {
			t.Errorf("access log lacks %s: %v", want, entries)
		}
	}
}

// TestPagesNextStaysOnSite signs in with every kind of destination, sent in the form
// as the sign-in page would carry it: the Location header the browser gets is a path
// of this site, whatever the form held.
func TestPagesNextStaysOnSite(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	for _, tc := range []struct{ next, want string }{
		{"/cases?status=open", "/cases?status=open"},
		{"/cases/0190a6b2-7c1d-7e3f-9a4b-5c6d7e8f9a0b", "/cases/0190a6b2-7c1d-7e3f-9a4b-5c6d7e8f9a0b"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{`/\evil.example`, "/"},
		{`/./\evil.example`, "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/\tevil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
	} {
		w := ts.newWebSession(t)
		w.get(t, "/login")
		res, _ := w.post(t, "/login", url.Values{"username": {"rosa"}, "password": {passwordOf("rosa")}, "next": {tc.next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", tc.next, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
	}
	// The sign-in page carries only a destination it would follow.
	w := ts.newWebSession(t)
	if _, body := w.get(t, "/login?next="+url.QueryEscape(`/./\evil.example`)); !strings.Contains(body, `name="next" value=""`) {
		t.Error(`the sign-in page carries next=/./\evil.example on to its form`)
	}
}

func TestPagesLanguage(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	w := ts.newWebSession(t)
	if _, body := w.get(t, "/login?lang=en"); !strings.Contains(body, "Sign in") || !strings.Contains(body, `lang="en"`) {
		t.Fatalf("?lang=en does not switch the sign-in page:\n%s", body)
	}
	if _, body := w.get(t, "/login"); !strings.Contains(body, "Sign in") {
		t.Error("the language chosen before signing in is not kept")
	}
	w2 := ts.newWebSession(t)
	w2.signIn(t, "rosa", passwordOf("rosa"))
	if _, body := w2.get(t, "/"); !strings.Contains(body, "Hola, rosa") {
		t.Fatal("the default language is not Spanish")
	}
	res, _ := w2.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch to English: %d", res.StatusCode)
	}
	// The choice is kept in the account: another browser signing in gets English.
	w3 := ts.newWebSession(t)
	w3.signIn(t, "rosa", passwordOf("rosa"))
	if _, body := w3.get(t, "/"); !strings.Contains(body, "Hello, rosa") || !strings.Contains(body, "Record an incident") {
		t.Fatalf("English not remembered in the account:\n%s", body)
	}
	if res, _ := w3.post(t, "/lang", url.Values{"lang": {"fr"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown language: %d, want 400", res.StatusCode)
	}
	if u, _ := ts.Accounts.User(context.Background(), "rosa"); u.Lang != "en" {
		t.Errorf("account lang = %q, want en", u.Lang)
	}
}

func TestPagesErrorsInTheReadersLanguage(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, es := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	res, body := es.fetch(t, "/no/such/page")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "No encontrado") {
		t.Fatalf("unknown page: %d\n%s", res.StatusCode, body)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("error page content type %q", res.Header.Get("Content-Type"))
	}
	// The API keeps its JSON errors.
	st, apiBody := ts.do(t, http.MethodGet, "/api/v1/nothing", "", nil)
	wantError(t, st, apiBody, http.StatusNotFound, "not_found")
	if res2, _ := es.send(t, http.MethodDelete, "/login", nil); res2.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /login: %d, want 405", res2.StatusCode)
	}
	// A signed-in English reader gets English error pages.
	_, en := ts.webUser(t, "LIM", "ana", accounts.RoleOutreach)
	en.post(t, "/lang", url.Values{"lang": {"en"}})
	if st, body := en.get(t, "/no/such/page"); st != 404 || !strings.Contains(body, "Not found") {
		t.Errorf("English 404: %d", st)
	}
}

func TestPagesHeadersAndAssets(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	res, body := w.fetch(t, "/")
	for h, want := range map[string]string{
		"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY",
	} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(body) ||
		regexp.MustCompile(` on[a-z]+="| style="`).MatchString(body) {
		t.Error("the page has inline script or style, which the CSP forbids")
	}
	// Assets: hashed names, cached for a year, gzipped on request.
	assets := regexp.MustCompile(`(?:href|src)="(/static/[^"#]+)`).FindAllStringSubmatch(body, -1)
	if len(assets) < 3 {
		t.Fatalf("the page links %d assets, want the stylesheet, the script and the icons", len(assets))
	}
	total := w.gzipSize(t, "/")
	for _, a := range assets {
		req := mustRequest(t, http.MethodGet, ts.URL+a[1])
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, Cache-Control %q", a[1], res.StatusCode, res.Header.Get("Cache-Control"))
		}
		total += int(n)
	}
	if total > 100<<10 {
		t.Errorf("home page with its assets is %d bytes compressed, over 100 KB", total)
	}
	if st, _ := w.get(t, "/static/app.0000.css"); st != http.StatusNotFound {
		t.Errorf("unknown asset: %d", st)
	}
}

// TestHSTSOnlyOverTLS sends Strict-Transport-Security only when the browser came over
// HTTPS: through a trusted proxy that says so, never on anyone else's word.
func TestHSTSOnlyOverTLS(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name    string
		proxies []string
		proto   string
		want    bool
	}{
		{"PlainHTTP", nil, "", false},
		{"UntrustedHeader", nil, "https", false},
		{"TrustedProxyHTTPS", []string{"127.0.0.1"}, "https", true},
		{"TrustedCIDRHTTPS", []string{"127.0.0.0/8"}, "https", true},
		{"TrustedProxyHTTP", []string{"127.0.0.1"}, "http", false},
		{"OtherProxy", []string{"10.0.0.1"}, "https", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ts.variant(t, func(d *server.Deps) { d.TrustedProxies = tc.proxies })
			req := mustRequest(t, http.MethodGet, v.URL+"/login")
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Strict-Transport-Security") != ""; got != tc.want {
				t.Errorf("HSTS sent = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPagesExpiredSessionKeepsTheWay: a form sent after the session ended gets a
// sign-in page in the reader's language that leads back to the form, whose draft the
// browser still holds.
func TestPagesExpiredSessionKeepsTheWay(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	st, _ := w.get(t, "/cases/new")
	if st != http.StatusOK {
		t.Fatalf("record form: %d", st)
	}
	// Another tab signs out: this one's session is gone.
	other := ts.newWebSession(t)
	other.client.Jar = w.client.Jar
	other.csrf = w.csrf
	if res, _ := other.post(t, "/logout", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	res, body := w.post(t, "/cases/new", url.Values{"narrative": {"texto"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("form after the session ended: %d, want 401", res.StatusCode)
	}
	for _, want := range []string{`href="/login?next=%2fcases%2fnew"`, "su borrador sigue guardado"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
}
