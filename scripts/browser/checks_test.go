package browser

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// maxPageBytes is the budget of one page on a first visit: the document and every
// asset it loads, as transferred (compressed, headers included). Outreach workers
// are on prepaid mobile data.
const maxPageBytes = 100 * 1024

// loaded checks a page that has just loaded: its status, that nothing went wrong in
// the browser, the accessibility basics, the keyboard order and the weight.
func (tb *tab) loaded(t *testing.T, status, want int) {
	t.Helper()
	loc := tb.location()
	if status != want {
		t.Fatalf("%s answered %d, want %d; page says: %s", loc, status, want, tb.summary(t))
	}
	bytes, reqs := tb.settle(t)
	tb.pages = append(tb.pages, pageReport{URL: loc, Bytes: bytes, Reqs: reqs})
	if bytes > maxPageBytes {
		t.Errorf("(j) %s weighs %.1f KB in %d requests, over the %d KB budget", loc, bytes/1024, reqs, maxPageBytes/1024)
	}
	tb.checkProblems(t)
	for _, p := range eval[[]string](t, tb, a11yScript) {
		t.Errorf("(i) %s: %s", loc, p)
	}
	tb.checkSkipLink(t, loc)
}

// settle waits until the page load has no request in flight (the load event has
// fired, but late requests such as the icon sprite or a script's fetch may still
// run) and returns the bytes it transferred and its number of requests.
func (tb *tab) settle(t *testing.T) (float64, int) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		if idle, bytes, reqs := tb.w.idle(); idle {
			return bytes, reqs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: requests still in flight after %s", tb.location(), stepTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkProblems fails the test for every script error, exception, CSP violation or
// failed load the browser reported since the last check.
func (tb *tab) checkProblems(t *testing.T) {
	t.Helper()
	for _, p := range tb.w.take() {
		t.Errorf("%s: %s", tb.location(), p)
	}
	for _, w := range tb.w.takeWarnings() {
		t.Logf("warning on %s: %s", tb.location(), w)
	}
}

// checkSkipLink presses Tab on the freshly loaded page: the first stop must be the
// link that skips to the content.
func (tb *tab) checkSkipLink(t *testing.T, loc string) {
	t.Helper()
	// An address with a #fragment moves the browser's focus starting point to its
	// target, as it should: the skip link is first only on a page opened at its top.
	if u, err := url.Parse(loc); err == nil && u.Fragment != "" {
		return
	}
	if first := tb.firstTabStop(t); first != "" {
		t.Errorf("(i) %s: the first Tab stop is %s, want the skip link a.skip to #main", loc, first)
	}
}

// firstTabStop presses Tab and returns "" when the skip link got the focus, else
// what did. Focus is then given back, so screenshots show no focus ring.
func (tb *tab) firstTabStop(t *testing.T) string {
	t.Helper()
	tb.do(t, "press Tab", chromedp.KeyEvent(kb.Tab))
	first := eval[string](t, tb, `(function () {
  var a = document.activeElement;
  if (!a || a === document.body) return "nothing";
  if (a.matches('a.skip[href="#main"]') && document.getElementById("main")) return "";
  return a.outerHTML.slice(0, 120);
})()`)
	eval[bool](t, tb, `document.activeElement && document.activeElement.blur(), true`)
	return first
}

// summary is the page's title and first heading, for failure messages.
func (tb *tab) summary(t *testing.T) string {
	t.Helper()
	return eval[string](t, tb, `document.title + " | " + ((document.querySelector("h1") || {}).textContent || "").trim()`)
}

// a11yScript lists what a screen reader or keyboard user would miss on the page.
const a11yScript = `(function () {
  var out = [];
  function d(el) { return el.outerHTML.slice(0, 100); }
  function text(el) { return (el.textContent || "").replace(/\s+/g, " ").trim(); }
  if (!document.documentElement.getAttribute("lang")) out.push("html has no lang attribute");
  var h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push("the page has " + h1 + " h1 elements, want exactly 1");
  if (!document.title.trim()) out.push("the page has no title");
  document.querySelectorAll("input, select, textarea").forEach(function (f) {
    var type = (f.getAttribute("type") || "").toLowerCase();
    if (f.tagName === "INPUT" && /^(hidden|submit|button|reset|image)$/.test(type)) return;
    if (f.getAttribute("aria-label") || f.getAttribute("aria-labelledby")) return;
    var labels = f.labels ? Array.prototype.filter.call(f.labels, function (l) { return text(l) !== ""; }) : [];
    if (labels.length === 0) out.push("field without a label: " + d(f));
  });
  document.querySelectorAll("svg").forEach(function (s) {
    if (s.parentElement && s.parentElement.closest("svg")) return;
    if (s.closest('[aria-hidden="true"]')) return;
    if (s.getAttribute("aria-label") || s.getAttribute("aria-labelledby")) return;
    if (s.querySelector(":scope > title") && text(s.querySelector(":scope > title"))) return;
    out.push("svg neither hidden from screen readers nor titled: " + d(s));
  });
  document.querySelectorAll("img").forEach(function (i) {
    if (!i.hasAttribute("alt")) out.push("img without alt: " + d(i));
  });
  document.querySelectorAll("a[href], button").forEach(function (b) {
    if (text(b) || b.getAttribute("aria-label") || b.getAttribute("aria-labelledby") || b.getAttribute("title")) return;
    out.push("link or button without a name: " + d(b));
  });
  var ids = {};
  document.querySelectorAll("[id]").forEach(function (e) {
    if (ids[e.id]) out.push("duplicate id " + e.id);
    ids[e.id] = true;
  });
  return out;
})()`
