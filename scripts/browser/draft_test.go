package browser

import (
	"strings"
	"testing"
)

// draftsJS is every draft the pages keep in this browser, joined: the core script
// deletes the keys with this prefix when someone signs out.
const draftsJS = `Object.keys(localStorage).filter(function (k) { return k.indexOf("registro:draft:") === 0; })
  .map(function (k) { return localStorage.getItem(k); }).join("\n")`

// fieldJS reads a field of the record form: a text's value, or the checked value of
// a radio or checkbox group.
func fieldJS(name, value string) string {
	if value == "" {
		return `(document.querySelector('form#record [name="` + name + `"]') || {}).value`
	}
	return `(document.querySelector('form#record input[name="` + name + `"][value="` + value + `"]') || {}).checked === true`
}

// (d) A half-filled form survives a reload (the connection dropped), without the
// survivor's code; signing out deletes the draft from the phone.
func offlineDraft(t *testing.T, s *story) {
	tb := s.tab
	s.signIn(t, "rosa")
	tb.open(t, "/cases/new", 200)
	s.answerSteps(t, incident{
		uic: [4]string{"ZU", "QX", "03", "91"}, month: limaMonth(), search: "Lima", district: "150101",
		place: "hotel", perpetrators: []string{"client"}, violations: []string{"robbery"},
		narrative: draftNarrative,
	}, false)
	// Drafts are saved a moment after typing, sealed: the phone's storage holds
	// neither the story nor anything of her code in clear, and the form says the
	// draft is safe.
	tb.waitFor(t, "the draft is kept", draftsJS+` !== ""`)
	tb.waitFor(t, "the form says the draft is safe", `!document.getElementById("draft-safe").hidden`)
	drafts := eval[string](t, tb, draftsJS)
	for _, secret := range []string{"uic_", `"ZU"`, `"QX"`, "narrative", "hotel", "robbery", draftNarrative[:12]} {
		if strings.Contains(drafts, secret) {
			t.Errorf("the draft kept on the phone holds %q in clear: %s", secret, drafts)
		}
	}

	tb.reload(t)
	tb.waitFor(t, "the narrative is back after the reload", fieldJS("narrative", "")+` === `+js(draftNarrative))
	for _, choice := range [][2]string{{"consent_record", "yes"}, {"place", "hotel"}, {"perpetrators", "client"}, {"violations", "robbery"}} {
		if !eval[bool](t, tb, fieldJS(choice[0], choice[1])) {
			t.Errorf("after the reload %s=%s is no longer chosen", choice[0], choice[1])
		}
	}
	for _, name := range []string{"uic_mother", "uic_father", "uic_day", "uic_year"} {
		if v := eval[string](t, tb, fieldJS(name, "")); v != "" {
			t.Errorf("after the reload %s holds %q: the survivor's code must not be kept on the phone", name, v)
		}
	}

	s.signOut(t)
	if d := eval[string](t, tb, draftsJS); d != "" {
		t.Errorf("after signing out the phone still keeps a draft: %s", d)
	}
	s.signIn(t, "rosa")
	tb.open(t, "/cases/new", 200)
	if v := eval[string](t, tb, fieldJS("narrative", "")); v != "" {
		t.Errorf("after signing out and in, the record form shows the old narrative %q", v)
	}
	if eval[bool](t, tb, fieldJS("perpetrators", "client")) {
		t.Error("after signing out and in, the record form still has the old choices")
	}
	s.signOut(t)
}
