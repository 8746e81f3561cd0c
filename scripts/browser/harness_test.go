package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// badPage breaks every rule the page checks enforce, under Registro's
// Content-Security-Policy.
const badPage = `<!doctype html><html><head><meta charset="utf-8"><title>mal</title>
<script src="/bad.js"></script><script>window.inline = true;</script>
<link rel="stylesheet" href="/bad.css"></head>
<body><button>Primero</button><a class="skip" href="#main">Saltar</a>
<h1>Uno</h1><h1>Dos</h1>
<input name="q"><svg width="10" height="10"><circle r="4"></circle></svg><img src="/missing.png">
<a href="/x"><svg aria-hidden="true"></svg></a>
<main id="main"><p id="p">a</p><p id="p">b</p>
<p class="faint">gris sobre blanco</p><button class="tiny">x</button></main>
<!-- %s -->
</body></html>`

// TestChecksCatchProblems shows that the checks run on every page of TestBrowser can
// fail: a page with script errors, a CSP violation, a missing image, unlabelled
// fields, two h1, no lang, faint text, a tiny button and too many bytes is reported
// for each.
func TestChecksCatchProblems(t *testing.T) {
	chromium := findChromium(t)
	padding := strings.Repeat("relleno ", (maxPageBytes+20*1024)/8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:")
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(strings.Replace(badPage, "%s", padding, 1)))
		case "/bad.css":
			w.Header().Set("Content-Type", "text/css")
			_, _ = w.Write([]byte(`.faint { color: #bbb; } .tiny { height: 20px; padding: 0; }`))
		case "/bad.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(`console.error("falla"); throw new Error("se rompió");`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tb := newTab(t, startChromium(t, chromium), srv.URL)
	tb.w.begin()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	bytes, _ := tb.settle(t)
	if bytes <= maxPageBytes {
		t.Errorf("a page of %.0f KB passes the weight check", bytes/1024)
	}
	got := strings.Join(tb.w.take(), "\n")
	got += "\n" + strings.Join(eval[[]string](t, tb, a11yScript), "\n")
	for _, want := range []string{
		"console.error: falla", "uncaught exception", "se rompió", "Content Security Policy",
		"missing.png", "html has no lang", "2 h1 elements", "field without a label",
		"svg neither hidden", "img without alt", "link or button without a name", "duplicate id p",
		"contrast 1.9", "touch target only 20 px",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the checks did not report %q; they reported:\n%s", want, got)
		}
	}
	// axe-core, which checks the offline pages, finds the missing alt text and the
	// faint text too.
	found := strings.Join(axeViolations(t, tb, axeSource(t)), "\n")
	for _, want := range []string{"image-alt", "color-contrast", "html-has-lang"} {
		if !strings.Contains(found, want) {
			t.Errorf("axe did not report %s; it reported:\n%s", want, found)
		}
	}
	if first := tb.firstTabStop(t); !strings.Contains(first, "Primero") {
		t.Errorf("a button before the skip link passes the Tab check (first stop %q)", first)
	}
}
