package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"registro/accounts"
)

// TestLogsHoldNoSecrets runs a full scenario with distinctive values and checks that
// the server's log output carries none of them (STYLE: never log narratives, contacts,
// UICs, passwords or tokens).
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "outreach1", accounts.RoleOutreach)
	ts.mustUser(t, "LIM", "coordinator", accounts.RoleCoordinator)
	ts.mustUser(t, "LIM", "legal", accounts.RoleLegal)

	const (
		narrative    = "NARRATIVE-MARKER-4f1c9e Fue golpeada por serenazgo"
		narrative2   = "NARRATIVE-MARKER-2-b83d corrected account"
		contact      = "+51 999 888 777"
		uic          = "Má-Jo 15 85"
		uicNorm      = "MAJO1585"
		note         = "NOTE-MARKER-77ad0 llamó a la fiscalía"
		wrongPass    = "WRONG-PASSWORD-MARKER-5521"
		newPassword  = "NEW-PASSWORD-MARKER-3390"
		filterMarker = "FILTER-MARKER-0e1f"
	)
	var secrets []string
	login := func(username, password string) string {
		t.Helper()
		st, body := ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody(username, password))
		if st != http.StatusOK {
			t.Fatalf("login %s: %d %v", username, st, body)
		}
		secrets = append(secrets, body["token"].(string), body["csrf_token"].(string))
		return body["token"].(string)
	}
	outreach := login("outreach1", passwordOf("outreach1"))
	coord := login("coordinator", passwordOf("coordinator"))

	// The scenario: record, retry, read, list, edit, follow up, share, fail, manage.
	in := ts.caseInput(func(in map[string]any) {
		in["narrative"], in["contact"], in["uic"] = narrative, contact, uic
		in["consent"].(map[string]any)["contact"] = true
	})
	resp, raw := mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: outreach, body: in,
		header: http.Header{"Idempotency-Key": {"IDEMPOTENCY-MARKER-1"}}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}
	id := decodeObject(t, raw)["id"].(string)
	mustSend(t, ts, request{method: "POST", path: "/api/v1/cases", token: outreach, body: in,
		header: http.Header{"Idempotency-Key": {"IDEMPOTENCY-MARKER-1"}}})
	subject := ts.storedCase(t, id).Subject
	steps := []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"GET", "/api/v1/cases/" + id, coord, nil, 200},
		{"GET", "/api/v1/cases?district=" + filterMarker, coord, nil, 422},
		{"GET", "/api/v1/cases", outreach, nil, 200},
		{"PATCH", "/api/v1/cases/" + id, outreach, map[string]any{"version": ts.version(id), "narrative": narrative2, "uic": uic}, 200},
		{"PATCH", "/api/v1/cases/" + id, outreach, map[string]any{"version": 1, "narrative": narrative2 + contact}, 409},
		{"POST", "/api/v1/cases/" + id + "/followups", coord, map[string]any{"note": note}, 201},
		{"POST", "/api/v1/cases/" + id + "/followups", coord, map[string]any{"note": note, "date": "not-a-date"}, 422},
		{"POST", "/api/v1/cases/" + id + "/grants", coord, map[string]any{"user": "legal", "expires_at": ts.Clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}, 200},
		{"POST", "/api/v1/cases", outreach, map[string]any{"narrative": narrative, "uic": uic, "contact": contact, "bogus": 1}, 400},
		{"POST", "/api/v1/cases", outreach, ts.caseInput(func(in map[string]any) {
			in["narrative"], in["uic"], in["contact"] = narrative, uic+"x", contact
			in["incident"].(map[string]any)["district"] = "nowhere"
		}), 422},
		{"POST", "/api/v1/login", "", loginBody("outreach1", wrongPass), 401},
		{"POST", "/api/v1/login", "", loginBody(wrongPass, wrongPass), 401},
		{"PATCH", "/api/v1/users/legal", coord, map[string]any{"password": newPassword}, 200},
		{"GET", "/api/v1/users", coord, nil, 200},
		{"GET", "/api/v1/cases/" + id, "", nil, 401},
		{"GET", "/api/v1/cases/" + id, outreach + "x", nil, 401},
	}
	for _, s := range steps {
		if st, body := ts.do(t, s.method, s.path, s.token, s.body); st != s.want {
			t.Fatalf("%s %s: status %d, want %d (body %v)", s.method, s.path, st, s.want, body)
		}
	}
	st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "promotora9", "role": "outreach"})
	if st != http.StatusCreated {
		t.Fatalf("create user: %d %v", st, body)
	}
	secrets = append(secrets, body["password"].(string))
	login("legal", newPassword)
	if st, _ := ts.do(t, http.MethodPost, "/api/v1/logout", outreach, nil); st != http.StatusNoContent {
		t.Fatalf("logout: %d", st)
	}

	secrets = append(secrets, narrative, narrative2, contact, "999 888 777", "999888777", uic, uicNorm, note, subject,
		passwordOf("outreach1"), passwordOf("coordinator"), wrongPass, newPassword, filterMarker, "IDEMPOTENCY-MARKER")
	logs := ts.Logs.String()
	if !strings.Contains(logs, `"route":"/api/v1/cases/:id"`) || strings.Count(logs, "\n") < len(steps) {
		t.Fatalf("the log does not hold the requests:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the server log holds %q", s)
		}
	}
	if strings.Contains(logs, id) {
		t.Errorf("the server log holds the case id %s (raw paths must not be logged)", id)
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}
