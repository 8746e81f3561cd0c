package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// districtJS reads the district search's state: the option chosen and how many
// districts the list offers.
const districtJS = `(function () {
  var s = document.querySelector('form#record select[name="district"]');
  return s.value + "/" + s.querySelectorAll("option[value]:not([value=''])").length;
})()`

// TestRecordProblems drives the record form of a fresh server through a phone-sized
// Chromium: the district search picks by whole words, accents and abbreviations and
// lets go of a choice when she types again, and a send with six problems shows all
// six at once, in the form's order, with every answer kept and the code's step open.
func TestRecordProblems(t *testing.T) {
	s, tb := coordinatorSignedIn(t)
	tb.open(t, "/cases/new", 200)
	f := func(name, value string) { t.Helper(); tb.fillIn(t, "form#record", name, value) }
	for _, c := range []string{"consent_record", "consent_statistics", "consent_legal_sharing", "consent_contact"} {
		f(c, "yes")
	}
	s.nextStep(t)
	f("uic_mother", "M1")
	f("uic_father", "JO")
	f("uic_day", "15")
	f("uic_year", "85")
	s.nextStep(t)

	t.Run("DistrictSearch", func(t *testing.T) {
		for _, c := range []struct{ typed, chosen string }{
			{"Rímac", "150128"}, {"rimac", "150128"}, {"SJL", "150132"}, {"sjm", "150133"},
			{"SMP", "150135"}, {"VES", "150142"}, {"vmt", "150143"}, {"Cercado", "150101"},
			{"Ate", "150103"}, {"lurigancho", ""}, {"san juan de lurigancho", "150132"}, {"san juan", ""}, {"mira", ""},
		} {
			f("district_search", c.typed)
			got := eval[string](t, tb, districtJS)
			if chosen := strings.Split(got, "/")[0]; chosen != c.chosen {
				t.Errorf("typing %q chooses %q, want %q", c.typed, chosen, c.chosen)
			}
		}
		if got := eval[string](t, tb, districtJS); !strings.HasPrefix(got, "/") || got == "/0" {
			t.Errorf("after %q the list holds %q, want several districts and none chosen", "mira", got)
		}
		f("district_search", "Rímac")
		tb.do(t, "type another name", chromedp.SendKeys(visible(`form#record [name="district_search"]`), "x"))
		if got := eval[string](t, tb, districtJS); got != "/0" {
			t.Errorf("after typing on from Rímac the list is %q, want no district chosen and none offered", got)
		}
		f("district_search", "zzz")
		f("district_search", "")
		if got := eval[string](t, tb, districtJS); !strings.HasPrefix(got, "/") {
			t.Errorf("an emptied search keeps the district %q", got)
		}
	})

	t.Run("SixProblemsAtOnce", func(t *testing.T) {
		f("date_precision", "day")
		future := time.Now().In(time.FixedZone("PET", -5*3600)).AddDate(0, 0, 3).Format("2006-01-02")
		f("date_day", future)
		s.nextStep(t)
		s.nextStep(t) // nothing about who did it nor what
		f("age_band", "25-34")
		s.nextStep(t)
		f("narrative", narrative)
		tb.w.expect(s.srv.base + "/cases/new") // 422, on purpose
		tb.follow(t, "send the form", chromedp.Click(chromedp.CSS("#record-submit")), 422)
		got := eval[[]string](t, tb, `Array.prototype.map.call(document.querySelectorAll("#problems li a"),
  function (a) { return a.getAttribute("href"); })`)
		want := []string{"#f-uic_mother", "#f-date_day", "#f-district", "#f-place", "#f-perpetrators", "#f-violations"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("problem summary (-want +got):\n%s", diff)
		}
		open := eval[string](t, tb, `(function () {
  var s = Array.prototype.filter.call(document.querySelectorAll("form#record fieldset.step"), function (s) { return !s.hidden; });
  return s.length === 1 ? s[0].id : s.length + " steps";
})()`)
		if open != "step-code" {
			t.Errorf("the rejected form opens at %q, want step-code", open)
		}
		for name, value := range map[string]string{"uic_mother": "M1", "uic_father": "JO", "uic_day": "15",
			"uic_year": "85", "date_day": future, "narrative": narrative} {
			if got := eval[string](t, tb, `document.querySelector('form#record [name="`+name+`"]').value`); got != value {
				t.Errorf("%s holds %q after the rejection, want %q", name, got, value)
			}
		}
		if !eval[bool](t, tb, `document.querySelector('input[name="age_band"][value="25-34"]').checked`) {
			t.Error("her age band was lost")
		}
		if strings.Contains(tb.location(), "uic") || strings.Contains(tb.location(), "M1") {
			t.Errorf("her code's answers are in the address %q", tb.location())
		}
		// The link of a problem in another step opens that step.
		tb.do(t, "follow the district's problem", chromedp.Click(chromedp.CSS(`#problems a[href="#f-district"]`)))
		if !eval[bool](t, tb, `!document.querySelector("#step-when").hidden`) {
			t.Error("the district's link does not open its step")
		}
	})
	if strings.Contains(s.srv.log.String(), "M1JO") || strings.Contains(s.srv.log.String(), `"uic`) {
		t.Error("the server's log holds her code's answers")
	}
}
