package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestSubjectRights: a survivor withdraws her consents on all her cases at once, then
// asks that they be erased. The shares of her cases end with her legal-sharing
// consent; nothing of anyone else's changes; every step is a rights request in the
// access log; an outreach worker may do neither.
func TestSubjectRights(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coord := ts.mustUserToken(t, "LIM", "coord", accounts.RoleCoordinator)
	_, rosa := ts.mustUserToken(t, "LIM", "rosa", accounts.RoleOutreach)
	_, legal := ts.mustUserToken(t, "LIM", "abogada", accounts.RoleLegal)
	withCode := func(uic string) func(map[string]any) { return func(in map[string]any) { in["uic"] = uic } }
	var hers []string
	for range 3 {
		hers = append(hers, ts.mustCreateCase(t, rosa, withCode("MAJO1585")))
	}
	other := ts.mustCreateCase(t, rosa, withCode("LUAN0290"))
	for _, id := range []string{hers[0], other} {
		if st, body := ts.do(t, http.MethodPost, "/api/v1/cases/"+id+"/grants", coord, map[string]any{
			"user": "abogada", "expires_at": ts.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}); st != http.StatusOK {
			t.Fatalf("share %s: %d %v", id, st, body)
		}
	}
	_, body := ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", coord, map[string]any{"uic": "MAJO1585"})
	subject := body["subject"].(string)

	st, body := ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/consent", rosa, map[string]any{"statistics": false})
	wantError(t, st, body, http.StatusForbidden, "forbidden")
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/consent", coord, map[string]any{})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/consent", coord, map[string]any{"statistics": false, "legal_sharing": false})
	if st != http.StatusOK || body["updated"] != float64(3) {
		t.Fatalf("withdraw: %d %v", st, body)
	}
	for _, id := range hers {
		_, k := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, coord, nil)
		consent := k["consent"].(map[string]any)
		if consent["statistics"] != false || consent["legal_sharing"] != false || consent["record"] != true {
			t.Errorf("case %s consent after the withdrawal: %v", id, consent)
		}
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+hers[0], legal, nil); st != http.StatusNotFound {
		t.Errorf("the lawyer still reads her case after she withdrew legal sharing: %d", st)
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+other, legal, nil); st != http.StatusOK {
		t.Errorf("another survivor's shared case: %d", st)
	}

	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/erase", rosa, nil)
	wantError(t, st, body, http.StatusForbidden, "forbidden")
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/erase", coord, nil)
	if st != http.StatusOK || len(body["erased"].([]any)) != 3 {
		t.Fatalf("erase: %d %v", st, body)
	}
	for _, id := range hers {
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, coord, nil); st != http.StatusNotFound {
			t.Errorf("case %s after the erasure: %d", id, st)
		}
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+other, coord, nil); st != http.StatusOK {
		t.Errorf("another survivor's case after the erasure: %d", st)
	}
	if st, body := ts.do(t, http.MethodPost, "/api/v1/subjects/"+subject+"/erase", coord, nil); st != http.StatusOK || len(body["erased"].([]any)) != 0 {
		t.Errorf("a second erasure: %d %v", st, body)
	}
	st, body = ts.do(t, http.MethodPost, "/api/v1/subjects/not-a-pseudonym/erase", coord, nil)
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	for action, want := range map[string]string{"subject.consent": "statistics=false on 3 cases", "subject.erase": "3 cases erased"} {
		found := false
		for _, e := range auditEntries(t, ts, "LIM", action) {
			found = found || (e.Outcome == "ok" && e.Object == subject && strings.Contains(e.Detail, want))
		}
		if !found {
			t.Errorf("no %s rights request with %q in the access log", action, want)
		}
	}
}

// TestSubjectSummary: what is kept about her, for her to see: her cases' fields, her
// consents and when she gave them, follow-ups and shares by role, and who had access
// as roles and dates. The attacker here is the summary itself, printed and handed to
// her: it must name no one (no usernames, no account ids) and hold nothing of another
// survivor.
func TestSubjectSummary(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	coordU, coord := ts.mustUserToken(t, "LIM", "coordinadora.ana", accounts.RoleCoordinator)
	rosaU, rosa := ts.mustUserToken(t, "LIM", "promotora.rosa", accounts.RoleOutreach)
	legalU, legal := ts.mustUserToken(t, "LIM", "abogada.eva", accounts.RoleLegal)
	mine := ts.mustCreateCase(t, rosa, func(in map[string]any) { in["uic"] = "MAJO1585"; in["narrative"] = "Su relato." })
	ts.mustCreateCase(t, rosa, func(in map[string]any) { in["uic"] = "LUAN0290"; in["narrative"] = "El relato de otra." })
	if st, body := ts.do(t, http.MethodPost, "/api/v1/cases/"+mine+"/followups", coord, map[string]any{"note": "Acompañada a la fiscalía."}); st != http.StatusCreated {
		t.Fatalf("follow-up: %d %v", st, body)
	}
	if st, body := ts.do(t, http.MethodPost, "/api/v1/cases/"+mine+"/grants", coord, map[string]any{
		"user": "abogada.eva", "expires_at": ts.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}); st != http.StatusOK {
		t.Fatalf("share: %d %v", st, body)
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+mine, legal, nil); st != http.StatusOK {
		t.Fatalf("the lawyer reads it: %d", st)
	}
	_, body := ts.do(t, http.MethodPost, "/api/v1/subjects/lookup", coord, map[string]any{"uic": "MAJO1585"})
	subject := body["subject"].(string)
	st, body := ts.do(t, http.MethodGet, "/api/v1/subjects/"+subject+"/summary", rosa, nil)
	wantError(t, st, body, http.StatusForbidden, "forbidden")
	resp, raw := mustSend(t, ts, request{method: "GET", path: "/api/v1/subjects/" + subject + "/summary", token: coord})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("summary: %d %s", resp.StatusCode, raw)
	}
	for _, leak := range []string{"coordinadora.ana", "promotora.rosa", "abogada.eva", coordU.ID, rosaU.ID, legalU.ID, "El relato de otra", "LUAN", "MAJO"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the summary holds %q", leak)
		}
	}
	sum := decodeObject(t, raw)
	cs := sum["cases"].([]any)
	if len(cs) != 1 {
		t.Fatalf("%d cases in her summary", len(cs))
	}
	k := cs[0].(map[string]any)
	if k["narrative"] != "Su relato." || k["consent"].(map[string]any)["given_at"] == "" {
		t.Errorf("her case in the summary: %v", k)
	}
	if f := k["followups"].([]any); len(f) != 1 || f[0].(map[string]any)["author_role"] != "coordinator" {
		t.Errorf("follow-ups: %v", f)
	}
	if sh := k["shares"].([]any); len(sh) != 1 || sh[0].(map[string]any)["role"] != "legal" {
		t.Errorf("shares: %v", sh)
	}
	seen := map[string]bool{}
	for _, a := range k["accesses"].([]any) {
		a := a.(map[string]any)
		seen[a["role"].(string)+" "+a["action"].(string)] = true
	}
	for _, want := range []string{"outreach case.create", "coordinator case.followup", "coordinator case.grant", "legal case.read"} {
		if !seen[want] {
			t.Errorf("the accesses lack %q: %v", want, seen)
		}
	}
	if len(auditEntries(t, ts, "LIM", "subject.see")) == 0 {
		t.Error("the request to see is not in the access log")
	}
}
