package browser

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	narrative      = "Me quitaron los condones en la avenida y el sereno me empujó contra la pared."
	draftNarrative = "Borrador: la policia la subio al patrullero sin motivo y la dejo lejos."
)

// uicParts build the survivor's code MAJO1585, which must never reach the log.
var uicParts = [4]string{"MA", "JO", "15", "85"}

var (
	refPattern      = regexp.MustCompile(`^[A-Z]+-\d{4}-\d{5}$`)
	recordedPattern = regexp.MustCompile(`^/cases/([^/]+)/recorded$`)
)

// incident is what the outreach worker answers, step by step.
type incident struct {
	uic          [4]string // mother, father, day, year
	month        string    // YYYY-MM
	search       string    // typed in the district filter
	district     string    // code picked in the list
	place        string
	perpetrators []string
	violations   []string
	narrative    string
}

// limaMonth is this month in Lima, where the incidents happen.
func limaMonth() string {
	return time.Now().In(time.FixedZone("PET", -5*3600)).Format("2006-01")
}

// nextStep moves the step-by-step form on with the visible "next" button.
func (s *story) nextStep(t *testing.T) {
	t.Helper()
	s.tab.do(t, "go to the next step", chromedp.Click(visible("form#record button.step-next")))
}

// answerSteps walks the record form from the consent step to the story step, filling
// in the incident; screenshots, when asked, show steps 1 and 4.
func (s *story) answerSteps(t *testing.T, in incident, shots bool) {
	t.Helper()
	tb := s.tab
	f := func(name, value string) { t.Helper(); tb.fillIn(t, "form#record", name, value) }
	// 1. Consent, read to her aloud.
	for _, c := range []string{"consent_record", "consent_statistics", "consent_legal_sharing", "consent_contact"} {
		f(c, "yes")
	}
	if shots {
		tb.shot(t, "03-record-step1")
	}
	s.nextStep(t)
	// 2. Her code, built with her from what she always remembers.
	for i, name := range []string{"uic_mother", "uic_father", "uic_day", "uic_year"} {
		f(name, in.uic[i])
	}
	s.nextStep(t)
	// 3. When and where: only the month is known; the district is found by typing.
	f("date_precision", "month")
	f("date_month", in.month)
	f("district_search", in.search)
	tb.waitFor(t, "the district list offers "+in.district,
		`document.querySelector('form#record select[name="district"] option[value="`+in.district+`"]') !== null`)
	f("district", in.district)
	f("place", in.place)
	s.nextStep(t)
	// 4. What happened.
	for _, p := range in.perpetrators {
		f("perpetrators", p)
	}
	for _, v := range in.violations {
		f("violations", v)
	}
	if shots {
		tb.shot(t, "04-record-step4")
	}
	s.nextStep(t)
	// 5. About her.
	f("age_band", "25-34")
	f("gender", "trans_woman")
	f("nationality", "PE")
	f("work_setting", "street")
	s.nextStep(t)
	// 6. Her story, in her words.
	f("narrative", in.narrative)
}

// (c) Rosa records an incident with a survivor, step by step, and finds it in her
// cases.
func outreachRecordsIncident(t *testing.T, s *story) {
	tb := s.tab
	s.signIn(t, "rosa")
	tb.shot(t, "02-home")
	tb.follow(t, "start recording from home", chromedp.Click(chromedp.CSS(`main a[href="/cases/new"]`)), 200)
	s.answerSteps(t, incident{
		uic: uicParts, month: limaMonth(), search: "Comas", district: "150110",
		place: "street", perpetrators: []string{"serenazgo", "police"},
		violations: []string{"physical", "confiscation"}, narrative: narrative,
	}, true)
	tb.fillIn(t, "form#record", "reported_to", "none")
	tb.fillIn(t, "form#record", "referrals", "legal")
	tb.follow(t, "submit the record", chromedp.Click(chromedp.CSS("#record-submit")), 200)

	m := recordedPattern.FindStringSubmatch(tb.path(t))
	if m == nil {
		t.Fatalf("submitting led to %s, want /cases/<id>/recorded; page says: %s", tb.path(t), tb.summary(t))
	}
	ref := tb.text(t, "#case-ref")
	if !refPattern.MatchString(ref) {
		t.Fatalf("#case-ref shows %q, want a reference like LIM-2026-00001", ref)
	}
	s.id, s.ref = m[1], ref
	tb.shot(t, "05-recorded")
	// Recorded, the story must not stay on the phone, nor start the next record.
	tb.waitFor(t, "the recorded story leaves the phone's drafts", draftsJS+`.indexOf(`+js(narrative)+`) < 0`)

	tb.open(t, "/cases", 200)
	row := `table#cases tr[data-ref="` + ref + `"]`
	tb.do(t, "find the case in the list", chromedp.WaitVisible(chromedp.CSS(row)))
	tb.shot(t, "06-cases")
	tb.follow(t, "open the case", chromedp.Click(chromedp.CSS(row+` a`)), 200)
	if got := tb.text(t, "#case-ref"); got != ref {
		t.Errorf("the detail page shows #case-ref %q, want %q", got, ref)
	}
	if got := tb.text(t, "#narrative"); !strings.Contains(got, narrative) {
		t.Errorf("the detail page shows #narrative %q, want the story she told", got)
	}
	tb.shot(t, "07-case")
	s.signOut(t)
}

// (b2) The newcomer's path: the coordinator the admin created records a case herself
// and reads it back, every page in Spanish.
func coordinatorRecordsAndReadsBack(t *testing.T, s *story) {
	tb := s.tab
	s.signIn(t, "coord")
	spanish := func(where string) {
		t.Helper()
		if lang := eval[string](t, tb, `document.documentElement.lang`); lang != "es" {
			t.Errorf("%s is in %q, want Spanish", where, lang)
		}
	}
	spanish("the home page")
	tb.follow(t, "start recording from home", chromedp.Click(chromedp.CSS(`main a[href="/cases/new"]`)), 200)
	spanish("the record form")
	story := "La fiscalizadora le quitó la mercadería y le pidió dinero para devolverla."
	s.answerSteps(t, incident{
		uic: [4]string{"LU", "PE", "03", "90"}, month: limaMonth(), search: "Lurigancho", district: "150132",
		place: "street", perpetrators: []string{"municipal_inspector", "serenazgo"},
		violations: []string{"extortion", "confiscation"}, narrative: story,
	}, false)
	tb.follow(t, "submit the record", chromedp.Click(chromedp.CSS("#record-submit")), 200)
	spanish("the confirmation")
	if recordedPattern.FindStringSubmatch(tb.path(t)) == nil {
		t.Fatalf("submitting led to %s, want /cases/<id>/recorded; page says: %s", tb.path(t), tb.summary(t))
	}
	ref := tb.text(t, "#case-ref")
	if !refPattern.MatchString(ref) {
		t.Fatalf("#case-ref shows %q, want a reference", ref)
	}
	tb.open(t, "/cases", 200)
	spanish("the organization's cases")
	row := `table#cases tr[data-ref="` + ref + `"]`
	tb.follow(t, "open her case", chromedp.Click(chromedp.CSS(row+` a`)), 200)
	spanish("the case")
	if got := tb.text(t, "#narrative"); !strings.Contains(got, story) {
		t.Errorf("the case shows #narrative %q, want the story recorded", got)
	}
	if got := tb.text(t, "main"); !strings.Contains(got, "Fiscalizador municipal") || !strings.Contains(got, "San Juan de Lurigancho") {
		t.Errorf("the case does not show the perpetrator and district in Spanish: %q", got)
	}
	s.signOut(t)
}
