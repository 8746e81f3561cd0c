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
			t.Fatalf("%s: requests still in flight after %s: %v", tb.location(), stepTimeout, tb.w.pending())
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
  // Contrast (WCAG 2.1 AA): 4.5:1 for text, 3:1 for large text (24 px, or 18.66 px
  // bold), against the nearest opaque background behind it.
  function rgb(c) {
    var m = c.match(/rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  }
  function lum(c) {
    var v = c.slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      var st = getComputedStyle(el);
      if (st.backgroundImage !== "none") return null; // a gradient or picture: not judged here
      var c = rgb(st.backgroundColor);
      if (c && c[3] === 1) return c;
    }
    return [255, 255, 255, 1];
  }
  var lowContrast = 0;
  document.querySelectorAll("body *").forEach(function (el) {
    if (lowContrast >= 3 || el.closest("svg")) return;
    var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim() !== ""; });
    if (!own || !el.getClientRects().length) return;
    var st = getComputedStyle(el);
    if (st.visibility === "hidden" || +st.opacity === 0) return;
    var fg = rgb(st.color), bg = background(el);
    if (!fg || !bg) return;
    var a = fg[3];
    fg = [0, 1, 2].map(function (i) { return fg[i] * a + bg[i] * (1 - a); });
    var l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && +st.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      lowContrast++;
      out.push("contrast " + ratio.toFixed(2) + ":1 below " + (large ? 3 : 4.5) + ":1 for " + d(el));
    }
  });
  // Touch targets: buttons, links styled as buttons, and the tiles of choices at least
  // 44 px high (the CSS aims at 48).
  document.querySelectorAll("button, .button, input[type=text], input[type=password], select, textarea, label.tile, .tile").forEach(function (b) {
    if (!b.getClientRects().length || b.closest(".skip") || b.classList.contains("link")) return;
    var h = b.getBoundingClientRect().height;
    if (h > 0 && h < 44) out.push("touch target only " + Math.round(h) + " px high: " + d(b));
  });
  return out;
})()`
