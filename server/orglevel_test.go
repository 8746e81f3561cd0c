package server_test

import (
	"net/http"
	"testing"

	"registro/accounts"
)

// TestOrgLevelMatrix: every role × every endpoint that is not about one case, with the
// exact status SPEC §3 calls for.
func TestOrgLevelMatrix(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	tokens := map[string]string{"anonymous": "", "bad_token": "not-a-session-token"}
	for _, r := range accounts.Roles {
		_, tokens[string(r)] = ts.mustUserToken(t, "LIM", "m-"+string(r), r)
	}
	// A release to read, and a closed quarter left for the coordinator's one publication.
	released, unpublished := closedQuarter(ts), shiftQuarter(closedQuarter(ts), -1)
	ts.mustPublish(t, tokens["coordinator"], released)
	endpoints := []struct {
		method, path string
		body         any
		want         map[string]int
	}{
		{"GET", "/api/v1/stats", nil, map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/stats?format=csv", nil, map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/stats?source=release&quarter=" + released, nil, map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/stats?source=release&format=xlsx", nil, map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/stats?source=live", nil, map[string]int{"coordinator": 200}},
		{"GET", "/api/v1/stats/releases", nil, map[string]int{"coordinator": 200, "advocate": 200}},
		{"POST", "/api/v1/stats/releases", map[string]string{"period": unpublished}, map[string]int{"coordinator": 201}},
		{"GET", "/api/v1/audit", nil, map[string]int{"auditor": 200}},
		{"GET", "/api/v1/audit/verify", nil, map[string]int{"auditor": 200}},
		{"GET", "/api/v1/orgs", nil, map[string]int{"admin": 200}},
		{"GET", "/api/v1/users", nil, map[string]int{"coordinator": 200, "admin": 200}},
		{"GET", "/api/v1/me", nil, map[string]int{"outreach": 200, "coordinator": 200, "legal": 200, "advocate": 200, "auditor": 200, "admin": 200}},
		{"GET", "/api/v1/vocabularies", nil, map[string]int{"anonymous": 200, "bad_token": 200, "outreach": 200, "coordinator": 200, "legal": 200, "advocate": 200, "auditor": 200, "admin": 200}},
	}
	for _, ep := range endpoints {
		for who, token := range tokens {
			want, ok := ep.want[who]
			switch {
			case ok:
			case who == "anonymous" || who == "bad_token":
				want = http.StatusUnauthorized
			default:
				want = http.StatusForbidden
			}
			t.Run(ep.method+ep.path+"/"+who, func(t *testing.T) {
				resp, raw, err := ts.send(request{method: ep.method, path: ep.path, token: token, body: ep.body})
				if err != nil || resp.StatusCode != want {
					t.Fatalf("status %v, want %d (%s, %v)", resp.StatusCode, want, raw, err)
				}
			})
		}
	}

	// Another organization's people reach only their own organization's releases.
	_, calCoordinator := ts.mustUserToken(t, "CAL", "cal-coordina", accounts.RoleCoordinator)
	_, calAdvocate := ts.mustUserToken(t, "CAL", "cal-vocera", accounts.RoleAdvocate)
	for who, token := range map[string]string{"cal_coordinator": calCoordinator, "cal_advocate": calAdvocate} {
		st, body := ts.do(t, http.MethodGet, "/api/v1/stats?source=release&quarter="+released, token, nil)
		wantError(t, st, body, http.StatusNotFound, "not_released")
		if st, body := ts.do(t, http.MethodGet, "/api/v1/stats/releases", token, nil); st != http.StatusOK || len(body["releases"].([]any)) != 0 {
			t.Errorf("%s lists releases: %d %v", who, st, body)
		}
	}
	ts.mustPublish(t, calCoordinator, released) // CAL's own, beside LIM's
	if _, body := ts.do(t, http.MethodGet, "/api/v1/stats/releases", tokens["advocate"], nil); len(body["releases"].([]any)) != 2 {
		t.Errorf("LIM's releases after CAL published: %v", body)
	}
}
