package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"registro/accounts"
	"registro/server"
)

// loginsOf counts the access-log entries of org that record a successful sign-in of u.
func loginsOf(tb testing.TB, ts *testServer, u accounts.User) int {
	tb.Helper()
	n := 0
	for _, e := range auditEntries(tb, ts, u.Org, "login") {
		if e.Object == u.ID && e.Outcome == "ok" {
			n++
		}
	}
	return n
}

// TestAPIBodiesMustBeJSON: the attacker holds her own account's password and a page
// on another site, whose form can send a body as text/plain, form-encoded or
// multipart, never as JSON without a preflight. Every such body is refused with 415
// before anything happens: no session, no cookie, no case, no sign-in in the log.
// The same body as JSON goes through, so the media type alone made the difference.
func TestAPIBodiesMustBeJSON(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	atk := ts.mustUser(t, "LIM", "atacante", accounts.RoleOutreach)
	_, token := ts.mustUserToken(t, "LIM", "rosa", accounts.RoleOutreach)
	creds := `{"username":"atacante","password":"` + passwordOf("atacante") + `"}`
	caseBody := ts.caseInput(nil)
	id := ts.mustCreateCase(t, token, nil)

	for _, tc := range []struct {
		name, method, path, token, ctype string
		body                             any
	}{
		{"LoginTextPlain", "POST", "/api/v1/login", "", "text/plain", creds},
		{"LoginTextPlainCharset", "POST", "/api/v1/login", "", "text/plain; charset=utf-8", creds},
		{"LoginForm", "POST", "/api/v1/login", "", "application/x-www-form-urlencoded", "username=atacante&password=" + passwordOf("atacante")},
		{"LoginMultipart", "POST", "/api/v1/login", "", "multipart/form-data; boundary=x", "--x\r\n\r\n" + creds + "\r\n--x--\r\n"},
		{"LoginNoType", "POST", "/api/v1/login", "", "", creds},
		{"LoginJSONLookalike", "POST", "/api/v1/login", "", "application/jsonx", creds},
		{"CreateCaseTextPlain", "POST", "/api/v1/cases", token, "text/plain", caseBody},
		{"PatchCaseForm", "PATCH", "/api/v1/cases/" + id, token, "application/x-www-form-urlencoded", map[string]any{"version": 1, "narrative": "cambiada"}},
		{"EraseCaseWithTextBody", "DELETE", "/api/v1/cases/" + id, token, "text/plain", "borrar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := http.Header{"Content-Type": {tc.ctype}}
			if tc.ctype == "" {
				header = http.Header{"Content-Type": nil}
			}
			resp, raw := mustSend(t, ts, request{method: tc.method, path: tc.path, token: tc.token, body: tc.body, header: header})
			wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusUnsupportedMediaType, "unsupported_media_type")
			if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("the refusal sets cookies %v", sc)
			}
		})
	}
	if n := loginsOf(t, ts, atk); n != 0 {
		t.Errorf("the refused sign-ins left %d successful sign-ins of atacante in the log", n)
	}
	if _, ids := ts.listIDs(t, token); len(ids) != 1 {
		t.Errorf("the refused requests changed the cases: %v, want only %s", ids, id)
	}
	if k := ts.storedCase(t, id); k.Version != 1 {
		t.Errorf("the refused patch changed the case: version %d", k.Version)
	}

	// JSON, with parameters or without, is what the API takes.
	for _, ctype := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/login", body: creds, header: http.Header{"Content-Type": {ctype}}})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("sign-in as %s: %d %s", ctype, resp.StatusCode, raw)
		}
	}
	if n := loginsOf(t, ts, atk); n != 3 {
		t.Errorf("%d successful sign-ins of atacante in the log, want the 3 sent as JSON", n)
	}
	// A POST without a body needs no type, whatever Content-Type it names.
	resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/logout", token: token, header: http.Header{"Content-Type": {"text/plain"}}})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("bodiless sign-out: %d %s", resp.StatusCode, raw)
	}
}

// TestPagesRefuseCrossSite: the attacker holds her own account's password and a page
// on another site that posts the sign-in form, and even a valid pair of sign-in form
// token and cookie (as if she had planted the cookie from a sibling domain), so that
// only the site check stands between her and a browser signed into her account. A
// browser says where a form came from in Sec-Fetch-Site, or else in Origin: from
// another site, the form is refused with 403 and no session; from this one, or with
// neither header, it is taken.
func TestPagesRefuseCrossSite(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	atk := ts.mustUser(t, "LIM", "atacante", accounts.RoleOutreach)
	rosa := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	own := ts.URL // http://127.0.0.1:port, as the browser reached it
	other := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)

	type headers = http.Header
	for _, tc := range []struct {
		name   string
		header headers
		taken  bool
	}{
		{"RefusedFetchCrossSite", headers{"Sec-Fetch-Site": {"cross-site"}}, false},
		{"RefusedFetchSameSite", headers{"Sec-Fetch-Site": {"same-site"}}, false},
		{"RefusedFetchCrossSiteOwnOrigin", headers{"Sec-Fetch-Site": {"cross-site"}, "Origin": {own}}, false},
		{"RefusedOriginOtherSite", headers{"Origin": {"https://evil.example"}}, false},
		{"RefusedOriginOtherPort", headers{"Origin": {other}}, false},
		{"RefusedOriginOtherScheme", headers{"Origin": {strings.Replace(own, "http:", "https:", 1)}}, false},
		{"RefusedOriginNull", headers{"Origin": {"null"}}, false},
		{"TakenFetchSameOrigin", headers{"Sec-Fetch-Site": {"same-origin"}, "Origin": {own}}, true},
		{"TakenFetchNone", headers{"Sec-Fetch-Site": {"none"}}, true},
		{"TakenOriginSame", headers{"Origin": {own}}, true},
		{"TakenNeither", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := atk
			if tc.taken {
				who = rosa
			}
			w := ts.newWebSession(t)
			w.get(t, "/login") // the form's token and its cookie
			before := loginsOf(t, ts, who)
			res, body := w.postWith(t, "/login", url.Values{"username": {who.Username}, "password": {passwordOf(who.Username)}}, tc.header)
			if !tc.taken {
				wantPage(t, "cross-site sign-in", res.StatusCode, body, http.StatusForbidden, "Enviado desde otro sitio")
				if c := cookieNamed(res, "registro"); c != nil {
					t.Errorf("the refusal sets the session cookie %v", c)
				}
				if st, _ := w.get(t, "/"); st != http.StatusSeeOther {
					t.Errorf("home after the refused sign-in: %d, want 303 to sign in", st)
				}
				if n := loginsOf(t, ts, who) - before; n != 0 {
					t.Errorf("the refused sign-in left %d successful sign-ins in the log", n)
				}
				return
			}
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
				t.Fatalf("sign-in: %d to %q, want 303 to /\n%s", res.StatusCode, res.Header.Get("Location"), body)
			}
			if st, _ := w.get(t, "/"); st != http.StatusOK {
				t.Errorf("home after signing in: %d", st)
			}
		})
	}
	if n := loginsOf(t, ts, atk); n != 0 {
		t.Errorf("%d successful sign-ins of atacante in the log, want none", n)
	}

	// A signed-in form, sign-out included, carries the session's CSRF token; from
	// another site it is refused all the same, and the session goes on.
	w := ts.signedIn(t, "rosa", passwordOf("rosa"))
	for _, h := range []headers{{"Sec-Fetch-Site": {"cross-site"}}, {"Origin": {other}}} {
		res, _ := w.postWith(t, "/logout", url.Values{}, h)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("sign-out with %v: %d, want 403", h, res.StatusCode)
		}
		res, _ = w.postWith(t, "/lang", url.Values{"lang": {"en"}}, h)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("language form with %v: %d, want 403", h, res.StatusCode)
		}
	}
	if u, _ := ts.Accounts.User(t.Context(), "rosa"); u.Lang != "es" {
		t.Errorf("a refused form changed the language to %q", u.Lang)
	}
	if st, _ := w.get(t, "/"); st != http.StatusOK {
		t.Fatalf("home after the refused sign-outs: %d, want the session still open", st)
	}
	res, _ := w.postWith(t, "/logout", url.Values{}, headers{"Sec-Fetch-Site": {"same-origin"}, "Origin": {own}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin sign-out: %d, want 303", res.StatusCode)
	}
}

// TestPagesOriginBehindProxy: behind a trusted proxy that terminates TLS the page's
// origin is https; nobody else's X-Forwarded-Proto changes what the origin must be.
func TestPagesOriginBehindProxy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	for _, tc := range []struct {
		name    string
		proxies []string
		proto   string
		origin  string // scheme; the host is the server's
		taken   bool
	}{
		{"TrustedProxyHTTPS", []string{"127.0.0.1"}, "https", "https", true},
		{"TrustedProxyHTTPSOriginHTTP", []string{"127.0.0.1"}, "https", "http", false},
		{"UntrustedHeaderHTTPS", nil, "https", "https", false},
		{"UntrustedHeaderOriginHTTP", nil, "https", "http", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ts.variant(t, func(d *server.Deps) { d.TrustedProxies = tc.proxies })
			w := v.newWebSession(t)
			w.get(t, "/login")
			origin := tc.origin + "://" + strings.TrimPrefix(v.URL, "http://")
			res, _ := w.postWith(t, "/login", url.Values{"username": {"rosa"}, "password": {passwordOf("rosa")}},
				http.Header{"Origin": {origin}, "X-Forwarded-Proto": {tc.proto}})
			want := http.StatusForbidden
			if tc.taken {
				want = http.StatusSeeOther
			}
			if res.StatusCode != want {
				t.Errorf("Origin %s with X-Forwarded-Proto %s: %d, want %d", origin, tc.proto, res.StatusCode, want)
			}
		})
	}
}
