package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"registro/accounts"
	"registro/audit"
	"registro/server"
)

// TestNoEntryNoContent: no result is served unless its access-log entry is written.
// The attacker reads through a server whose access log refuses every append (a
// database name the store rejects), with sessions opened on a sound server over the
// same stores: every route that serves case content, statistics or the log itself
// must answer with an error that holds none of it.
func TestNoEntryNoContent(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "carmen", accounts.RoleCoordinator)
	ts.mustUser(t, "LIM", "aurora", accounts.RoleAuditor)
	coord := ts.login(t, "carmen", passwordOf("carmen"))
	auditorToken := ts.login(t, "aurora", passwordOf("aurora"))
	const story = "Relato que nadie debe leer sin dejar rastro."
	id := ts.mustCreateCase(t, coord, func(in map[string]any) { in["narrative"] = story; in["uic"] = "MAJO1585" })
	ref := ts.storedCase(t, id).Ref
	st, body := ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", coord, map[string]any{"uic": "MAJO1585"})
	subject, _ := body["subject"].(string)
	if st != http.StatusOK || subject == "" {
		t.Fatalf("lookup: %d %v", st, body)
	}
	coordPages := ts.signedIn(t, "carmen", passwordOf("carmen"))
	auditorPages := ts.signedIn(t, "aurora", passwordOf("aurora"))

	broken := ts.variant(t, func(d *server.Deps) {
		d.Audit = audit.NewLog(ts.DB.Client.Database("no$log"), []byte("registro-test-audit-key-32-bytes"), ts.Clock.Now)
	})
	check := func(what string, status int, text string) {
		t.Helper()
		secrets := []string{story, ref}
		if !strings.HasPrefix(what, "page") {
			// A page's address holds the pseudonym (the language switch sends it back).
			secrets = append(secrets, subject)
		}
		if status < 500 {
			t.Errorf("%s answered %d without its access-log entry", what, status)
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s served %q without its access-log entry", what, s)
			}
		}
	}
	for _, path := range []string{
		"/api/v1/cases/" + id, "/api/v1/cases", "/api/v1/cases?subject=" + subject,
		"/api/v1/subjects/" + subject + "/summary", "/api/v1/stats",
	} {
		st, out := broken.do(t, http.MethodGet, path, coord, nil)
		check("GET "+path, st, mapText(out))
	}
	for _, path := range []string{"/api/v1/audit", "/api/v1/audit/verify"} {
		st, out := broken.do(t, http.MethodGet, path, auditorToken, nil)
		check("GET "+path, st, mapText(out))
	}
	pages := *coordPages
	pages.ts = broken
	for _, path := range []string{
		"/cases/" + id, "/cases", "/cases/" + id + "/recorded", "/cases/" + id + "/edit", "/cases/" + id + "/share",
		"/cases/" + id + "/erase", "/rights/" + subject, "/rights/" + subject + "/summary", "/rights/" + subject + "/erase",
		"/stats", "/alerts/new?from=" + id,
	} {
		st, page := pages.get(t, path)
		check("page "+path, st, page)
	}
	audPages := *auditorPages
	audPages.ts = broken
	st, page := audPages.get(t, "/audit")
	check("page /audit", st, page)
}

// mapText is a JSON answer as text, to look for what it must not hold.
func mapText(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}
