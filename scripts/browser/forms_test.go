package browser

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visible is a JavaScript selector for the first match of a CSS selector that is laid
// out on the page: with scripts, the record form keeps one step.next button per step
// and hides all but the current one.
func visible(css string) chromedp.JSPath {
	return chromedp.JSPath(`Array.prototype.find.call(document.querySelectorAll(` + js(css) + `), function (e) {
  var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;
}) || null`)
}

// waitFor waits until a JavaScript condition holds on the page.
func (tb *tab) waitFor(t *testing.T, what, cond string) {
	t.Helper()
	tb.do(t, "wait until "+what, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// text is the trimmed text (or value, for a field) of the first element matching css,
// once it is visible.
func (tb *tab) text(t *testing.T, css string) string {
	t.Helper()
	tb.do(t, "wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	return eval[string](t, tb, `(function (e) { return (e.matches("input, textarea, select") ? e.value : e.textContent).trim(); })(document.querySelector(`+js(css)+`))`)
}

// exists reports whether an element matches css now.
func (tb *tab) exists(t *testing.T, css string) bool {
	t.Helper()
	return eval[bool](t, tb, `document.querySelector(`+js(css)+`) !== null`)
}

// fillIn answers the field named name of one form of the page (scope is a CSS
// selector) as a person would: it ticks a radio button or checkbox (or its label, when
// the design hides the input behind it), picks an option of a list, sets a date, or
// types into a text field.
func (tb *tab) fillIn(t *testing.T, scope, name, value string) {
	t.Helper()
	field := scope + ` [name=` + js(name) + `]:not([type=hidden])`
	kind := eval[string](t, tb, `(function (f) {
  if (!f) return "";
  if (f.tagName === "SELECT") return "select";
  if (f.tagName === "TEXTAREA") return "text";
  var type = (f.getAttribute("type") || "").toLowerCase();
  if (type === "radio" || type === "checkbox") return "choice";
  if (/^(date|month|week|time|datetime-local)$/.test(type)) return "date";
  return "text";
})(document.querySelector(`+js(field)+`))`)
	switch kind {
	case "":
		t.Fatalf("no field named %q on %s", name, tb.location())
	case "choice":
		tb.tick(t, scope, name, value)
	case "select":
		tb.pick(t, scope, name, value)
	case "date":
		// Chromium's date and month inputs take no typed text in a portable way; a
		// picker sets the value and fires the same events.
		got := eval[string](t, tb, `(function (f) {
  f.value = `+js(value)+`;
  f.dispatchEvent(new Event("input", {bubbles: true}));
  f.dispatchEvent(new Event("change", {bubbles: true}));
  return f.value;
})(document.querySelector(`+js(field)+`))`)
		if got != value {
			t.Fatalf("%s: set %q, the field holds %q", name, value, got)
		}
	default:
		// chromedp.Clear resets only the value attribute, not what was typed or
		// restored from a draft; the property is emptied before typing.
		eval[bool](t, tb, `(function (f) { f.value = ""; return true; })(document.querySelector(`+js(field)+`))`)
		tb.do(t, "type into "+name, chromedp.SendKeys(visible(field), value))
	}
}

// tick checks the radio button or checkbox name=value, clicking it or its label.
func (tb *tab) tick(t *testing.T, scope, name, value string) {
	t.Helper()
	input := scope + ` input[name=` + js(name) + `][value=` + js(value) + `]`
	if eval[bool](t, tb, `(document.querySelector(`+js(input)+`) || {}).checked === true`) {
		return
	}
	target := chromedp.JSPath(`(function (i) {
  if (!i) return null;
  var r = i.getBoundingClientRect(), cs = getComputedStyle(i);
  if (r.width >= 8 && r.height >= 8 && cs.visibility !== "hidden" && cs.opacity !== "0") return i;
  return (i.id && document.querySelector('label[for="' + i.id + '"]')) || i.closest("label") || i;
})(document.querySelector(` + js(input) + `))`)
	tb.do(t, fmt.Sprintf("choose %s=%s", name, value), chromedp.Click(target))
	if !eval[bool](t, tb, `(document.querySelector(`+js(input)+`) || {}).checked === true`) {
		t.Fatalf("clicking %s=%s did not check it", name, value)
	}
}

// pick chooses an option of select name by its value, or else by its words.
func (tb *tab) pick(t *testing.T, scope, name, value string) {
	t.Helper()
	got := eval[string](t, tb, `(function (s, v) {
  var opts = Array.prototype.slice.call(s.options);
  var o = opts.find(function (o) { return o.value === v; }) ||
          opts.find(function (o) { return o.value && o.textContent.toLowerCase().indexOf(v.toLowerCase()) >= 0; });
  if (!o) return "";
  s.value = o.value;
  s.dispatchEvent(new Event("input", {bubbles: true}));
  s.dispatchEvent(new Event("change", {bubbles: true}));
  return s.value;
})(document.querySelector(`+js(scope+` select[name=`+js(name)+`]`)+`), `+js(value)+`)`)
	if got == "" {
		t.Fatalf("select %s has no option %q on %s", name, value, tb.location())
	}
}
