package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// (e) Another outreach worker neither sees rosa's case in her list nor can open it:
// its address answers the same not-found page as a case that does not exist.
func otherWorkerCannotSee(t *testing.T, s *story) {
	tb := s.tab
	s.needs(t, s.id != "", "rosa's case")
	s.signIn(t, "lucia")
	tb.open(t, "/cases", 200)
	if tb.exists(t, `tr[data-ref="`+s.ref+`"]`) {
		t.Errorf("lucia's list shows rosa's case %s", s.ref)
	}
	tb.open(t, "/cases/"+s.id, 404)
	if h1 := tb.text(t, "h1"); h1 != "No encontrado" {
		t.Errorf("lucia opening rosa's case sees %q, want the not-found page", h1)
	}
	if tb.exists(t, "#narrative") || strings.Contains(eval[string](t, tb, `document.body.textContent`), narrative) {
		t.Error("the not-found page shows the narrative")
	}
	s.signOut(t)
}

// (f) The coordinator shares the case with the legal partner, who then finds it and
// reads the story.
func coordinatorShares(t *testing.T, s *story) {
	tb := s.tab
	s.needs(t, s.id != "", "rosa's case")
	s.needs(t, s.passwords["abogada"] != "", "the legal partner's account")
	s.signIn(t, "coord")
	tb.open(t, "/cases", 200)
	row := `table#cases tr[data-ref="` + s.ref + `"]`
	tb.do(t, "find the case in the organization's list", chromedp.WaitVisible(chromedp.CSS(row)))
	tb.follow(t, "open the case", chromedp.Click(chromedp.CSS(row+` a`)), 200)
	if got := tb.text(t, "#narrative"); !strings.Contains(got, narrative) {
		t.Errorf("the coordinator's detail page shows #narrative %q", got)
	}

	tb.open(t, "/cases/"+s.id+"/share", 200)
	tb.fillIn(t, "form#share", "user", "abogada")
	// A share ends by itself: one month from today in Lima.
	expires := time.Now().In(time.FixedZone("PET", -5*3600)).AddDate(0, 1, 0).Format("2006-01-02")
	tb.fillIn(t, "form#share", "expires", expires)
	tb.shot(t, "08-share")
	tb.follow(t, "share the case", chromedp.Click(chromedp.CSS(`form#share button[type=submit], form#share button`)), 200)
	if !tb.exists(t, "ul#grants") {
		tb.open(t, "/cases/"+s.id+"/share", 200)
	}
	if grants := tb.text(t, "ul#grants"); !strings.Contains(grants, "abogada") {
		t.Fatalf("after sharing, ul#grants shows %q, want abogada", grants)
	}
	s.signOut(t)

	s.signIn(t, "abogada")
	tb.open(t, "/cases", 200)
	tb.do(t, "find the shared case in her list", chromedp.WaitVisible(chromedp.CSS(row)))
	tb.follow(t, "open the shared case", chromedp.Click(chromedp.CSS(row+` a`)), 200)
	if got := tb.text(t, "#narrative"); !strings.Contains(got, narrative) {
		t.Errorf("the legal partner's detail page shows #narrative %q, want the story", got)
	}
	s.signOut(t)
}
