package server_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"registro/accounts"
	"registro/audit"
)

// webSession is the browser of the page tests: a cookie jar, redirects not followed
// (so a test sees each 303), and the CSRF token of the last page that carried one,
// which post adds to the forms it sends.
type webSession struct {
	ts     *testServer
	client *http.Client
	csrf   string
	// decode makes get, fetch and post return the page with its character references
	// decoded (&amp; as &), the text as a reader sees it.
	decode bool
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// newWebSession is a browser that has not signed in.
func (ts *testServer) newWebSession(tb testing.TB) *webSession {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &webSession{ts: ts, client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a browser signed in as username through the sign-in form.
func (ts *testServer) signedIn(tb testing.TB, username, password string) *webSession {
	tb.Helper()
	return ts.newWebSession(tb).signIn(tb, username, password)
}

// webUser creates an account and signs it in through the form.
func (ts *testServer) webUser(tb testing.TB, org, username string, role accounts.Role) (accounts.User, *webSession) {
	tb.Helper()
	u := ts.mustUser(tb, org, username, role)
	return u, ts.signedIn(tb, username, passwordOf(username))
}

// firstSignIn signs in with a password someone else gave (generated or typed by a
// coordinator or admin): the sign-in leads to her account page, where she chooses
// passwordOf(username), and then home opens.
func (ts *testServer) firstSignIn(tb testing.TB, username, given string) *webSession {
	tb.Helper()
	w := ts.newWebSession(tb)
	if st, _ := w.get(tb, "/login"); st != http.StatusOK {
		tb.Fatalf("GET /login: status %d", st)
	}
	res, body := w.post(tb, "/login", url.Values{"username": {username}, "password": {given}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
		tb.Fatalf("first sign-in of %s: status %d to %q, want 303 to /account\n%s", username, res.StatusCode, res.Header.Get("Location"), body)
	}
	if res, _ := w.fetch(tb, "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
		tb.Fatalf("home before choosing a password: %d to %q, want 303 to /account", res.StatusCode, res.Header.Get("Location"))
	}
	if st, _ := w.get(tb, "/account"); st != http.StatusOK {
		tb.Fatalf("account page of %s: %d", username, st)
	}
	res, body = w.post(tb, "/account/password", url.Values{"current_password": {given},
		"new_password": {passwordOf(username)}, "confirm_password": {passwordOf(username)}})
	if res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("%s chooses her password: %d\n%s", username, res.StatusCode, body)
	}
	if st, _ := w.get(tb, "/"); st != http.StatusOK {
		tb.Fatalf("home after %s chose her password: %d", username, st)
	}
	return w
}

// signIn signs in through the sign-in form, as a person would, and fails the test
// unless she lands on the home page.
func (w *webSession) signIn(tb testing.TB, username, password string) *webSession {
	tb.Helper()
	if err := w.trySignIn(tb, username, password); err != nil {
		tb.Fatal(err)
	}
	return w
}

// trySignIn opens the sign-in form, sends it, and opens the home page; it reports
// the first step that did not answer as it should.
func (w *webSession) trySignIn(tb testing.TB, username, password string) error {
	tb.Helper()
	if st, _ := w.get(tb, "/login"); st != http.StatusOK {
		return fmt.Errorf("GET /login: status %d", st)
	}
	res, body := w.post(tb, "/login", url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign-in of %s: status %d\n%s", username, res.StatusCode, body)
	}
	if st, _ := w.get(tb, "/"); st != http.StatusOK {
		return fmt.Errorf("home after sign-in of %s: status %d", username, st)
	}
	return nil
}

// get fetches a page: its status and body.
func (w *webSession) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	res, body := w.fetch(tb, path)
	return res.StatusCode, body
}

// fetch fetches a page: the response (its body read and closed) and the body.
func (w *webSession) fetch(tb testing.TB, path string) (*http.Response, string) {
	tb.Helper()
	return w.send(tb, http.MethodGet, path, nil)
}

// post sends a form with the CSRF token of the last page, unless form has a
// csrf_token of its own: its values are sent as they are, and none when it holds no
// value (form["csrf_token"] = nil sends a form without a token).
func (w *webSession) post(tb testing.TB, path string, form url.Values) (*http.Response, string) {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", w.csrf)
	}
	return w.send(tb, http.MethodPost, path, form)
}

// send makes a request, with form as its body unless form is nil, and remembers the
// CSRF token of the page it gets back.
func (w *webSession) send(tb testing.TB, method, path string, form url.Values) (*http.Response, string) {
	tb.Helper()
	return w.sendWith(tb, method, path, form, nil)
}

// postWith is post with more request headers, as a browser adds them (Origin,
// Sec-Fetch-Site).
func (w *webSession) postWith(tb testing.TB, path string, form url.Values, header http.Header) (*http.Response, string) {
	tb.Helper()
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", w.csrf)
	}
	return w.sendWith(tb, http.MethodPost, path, form, header)
}

// sendWith is send with more request headers.
func (w *webSession) sendWith(tb testing.TB, method, path string, form url.Values, header http.Header) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.ts.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	res, err := w.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	if m := csrfField.FindSubmatch(raw); m != nil {
		w.csrf = string(m[1])
	}
	if w.decode {
		return res, html.UnescapeString(string(raw))
	}
	return res, string(raw)
}

// gzipSize fetches a page as a browser does (accepting gzip) and returns the bytes
// sent; it checks that they were compressed.
func (w *webSession) gzipSize(tb testing.TB, path string) int {
	tb.Helper()
	req := mustRequest(tb, http.MethodGet, w.ts.URL+path)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the transport leaves the body compressed
	res, err := w.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" {
		tb.Fatalf("%s not gzipped", path)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadAll(zr); err != nil {
		tb.Fatalf("%s: bad gzip: %v", path, err)
	}
	return len(raw)
}

func mustRequest(tb testing.TB, method, u string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// wantPage fails the test unless the page has status want and contains every text.
func wantPage(tb testing.TB, what string, status int, body string, want int, texts ...string) {
	tb.Helper()
	if status != want {
		tb.Fatalf("%s: status %d, want %d\n%s", what, status, want, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			tb.Errorf("%s: the page lacks %q", what, s)
		}
	}
}

// auditEntries returns org's access-log entries with action, newest first; all of
// them when action is "".
func auditEntries(tb testing.TB, ts *testServer, org, action string) []audit.Entry {
	tb.Helper()
	entries, _, err := ts.Audit.Entries(context.Background(), audit.Filter{Org: org, Action: action, Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	return entries
}

// hasAuditEntry reports whether an entry has this actor, object and outcome.
func hasAuditEntry(entries []audit.Entry, actor, object, outcome string) bool {
	for _, e := range entries {
		if e.Actor == actor && e.Object == object && e.Outcome == outcome {
			return true
		}
	}
	return false
}
