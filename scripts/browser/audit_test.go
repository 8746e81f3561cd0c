package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The auditor reads the access log and checks its chain.
func auditorVerifiesLog(t *testing.T, s *story) {
	tb := s.tab
	s.signIn(t, "auditoria")
	tb.open(t, "/audit", 200)
	tb.do(t, "wait for the access log", chromedp.WaitVisible(chromedp.CSS("table#audit")))
	if n := eval[int](t, tb, `document.querySelectorAll("table#audit tbody tr").length`); n == 0 {
		t.Error("the access log shows no entries after a day of sign-ins and records")
	}
	tb.shot(t, "11-audit")
	tb.follow(t, "verify the chain", chromedp.Click(chromedp.CSS(`form#verify button`)), 200)
	if got := tb.text(t, "#verify-result"); got == "" {
		t.Error("#verify-result is empty")
	} else {
		t.Logf("chain check: %s", got)
	}
	s.signOut(t)
}
