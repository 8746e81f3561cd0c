package browser

import (
	"strings"
	"testing"
)

// story is what the steps of the test hand on to each other: one organization's day
// with Registro, on one phone.
type story struct {
	srv *registro
	tab *tab

	passwords map[string]string // username → password, as the accounts page showed it
	ref, id   string            // the case rosa recorded
}

// needs skips a step whose prerequisite an earlier, failed step should have made.
func (s *story) needs(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		t.Skipf("needs %s, which an earlier step should have made", what)
	}
}

// TestBrowser drives the real program through a phone-sized headless Chromium: the
// steps share one server and one browser, in order, as the people of one
// organization would use them. Every page loaded on the way is also checked for
// script errors, accessibility basics (i) and weight (j).
func TestBrowser(t *testing.T) {
	chromium := findChromium(t)
	srv := startRegistro(t, buildRegistro(t))
	tb := newTab(t, startChromium(t, chromium), srv.base)
	s := &story{srv: srv, tab: tb, passwords: map[string]string{"admin": srv.adminPassword}}

	steps := []struct {
		name string
		run  func(*testing.T, *story)
	}{
		{"a_admin_creates_coordinator", adminCreatesCoordinator},
		{"b_coordinator_creates_accounts", coordinatorCreatesAccounts},
		{"b2_coordinator_records_and_reads_back", coordinatorRecordsAndReadsBack},
		{"c_outreach_records_incident", outreachRecordsIncident},
		{"d_offline_draft", offlineDraft},
		{"e_other_worker_cannot_see_case", otherWorkerCannotSee},
		{"f_coordinator_shares_with_legal", coordinatorShares},
		{"g_advocate_reads_statistics", advocateReadsStatistics},
		{"h_language_switch", languageSwitch},
		{"auditor_verifies_access_log", auditorVerifiesLog},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			// Script errors between page loads (a click, typing) belong to this step.
			defer tb.checkProblems(t)
			st.run(t, s)
		})
	}

	t.Run("ij_every_page_checked", func(t *testing.T) {
		// The checks themselves ran on every page load of the steps above; this
		// reports what they covered.
		if len(tb.pages) == 0 {
			t.Fatal("no page was loaded")
		}
		for _, p := range tb.pages {
			t.Logf("%6.1f KB in %2d requests  %s", p.Bytes/1024, p.Reqs, strings.TrimPrefix(p.URL, srv.base))
		}
	})

	t.Run("log_holds_no_secrets", func(t *testing.T) {
		log := srv.log.String()
		secrets := []string{narrative, draftNarrative, strings.Join(uicParts[:], "")}
		for _, p := range s.passwords {
			secrets = append(secrets, p)
		}
		for _, sec := range secrets {
			if sec != "" && strings.Contains(log, sec) {
				t.Errorf("the server's log holds a password, a narrative or a survivor's code: %q", sec)
			}
		}
	})
}
