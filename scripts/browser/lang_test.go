package browser

import (
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// switchLang presses the language button in the footer and expects the same page in
// the other language.
func (s *story) switchLang(t *testing.T, lang, greeting string) {
	t.Helper()
	tb := s.tab
	tb.follow(t, "switch to "+lang, chromedp.Click(chromedp.CSS(`form[action="/lang"] button[name=lang][value=`+lang+`]`)), 200)
	s.expectLang(t, lang, greeting)
}

func (s *story) expectLang(t *testing.T, lang, h1 string) {
	t.Helper()
	if got := eval[string](t, s.tab, `document.documentElement.lang`); got != lang {
		t.Errorf("%s is in %q, want %q", s.tab.location(), got, lang)
	}
	if h1 != "" {
		if got := s.tab.text(t, "h1"); got != h1 {
			t.Errorf("%s greets %q, want %q", s.tab.location(), got, h1)
		}
	}
}

// (h) The coordinator switches to English; her account remembers it, also on a
// browser that forgot its cookies.
func languageSwitch(t *testing.T, s *story) {
	tb := s.tab
	s.signIn(t, "coord")
	s.expectLang(t, "es", "Hola, coord")
	s.switchLang(t, "en", "Hello, coord")
	s.signOut(t)
	s.expectLang(t, "en", "") // the sign-in page follows the browser's last choice

	// Without cookies the sign-in page is Spanish again; after signing in, the
	// account's choice applies.
	if _, err := chromedp.Call(tb.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	tb.open(t, "/login", 200)
	s.expectLang(t, "es", "")
	s.signIn(t, "coord")
	s.expectLang(t, "en", "Hello, coord")
	s.switchLang(t, "es", "Hola, coord")
	// Her own page, from her name in the header: language and password.
	tb.follow(t, "open my account", chromedp.Click(chromedp.CSS(`header a.who`)), 200)
	s.expectLang(t, "es", "Mi cuenta")
	if !tb.exists(t, "form#password") {
		t.Errorf("%s offers no password change", tb.location())
	}
	tb.shot(t, "12-account")
	s.signOut(t)
}
