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
	tokens := map[string]string{"anonymous": "", "bad_token": "not-a-session-token"}
	for _, r := range accounts.Roles {
		_, tokens[string(r)] = ts.mustUserToken(t, "LIM", "m-"+string(r), r)
	}
	endpoints := []struct {
		method, path string
		want         map[string]int
	}{
		{"GET", "/api/v1/stats", map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/stats?format=csv", map[string]int{"coordinator": 200, "advocate": 200}},
		{"GET", "/api/v1/audit", map[string]int{"auditor": 200}},
		{"GET", "/api/v1/audit/verify", map[string]int{"auditor": 200}},
		{"GET", "/api/v1/orgs", map[string]int{"admin": 200}},
		{"GET", "/api/v1/users", map[string]int{"coordinator": 200, "admin": 200}},
		{"GET", "/api/v1/me", map[string]int{"outreach": 200, "coordinator": 200, "legal": 200, "advocate": 200, "auditor": 200, "admin": 200}},
		{"GET", "/api/v1/vocabularies", map[string]int{"anonymous": 200, "bad_token": 200, "outreach": 200, "coordinator": 200, "legal": 200, "advocate": 200, "auditor": 200, "admin": 200}},
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
				resp, raw, err := ts.send(request{method: ep.method, path: ep.path, token: token})
				if err != nil || resp.StatusCode != want {
					t.Fatalf("status %v, want %d (%s, %v)", resp.StatusCode, want, raw, err)
				}
			})
		}
	}
}
