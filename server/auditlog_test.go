package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"registro/accounts"
)

// TestAccessLog runs a short scenario and reads it back as the auditor: reads, denied
// and failed requests are there with actor and object, and no case content is.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	outreach, outreachToken := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	coord, coordToken := ts.mustUserToken(t, "LIM", "coordinator", accounts.RoleCoordinator)
	advocate, advocateToken := ts.mustUserToken(t, "LIM", "advocate", accounts.RoleAdvocate)
	_, auditorToken := ts.mustUserToken(t, "LIM", "auditor", accounts.RoleAuditor)

	const (
		narrative = "NARRATIVE-MARKER-audit-7731"
		contact   = "+51 999 888 777"
		note      = "NOTE-MARKER-audit-5518"
		wrongPass = "WRONG-PASSWORD-MARKER-9911"
	)
	a := ts.mustCreateCase(t, outreachToken, func(in map[string]any) {
		in["narrative"], in["contact"], in["uic"] = narrative, contact, "Má-Jo 15 85"
		in["consent"].(map[string]any)["contact"] = true
	})
	b := ts.mustCreateCase(t, coordToken, nil)
	subject := ts.storedCase(t, a).Subject
	steps := []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"GET", "/api/v1/cases/" + a, coordToken, nil, 200},
		{"POST", "/api/v1/cases/" + a + "/followups", coordToken, map[string]any{"note": note}, 201},
		{"GET", "/api/v1/cases/" + b, outreachToken, nil, 404},
		{"GET", "/api/v1/cases/" + a, advocateToken, nil, 403},
		{"GET", "/api/v1/cases/" + a, auditorToken, nil, 403},
		{"POST", "/api/v1/login", "", loginBody("outreach1", wrongPass), 401},
	}
	for _, s := range steps {
		if st, body := ts.do(t, s.method, s.path, s.token, s.body); st != s.want {
			t.Fatalf("%s %s: status %d, want %d (body %v)", s.method, s.path, st, s.want, body)
		}
	}

	st, body := ts.do(t, http.MethodGet, "/api/v1/audit?limit=500", auditorToken, nil)
	if st != http.StatusOK {
		t.Fatalf("GET /api/v1/audit: status %d, body %v", st, body)
	}
	entries := body["entries"].([]any)
	has := func(want map[string]string) bool {
		for _, e := range entries {
			m := e.(map[string]any)
			match := true
			for k, v := range want {
				if m[k] != v {
					match = false
				}
			}
			if match {
				return true
			}
		}
		return false
	}
	for name, want := range map[string]map[string]string{
		"CoordinatorRead":  {"action": "case.read", "actor": coord.ID, "actor_name": "coordinator", "object": a, "outcome": "ok", "org": "LIM"},
		"Followup":         {"action": "case.followup", "actor": coord.ID, "object": a, "outcome": "ok"},
		"Creation":         {"action": "case.create", "actor": outreach.ID, "object": a, "outcome": "ok"},
		"OutOfScope":       {"action": "case.read", "actor": outreach.ID, "object": b, "outcome": "not_found"},
		"DeniedToAdvocate": {"action": "case.read", "actor": advocate.ID, "object": a, "outcome": "denied"},
		"Login":            {"action": "login", "actor": coord.ID, "outcome": "ok"},
		"FailedLogin":      {"action": "login", "actor_name": "outreach1", "outcome": "failed"},
	} {
		if !has(want) {
			t.Errorf("%s: no entry with %v", name, want)
		}
	}
	raw, _ := json.Marshal(entries)
	for _, secret := range []string{narrative, contact, note, "Má-Jo 15 85", "MAJO1585", subject, wrongPass, passwordOf("coordinator")} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the access log holds %q", secret)
		}
	}

	st, body = ts.do(t, http.MethodGet, "/api/v1/audit?action=case.read&object="+a, auditorToken, nil)
	if st != http.StatusOK {
		t.Fatalf("filtered: status %d, body %v", st, body)
	}
	for _, e := range body["entries"].([]any) {
		if m := e.(map[string]any); m["action"] != "case.read" || m["object"] != a {
			t.Errorf("filter action=case.read object=%s returned %v", a, m)
		}
	}
	if n := len(body["entries"].([]any)); n != 3 {
		t.Errorf("filter returned %d entries, want 3 (coordinator, advocate, auditor)", n)
	}

	st, body = ts.do(t, http.MethodGet, "/api/v1/audit/verify", auditorToken, nil)
	if st != http.StatusOK || body["ok"] != true {
		t.Errorf("verify: status %d, body %v; want ok true", st, body)
	}
	if n, _ := body["entries"].(float64); int(n) < len(entries) {
		t.Errorf("verify checked %v entries, want at least %d", body["entries"], len(entries))
	}
	st, body = ts.do(t, http.MethodGet, "/api/v1/audit?limit=0", auditorToken, nil)
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	for _, path := range []string{"/api/v1/audit", "/api/v1/audit/verify"} {
		st, body := ts.do(t, http.MethodGet, path, coordToken, nil)
		wantError(t, st, body, http.StatusForbidden, "forbidden")
	}
}
