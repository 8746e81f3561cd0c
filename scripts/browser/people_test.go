package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn signs user in through the sign-in form with the password the accounts page
// gave, and expects the home page.
func (s *story) signIn(t *testing.T, user string) {
	t.Helper()
	pw, ok := s.passwords[user]
	s.needs(t, ok, "the password of "+user)
	tb := s.tab
	tb.open(t, "/login", 200)
	tb.fillIn(t, `form[action="/login"]`, "username", user)
	tb.fillIn(t, `form[action="/login"]`, "password", pw)
	// The sign-in button has no explicit type attribute (a form's button submits by
	// default), so it is found by its form.
	tb.follow(t, "sign in as "+user, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), 200)
	if tb.path(t) == "/account" {
		// The password was given by someone else: she chooses her own first, and
		// every other page waits until she has.
		own := "mi frase propia de " + user
		tb.fillIn(t, "form#password", "current_password", pw)
		tb.fillIn(t, "form#password", "new_password", own)
		tb.fillIn(t, "form#password", "confirm_password", own)
		tb.follow(t, user+" chooses her password", chromedp.Click(chromedp.CSS(`form#password button[type=submit]`)), 200)
		if p := tb.path(t); p != "/account" {
			t.Fatalf("choosing a password led to %s; page says: %s", p, tb.summary(t))
		}
		s.passwords[user] = own
		tb.open(t, "/", 200)
	}
	if p := tb.path(t); p != "/" {
		t.Fatalf("signing in as %s led to %s, want the home page; page says: %s", user, p, tb.summary(t))
	}
	if h1 := tb.text(t, "h1"); !strings.Contains(h1, user) {
		t.Fatalf("home page greets %q, want the name %s", h1, user)
	}
}

// signOut uses the button in the footer and expects the sign-in page.
func (s *story) signOut(t *testing.T) {
	t.Helper()
	tb := s.tab
	tb.follow(t, "sign out", chromedp.Click(chromedp.CSS(`form[data-signout] button`)), 200)
	if p := tb.path(t); p != "/login" {
		t.Fatalf("signing out led to %s, want /login", p)
	}
}

// createAccount creates an account on the accounts page and returns the password the
// page shows once.
func (s *story) createAccount(t *testing.T, user, role string) {
	t.Helper()
	tb := s.tab
	if tb.path(t) != "/accounts" {
		tb.open(t, "/accounts", 200)
	}
	tb.fillIn(t, "form#new-account", "username", user)
	tb.fillIn(t, "form#new-account", "role", role)
	tb.follow(t, "create the account "+user, chromedp.Click(chromedp.CSS(`form#new-account button[type=submit]`)), 201)
	if !tb.exists(t, "#new-password") {
		t.Fatalf("after creating %s, %s shows no #new-password; page says: %s", user, tb.path(t), tb.summary(t))
	}
	pw := tb.text(t, "#new-password")
	if len(pw) < 10 || strings.ContainsAny(pw, " \n") {
		t.Fatalf("#new-password shows %q, want one generated password", pw)
	}
	if !tb.exists(t, "table#accounts") {
		tb.open(t, "/accounts", 200)
	}
	if list := tb.text(t, "table#accounts"); !strings.Contains(list, user) {
		t.Fatalf("table#accounts does not list %s", user)
	}
	s.passwords[user] = pw
}

// coordinatorSignedIn starts Registro and Chromium, lets the admin create the
// coordinator, and signs her in; the page's problems are checked when the test ends.
// settings are more REGISTRO_ variables for the server ("NAME=value").
func coordinatorSignedIn(t *testing.T, settings ...string) (*story, *tab) {
	chromium := findChromium(t)
	srv := startRegistro(t, buildRegistro(t), settings...)
	tb := newTab(t, startChromium(t, chromium), srv.base)
	s := &story{srv: srv, tab: tb, passwords: map[string]string{"admin": srv.adminPassword}}
	t.Cleanup(func() { tb.checkProblems(t) })
	adminCreatesCoordinator(t, s)
	s.signIn(t, "coord")
	return s, tb
}

// (a) The admin signs in with the password printed on the terminal and creates the
// organization's first coordinator and its auditor (the accounts an admin may create).
func adminCreatesCoordinator(t *testing.T, s *story) {
	tb := s.tab
	tb.open(t, "/", 200) // signed out: sent to sign in
	if p := tb.path(t); p != "/login" {
		t.Fatalf("a signed-out visit to / shows %s, want /login", p)
	}
	if lang := eval[string](t, tb, `document.documentElement.lang`); lang != "es" {
		t.Fatalf("the sign-in page is in %q, want Spanish first", lang)
	}
	tb.shot(t, "01-login")
	s.signIn(t, "admin")
	tb.follow(t, "open accounts from home", chromedp.Click(chromedp.CSS(`main a[href="/accounts"]`)), 200)
	s.createAccount(t, "coord", "coordinator")
	s.createAccount(t, "auditoria", "auditor")
	s.signOut(t)
}

// (b) The coordinator creates her team's accounts.
func coordinatorCreatesAccounts(t *testing.T, s *story) {
	s.signIn(t, "coord")
	for _, a := range []struct{ user, role string }{
		{"rosa", "outreach"}, {"lucia", "outreach"}, {"abogada", "legal"},
		{"incidencia", "advocate"},
	} {
		s.createAccount(t, a.user, a.role)
	}
	s.tab.shot(t, "10-accounts")
	s.signOut(t)
}
