package server_test

import (
	"net/http"
	"strings"
	"testing"

	"registro/accounts"
)

// TestSubjectLookup: a survivor asks what is kept about her. The coordinator turns her
// code into her pseudonym and lists exactly her cases, in scope as any list; an
// outreach worker may not ask; the code is in no log and no URL.
func TestSubjectLookup(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, coord := ts.mustUserToken(t, "LIM", "coord", accounts.RoleCoordinator)
	_, rosa := ts.mustUserToken(t, "LIM", "rosa", accounts.RoleOutreach)
	_, lucia := ts.mustUserToken(t, "LIM", "lucia", accounts.RoleOutreach)
	_, calCoord := ts.mustUserToken(t, "CAL", "cal.coord", accounts.RoleCoordinator)
	const code = "MAJO1585"
	withCode := func(uic string) func(map[string]any) { return func(in map[string]any) { in["uic"] = uic } }
	hers := map[string]bool{
		ts.mustCreateCase(t, rosa, withCode(code)):          true,
		ts.mustCreateCase(t, lucia, withCode("ma jo 1585")): true, // the same code as typed by another worker
		ts.mustCreateCase(t, rosa, withCode(code)):          true,
	}
	ts.mustCreateCase(t, rosa, withCode("LUAN0290"))
	ts.mustCreateCase(t, calCoord, withCode(code)) // another organization: another pseudonym

	st, body := ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", coord, map[string]any{"uic": "Majo 1585"})
	if st != http.StatusOK {
		t.Fatalf("lookup: %d %v", st, body)
	}
	subject := body["subject"].(string)
	st, body = ts.do(t, http.MethodGet, "/api/v1/cases?subject="+subject, coord, nil)
	if st != http.StatusOK {
		t.Fatalf("list: %d %v", st, body)
	}
	got := map[string]bool{}
	for _, it := range body["cases"].([]any) {
		got[it.(map[string]any)["id"].(string)] = true
	}
	if len(got) != 3 {
		t.Errorf("her cases: %v, want %v", got, hers)
	}
	for id := range hers {
		if !got[id] {
			t.Errorf("case %s of hers is missing", id)
		}
	}
	// In scope as any list: an outreach worker sees only the ones she recorded.
	if st, body := ts.do(t, http.MethodGet, "/api/v1/cases?subject="+subject, lucia, nil); st != http.StatusOK || len(body["cases"].([]any)) != 1 {
		t.Errorf("lucia's list of the pseudonym: %d %v", st, body)
	}
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", rosa, map[string]any{"uic": code})
	wantError(t, st, body, http.StatusForbidden, "forbidden")
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", coord, map[string]any{"uic": "MAJO"})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	st, body = ts.do(t, http.MethodGet, "/api/v1/cases?subject=MAJO1585", coord, nil)
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")

	entries := auditEntries(t, ts, "LIM", "subject.lookup")
	if len(entries) != 3 || entries[len(entries)-1].Object != subject {
		t.Errorf("the access log of the lookups: %+v", entries)
	}
	for _, e := range entries {
		if strings.Contains(strings.ToUpper(e.Detail+e.Object), "MAJO") {
			t.Errorf("the code reached the access log: %+v", e)
		}
	}
	if logs := ts.Logs.String(); strings.Contains(strings.ToUpper(logs), "MAJO") {
		t.Error("the code reached the server's log")
	}
}
