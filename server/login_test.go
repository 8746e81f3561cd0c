package server_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/accounts"
	"registro/server"
)

func loginBody(username, password string) map[string]string {
	return map[string]string{"username": username, "password": password}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	u := ts.mustUser(t, "LIM", "outreach1", accounts.RoleOutreach)
	ts.mustUser(t, "LIM", "locked", accounts.RoleOutreach)

	t.Run("OK", func(t *testing.T) {
		resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/login", body: loginBody("outreach1", passwordOf("outreach1"))})
		body := decodeObject(t, raw)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, body %v", resp.StatusCode, body)
		}
		want := map[string]any{"id": u.ID, "username": "outreach1", "role": "outreach", "org": "LIM", "lang": "es",
			"must_change_password": false, "second_factor": false, "must_enrol_second_factor": false}
		if diff := cmp.Diff(want, body["user"]); diff != "" {
			t.Errorf("user (-want +got):\n%s", diff)
		}
		for _, k := range []string{"token", "expires_at", "csrf_token", "device"} {
			if s, _ := body[k].(string); s == "" {
				t.Errorf("no %s in %v", k, body)
			}
		}
		// The API's sign-in is for API clients: a browser made to post it has no session.
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("the API's sign-in sets cookies %v, want none", sc)
		}
		if st, me := ts.do(t, http.MethodGet, "/api/v1/me", body["token"].(string), nil); st != http.StatusOK {
			t.Errorf("/me with the new token: %d %v", st, me)
		}
	})

	t.Run("WrongPasswordAndUnknownUserLookAlike", func(t *testing.T) {
		st, wrong := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("outreach1", "not-the-password"))
		wantError(t, st, wrong, http.StatusUnauthorized, "invalid_credentials")
		st, unknown := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("nobody-here", "not-the-password"))
		wantError(t, st, unknown, http.StatusUnauthorized, "invalid_credentials")
		if diff := cmp.Diff(wrong, unknown); diff != "" {
			t.Errorf("wrong password and unknown user answer differently (-wrong +unknown):\n%s", diff)
		}
		st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", `{"username": "outreach1"`)
		wantError(t, st, body, http.StatusBadRequest, "malformed_request")
	})

	// Five failures from one client hold that client back on that username for 15
	// minutes, even with the right password; the account itself is not locked (the
	// accounts package tests that strangers cannot keep its owner out).
	t.Run("ThrottledAfterFiveFailuresFromOneClient", func(t *testing.T) {
		for i := 1; i <= 4; i++ {
			st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("locked", "wrong-password-"+string(rune('0'+i))))
			wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials")
		}
		st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("locked", "wrong-password-5"))
		wantError(t, st, body, http.StatusTooManyRequests, "rate_limited")
		st, body = ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("locked", passwordOf("locked")))
		wantError(t, st, body, http.StatusTooManyRequests, "rate_limited") // even the right password
		ts.Clock.Advance(16 * time.Minute)
		ts.login(t, "locked", passwordOf("locked"))
	})

	t.Run("LogoutEndsTheSession", func(t *testing.T) {
		token := ts.login(t, "outreach1", passwordOf("outreach1"))
		resp, _ := mustSend(t, ts, request{method: "POST", path: "/api/v1/logout", token: token})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: status %d", resp.StatusCode)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("the API's sign-out sets cookies %v, want none", sc)
		}
		st, body := ts.do(t, http.MethodGet, "/api/v1/me", token, nil)
		wantError(t, st, body, http.StatusUnauthorized, "unauthenticated")
		st, body = ts.do(t, http.MethodPost, "/api/v1/logout", token, nil)
		wantError(t, st, body, http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("Unauthenticated", func(t *testing.T) {
		for name, r := range map[string]request{
			"NoToken":      {method: "GET", path: "/api/v1/me"},
			"MalformedKey": {method: "GET", path: "/api/v1/me", header: http.Header{"Authorization": {"Bearer abc"}}},
			"UnknownToken": {method: "GET", path: "/api/v1/me", token: randomToken(t)},
			"NotBearer":    {method: "GET", path: "/api/v1/me", header: http.Header{"Authorization": {"Basic b3V0cmVhY2gxOnB3"}}},
		} {
			resp, raw := mustSend(t, ts, r)
			t.Run(name, func(t *testing.T) {
				wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusUnauthorized, "unauthenticated")
			})
		}
	})
}

// TestLoginRateLimit checks the per-address limit on sign-in attempts: it holds
// whatever the password and whatever forwarding header the client sends, and does not
// touch another address.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(d *server.Deps) { d.LoginLimit = 3 })
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "outreach1", accounts.RoleOutreach)
	right := loginBody("outreach1", passwordOf("outreach1"))

	for i := 0; i < 3; i++ {
		st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("outreach1", "wrong-password"))
		wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials")
	}
	st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", right)
	wantError(t, st, body, http.StatusTooManyRequests, "rate_limited")
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP"} {
		resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/login", body: right,
			header: http.Header{h: {"203.0.113.77"}}})
		t.Run("Spoofed"+h, func(t *testing.T) {
			wantError(t, resp.StatusCode, decodeObject(t, raw), http.StatusTooManyRequests, "rate_limited")
		})
	}

	// Another address (127.0.0.2 is loopback too on Linux) has attempts of its own.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	if c, err := dialer.DialContext(context.Background(), "tcp", strings.TrimPrefix(ts.URL, "http://")); err != nil {
		t.Logf("cannot dial from 127.0.0.2 (%v): skipping the other-address check", err)
	} else {
		_ = c.Close()
		other := *ts
		other.client = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
		other.login(t, "outreach1", passwordOf("outreach1"))
	}

	// Behind a configured proxy, the address it forwards is the client's.
	proxied := ts.variant(t, func(d *server.Deps) { d.TrustedProxies = []string{"127.0.0.1"} })
	from := func(addr string, b any) (int, map[string]any) {
		resp, raw := mustSend(t, proxied, request{method: "POST", path: "/api/v1/login", body: b,
			header: http.Header{"X-Forwarded-For": {addr}}})
		return resp.StatusCode, decodeObject(t, raw)
	}
	for i := 0; i < 3; i++ {
		st, body := from("203.0.113.77", loginBody("nobody-here", "wrong-password"))
		wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials")
	}
	st, body = from("203.0.113.77", right)
	wantError(t, st, body, http.StatusTooManyRequests, "rate_limited")
	if st, body := from("203.0.113.78", right); st != http.StatusOK {
		t.Errorf("login through a trusted proxy for another address: status %d, body %v", st, body)
	}

	ts.Clock.Advance(time.Minute)
	ts.login(t, "outreach1", passwordOf("outreach1"))
}

// TestCookieSession checks the pages' session cookie: only the sign-in form sets it;
// on the pages safe methods need only the cookie and unsafe ones also the session's
// CSRF token; the API ignores it, with or without that token, and takes the bearer
// token alone.
func TestCookieSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "outreach1", accounts.RoleOutreach)
	w := ts.signedIn(t, "outreach1", passwordOf("outreach1"))
	u, _ := url.Parse(ts.URL)
	var cookie *http.Cookie
	for _, c := range w.client.Jar.Cookies(u) {
		if c.Name == "registro" {
			cookie = c
		}
	}
	if cookie == nil || w.csrf == "" {
		t.Fatalf("the sign-in form left cookie %v and CSRF token %q", cookie, w.csrf)
	}
	token := ts.login(t, "outreach1", passwordOf("outreach1"))
	withCookie := func(method, path, csrfToken string, b any) (int, map[string]any) {
		t.Helper()
		r := request{method: method, path: path, body: b, cookies: []*http.Cookie{{Name: cookie.Name, Value: cookie.Value}}}
		if csrfToken != "" {
			r.header = http.Header{"X-CSRF-Token": {csrfToken}}
		}
		resp, raw := mustSend(t, ts, r)
		if len(raw) == 0 {
			return resp.StatusCode, nil
		}
		return resp.StatusCode, decodeObject(t, raw)
	}

	// The API: the cookie counts for nothing, with the CSRF token or without.
	st, b := withCookie("GET", "/api/v1/me", "", nil)
	wantError(t, st, b, http.StatusUnauthorized, "unauthenticated")
	for _, csrf := range []string{"", w.csrf} {
		st, b := withCookie("POST", "/api/v1/cases", csrf, ts.caseInput(nil))
		wantError(t, st, b, http.StatusUnauthorized, "unauthenticated")
		st, b = withCookie("POST", "/api/v1/logout", csrf, nil)
		wantError(t, st, b, http.StatusUnauthorized, "unauthenticated")
	}
	if _, ids := ts.listIDs(t, token); len(ids) != 0 {
		t.Fatalf("posts with the cookie created cases: %v", ids)
	}
	if st, b := ts.do(t, http.MethodPost, "/api/v1/cases", token, ts.caseInput(nil)); st != http.StatusCreated {
		t.Errorf("POST with the bearer token and no CSRF token: %d %v", st, b)
	}

	// The pages: the cookie is the session, and the API's refusals did not end it.
	if st, body := w.get(t, "/"); st != http.StatusOK {
		t.Fatalf("home with the cookie: %d\n%s", st, body)
	}
	for _, csrf := range []string{"", "not-the-token", cookie.Value} { // the session token is not the CSRF token
		res, _ := w.post(t, "/lang", url.Values{"lang": {"en"}, "csrf_token": {csrf}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("page form with CSRF token %q: %d, want 403", csrf, res.StatusCode)
		}
	}
	if res, _ := w.post(t, "/lang", url.Values{"lang": {"en"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("page form with the cookie and the CSRF token: %d, want 303", res.StatusCode)
	}

	t.Run("Secure", func(t *testing.T) {
		// The same accounts behind a server that marks its cookies for HTTPS. Go's
		// cookie jar keeps Secure cookies from plain HTTP, so the sign-in is sent by hand.
		secure := ts.variant(t, func(d *server.Deps) { d.SecureCookies = true })
		resp, raw := mustSend(t, secure, request{method: "GET", path: "/login"})
		pre, m := cookieNamed(resp, "registro_pre"), csrfField.FindSubmatch(raw)
		if pre == nil || m == nil {
			t.Fatalf("sign-in page: cookie %v, form token %q", pre, m)
		}
		form := url.Values{"username": {"outreach1"}, "password": {passwordOf("outreach1")}, "csrf_token": {string(m[1])}}
		req, err := http.NewRequest(http.MethodPost, secure.URL+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(pre)
		resp, err = http.DefaultTransport.RoundTrip(req) // the 303 itself, not where it leads
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c := cookieNamed(resp, "__Host-registro")
		if resp.StatusCode != http.StatusSeeOther || c == nil {
			t.Fatalf("sign-in: status %d, cookies %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
		}
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain", c)
		}
		resp, _ = mustSend(t, secure, request{method: "POST", path: "/api/v1/login", body: loginBody("outreach1", passwordOf("outreach1"))})
		if sc := resp.Header.Values("Set-Cookie"); resp.StatusCode != http.StatusOK || len(sc) != 0 {
			t.Errorf("API sign-in on the secure server: status %d, cookies %v; want 200 and none", resp.StatusCode, sc)
		}
	})
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
