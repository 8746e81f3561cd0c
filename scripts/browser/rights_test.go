package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRightsInBrowser: a survivor asks the coordinator what is kept about her. The
// coordinator finds her three cases by the four answers of her code, withdraws the
// statistics consent on all three, and erases one of them from its own page; her
// page then shows two cases, none counted in statistics.
func TestRightsInBrowser(t *testing.T) {
	s, tb := coordinatorSignedIn(t)

	token := apiSignIn(t, s.srv.base, "coord", s.passwords["coord"])
	for i, code := range []string{"ROJU0392", "ro-ju 03 92", "ROJU0392", "ANPE1190"} {
		b, _ := json.Marshal(map[string]any{
			"uic":          code,
			"incident":     map[string]string{"date": "2026-0" + string(rune('1'+i)) + "-10", "date_precision": "day", "district": "150128", "place": "street"},
			"perpetrators": []string{"serenazgo"},
			"violations":   []string{"physical"},
			"consent":      map[string]bool{"record": true, "statistics": true, "legal_sharing": false},
			"narrative":    "La botaron de la zona.",
			"response":     map[string]any{"reported_to": []string{"none"}, "status": "open"},
		})
		if st, out := apiCall(t, s.srv.base, http.MethodPost, "/api/v1/cases", token, b); st != http.StatusCreated {
			t.Fatalf("case %d: %d %v", i, st, out)
		}
	}

	tb.follow(t, "open her rights from the menu", chromedp.Click(chromedp.CSS(`nav a[href="/rights"]`)), 200)
	f := func(name, value string) { t.Helper(); tb.fillIn(t, "form#rights-find", name, value) }
	f("uic_mother", "Ro")
	f("uic_father", "Ju")
	f("uic_day", "3")
	f("uic_year", "1992")
	tb.follow(t, "find her cases", chromedp.Click(chromedp.CSS(`#rights-find button[type=submit]`)), 200)
	if loc := tb.location(); strings.Contains(loc, "ROJU") || strings.Contains(loc, "0392") {
		t.Errorf("her code is in the address %s", loc)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("#rights-cases [data-ref]").length`); n != 3 {
		t.Fatalf("her page lists %d cases, want 3", n)
	}
	tb.shot(t, "40-rights-cases")

	tb.pick(t, "#rights-consent", "statistics", "withdraw")
	tb.follow(t, "withdraw statistics", chromedp.Click(chromedp.CSS(`#rights-consent button[type=submit]`)), 200)
	if !strings.Contains(tb.text(t, "#rights-notice"), "3") {
		t.Errorf("the notice says %q, want 3 cases changed", tb.text(t, "#rights-notice"))
	}
	if n := eval[int](t, tb, `Array.prototype.filter.call(document.querySelectorAll('[data-consent="statistics"]'), function (td) { return td.textContent.trim() === "No"; }).length`); n != 3 {
		t.Errorf("%d cases show statistics withdrawn, want 3", n)
	}
	herPage := tb.path(t)

	// Erase one, from its own erase page.
	ref := eval[string](t, tb, `document.querySelector("#rights-cases [data-ref]").dataset.ref`)
	tb.follow(t, "open its erase page", chromedp.Click(chromedp.CSS(`#rights-cases [data-ref="`+ref+`"] a[href$="/erase"]`)), 200)
	tb.fillIn(t, "form#erase", "ref", ref)
	tb.follow(t, "erase the case", chromedp.Click(chromedp.CSS(`form#erase button[type=submit]`)), 200)
	tb.open(t, herPage, 200)
	if n := eval[int](t, tb, `document.querySelectorAll("#rights-cases [data-ref]").length`); n != 2 {
		t.Errorf("after erasing %s her page lists %d cases, want 2", ref, n)
	}
	if tb.exists(t, `[data-ref="`+ref+`"]`) {
		t.Errorf("the erased case %s is still listed", ref)
	}
	tb.follow(t, "see what is kept", chromedp.Click(chromedp.CSS(`#rights-summary`)), 200)
	if n := eval[int](t, tb, `document.querySelectorAll(".kept-case").length`); n != 2 {
		t.Errorf("the summary holds %d cases, want 2", n)
	}
	tb.shot(t, "41-rights-summary")
	if strings.Contains(s.srv.log.String(), "ROJU") {
		t.Error("the server's log holds her code")
	}
}
