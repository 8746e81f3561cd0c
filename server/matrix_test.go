package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// caseKinds are the columns of the authorization matrix: how a case stands to the
// people of organization LIM.
var caseKinds = [8]string{
	"own",       // recorded by outreach1 in LIM
	"other",     // recorded by outreach2 in LIM
	"granted",   // recorded by outreach2, legal-sharing consent, unexpired grant to legal
	"expired",   // as granted, but the grant has run out
	"revoked",   // as granted, then the grant was revoked
	"noconsent", // as granted, then the survivor withdrew legal-sharing consent
	"otherorg",  // recorded in CAL
	"missing",   // an id no case has
}

// statuses are the expected statuses for the caseKinds, in their order.
type statuses [8]int

var (
	all401 = statuses{401, 401, 401, 401, 401, 401, 401, 401}
	all403 = statuses{403, 403, 403, 403, 403, 403, 403, 403}
	all404 = statuses{404, 404, 404, 404, 404, 404, 404, 404}
)

// TestAuthorization checks SPEC §3 through the HTTP API: every role against every case
// endpoint and every kind of case, the lists, and changes that must hold from the next
// request. The subtests share one fixture and run in order (the matrix's endpoints side
// by side, each on cases of its own).
func TestAuthorization(t *testing.T) {
	t.Parallel()
	fx := newMatrixFixture(t)
	ts := fx.ts
	lim := []string{"own", "other", "granted", "expired", "revoked", "noconsent"}

	t.Run("ListsBeforeChanges", func(t *testing.T) {
		checkLists(t, fx, map[string][]string{
			"outreach":        fx.ids(caseEndpoints, "own"),
			"coordinator":     fx.ids(caseEndpoints, lim...),
			"legal":           fx.ids(caseEndpoints, "granted"),
			"legal2":          {},
			"cal_coordinator": fx.ids(caseEndpoints, "otherorg"),
		})
	})

	t.Run("Matrix", func(t *testing.T) {
		for _, endpoint := range caseEndpoints {
			t.Run(endpoint, func(t *testing.T) {
				t.Parallel() // each endpoint has its own cases
				for _, row := range caseMatrix {
					if row.endpoint == endpoint {
						t.Run(row.actor, func(t *testing.T) { fx.checkRow(t, row.actor, row.endpoint, row.want) })
					}
				}
			})
		}
	})
	t.Logf("authorization matrix: %d rows × %d kinds of case = %d requests", len(caseMatrix), len(caseKinds), len(caseMatrix)*len(caseKinds))

	t.Run("ListsAfterChanges", func(t *testing.T) {
		// grant set: legal now holds a grant on all but noconsent; revoke set: granted
		// and expired lost theirs; erase set: everything is gone.
		kept := []string{"read", "update", "followup", "grant", "revoke"}
		checkLists(t, fx, map[string][]string{
			"outreach":    fx.ids(kept, "own"),
			"coordinator": fx.ids(kept, lim...),
			"legal": append(fx.ids([]string{"read", "update", "followup"}, "granted"),
				fx.ids([]string{"grant"}, "own", "other", "granted", "expired", "revoked")...),
			"legal2":          {},
			"cal_coordinator": fx.ids(kept, "otherorg"),
		})
	})

	t.Run("ListsMatchDirectReads", func(t *testing.T) {
		// A list never holds a case a direct read refuses, and never misses one it allows,
		// for the two scopes narrower than the organization, over the sets whose shares
		// changed (and the read set, which stands for the unchanged ones).
		all := fx.ids([]string{"read", "grant", "revoke", "erase"}, caseKinds[:]...)
		for _, actor := range []string{"outreach", "legal"} {
			t.Run(actor, func(t *testing.T) {
				t.Parallel()
				_, ids := ts.listIDs(t, fx.tokens[actor])
				var listed, readable []string
				for _, id := range ids {
					if slices.Contains(all, id) {
						listed = append(listed, id)
					}
				}
				for _, id := range all {
					if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, fx.tokens[actor], nil); st == http.StatusOK {
						readable = append(readable, id)
					}
				}
				slices.Sort(listed)
				slices.Sort(readable)
				if diff := cmp.Diff(readable, listed, cmpEmpty); diff != "" {
					t.Errorf("listed cases differ from readable ones (-readable +listed):\n%s", diff)
				}
			})
		}
	})

	t.Run("RevokeTakesEffectOnNextRequest", func(t *testing.T) {
		id := fx.sets["read"]["granted"]
		legal := fx.tokens["legal"]
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, legal, nil); st != http.StatusOK {
			t.Fatalf("legal reads the shared case: status %d, want 200", st)
		}
		if st, body := ts.do(t, http.MethodDelete, "/api/v1/cases/"+id+"/grants/legal", fx.tokens["coordinator"], nil); st != http.StatusNoContent {
			t.Fatalf("revoke: status %d, body %v", st, body)
		}
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, legal, nil); st != http.StatusNotFound {
			t.Errorf("legal reads the case after the revocation: status %d, want 404", st)
		}
		if st, _ := ts.do(t, http.MethodPost, "/api/v1/cases/"+id+"/followups", legal, map[string]any{"note": "nota"}); st != http.StatusNotFound {
			t.Errorf("legal adds a follow-up after the revocation: status %d, want 404", st)
		}
		if _, ids := ts.listIDs(t, legal); slices.Contains(ids, id) {
			t.Errorf("legal's list still holds the case after the revocation")
		}
	})

	t.Run("GrantTakesEffectOnNextRequest", func(t *testing.T) {
		id := fx.sets["read"]["other"]
		legal2 := fx.tokens["legal2"]
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, legal2, nil); st != http.StatusNotFound {
			t.Fatalf("legal2 reads an unshared case: status %d, want 404", st)
		}
		st, body := ts.do(t, http.MethodPost, "/api/v1/cases/"+id+"/grants", fx.tokens["coordinator"], map[string]any{
			"user": "legal2", "expires_at": ts.Clock.Now().Add(time.Hour).Format(time.RFC3339),
		})
		if st != http.StatusOK {
			t.Fatalf("grant: status %d, body %v", st, body)
		}
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, legal2, nil); st != http.StatusOK {
			t.Errorf("legal2 reads the case once shared: status %d, want 200", st)
		}
		if _, ids := ts.listIDs(t, legal2); !slices.Equal(ids, []string{id}) {
			t.Errorf("legal2's list = %v, want [%s]", ids, id)
		}
		ts.Clock.Advance(61 * time.Minute)
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, legal2, nil); st != http.StatusNotFound {
			t.Errorf("legal2 reads the case after the grant ran out: status %d, want 404", st)
		}
		if _, ids := ts.listIDs(t, legal2); len(ids) != 0 {
			t.Errorf("legal2's list after the grant ran out = %v, want none", ids)
		}
	})

	t.Run("RoleChangeTakesEffectOnNextRequest", func(t *testing.T) {
		id := fx.sets["read"]["other"]
		token := fx.tokens["outreach"]
		setRole := func(role string) {
			t.Helper()
			st, body := ts.do(t, http.MethodPatch, "/api/v1/users/outreach1", fx.tokens["coordinator"], map[string]any{"role": role})
			if st != http.StatusOK {
				t.Fatalf("set role %s: status %d, body %v", role, st, body)
			}
		}
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, token, nil); st != http.StatusNotFound {
			t.Fatalf("outreach1 reads another worker's case: status %d, want 404", st)
		}
		setRole("coordinator")
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, token, nil); st != http.StatusOK {
			t.Errorf("outreach1, now coordinator, reads another worker's case: status %d, want 200", st)
		}
		_, asCoordinator := ts.listIDs(t, token)
		_, coordinators := ts.listIDs(t, fx.tokens["coordinator"])
		slices.Sort(asCoordinator)
		slices.Sort(coordinators)
		if diff := cmp.Diff(coordinators, asCoordinator); diff != "" {
			t.Errorf("list of outreach1 as coordinator (-coordinator's +outreach1's):\n%s", diff)
		}
		setRole("advocate")
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+fx.sets["read"]["own"], token, nil); st != http.StatusForbidden {
			t.Errorf("outreach1, now advocate, reads her own case: status %d, want 403", st)
		}
		setRole("outreach")
		if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases/"+id, token, nil); st != http.StatusNotFound {
			t.Errorf("outreach1, outreach again, reads another worker's case: status %d, want 404", st)
		}
	})

	t.Run("DisableTakesEffectOnNextRequest", func(t *testing.T) {
		token := fx.tokens["outreach2"]
		path := "/api/v1/cases/" + fx.sets["read"]["other"]
		if st, _ := ts.do(t, http.MethodGet, path, token, nil); st != http.StatusOK {
			t.Fatalf("outreach2 reads her case: status %d, want 200", st)
		}
		disable := func(v bool) {
			t.Helper()
			st, body := ts.do(t, http.MethodPatch, "/api/v1/users/outreach2", fx.tokens["coordinator"], map[string]any{"disabled": v})
			if st != http.StatusOK {
				t.Fatalf("disabled=%v: status %d, body %v", v, st, body)
			}
		}
		disable(true)
		st, body := ts.do(t, http.MethodGet, path, token, nil)
		wantError(t, st, body, http.StatusUnauthorized, "unauthenticated")
		st, body = ts.do(t, http.MethodPost, "/api/v1/login", "", map[string]string{"username": "outreach2", "password": passwordOf("outreach2")})
		wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials")
		disable(false)
		st, body = ts.do(t, http.MethodGet, path, token, nil)
		wantError(t, st, body, http.StatusUnauthorized, "unauthenticated") // the old session stays ended
		fresh := ts.login(t, "outreach2", passwordOf("outreach2"))
		if st, _ := ts.do(t, http.MethodGet, path, fresh, nil); st != http.StatusOK {
			t.Errorf("outreach2 signed in again reads her case: status %d, want 200", st)
		}
	})
}

// matrixRow is one actor on one case endpoint, over the caseKinds.
type matrixRow struct {
	actor, endpoint string
	want            statuses
}

// caseMatrix is the expected statuses of the API, derived by hand from SPEC §3: a case
// out of the caller's scope is 404, an action her role never has is 403, no valid
// session is 401. Each endpoint acts on a case set of its own and its rows run in
// this order. The web pages are checked against the same table.
var caseMatrix = []matrixRow{
	//                 own  other granted expired revoked noconsent otherorg missing
	// GET /api/v1/cases/{id}
	{"outreach", "read", statuses{200, 404, 404, 404, 404, 404, 404, 404}},
	{"coordinator", "read", statuses{200, 200, 200, 200, 200, 200, 404, 404}},
	{"legal", "read", statuses{404, 404, 200, 404, 404, 404, 404, 404}},
	{"legal2", "read", all404}, // never granted; her 403 rows would be legal's
	{"advocate", "read", all403},
	{"auditor", "read", all403},
	{"admin", "read", all403},
	{"cal_coordinator", "read", statuses{404, 404, 404, 404, 404, 404, 200, 404}},
	{"anonymous", "read", all401},
	{"bad_token", "read", all401},

	// PATCH /api/v1/cases/{id} with the current version
	{"outreach", "update", statuses{200, 404, 404, 404, 404, 404, 404, 404}},
	{"coordinator", "update", statuses{200, 200, 200, 200, 200, 200, 404, 404}},
	{"legal", "update", all403}, // legal adds follow-ups, never edits
	{"advocate", "update", all403},
	{"auditor", "update", all403},
	{"admin", "update", all403},
	{"cal_coordinator", "update", statuses{404, 404, 404, 404, 404, 404, 200, 404}},
	{"anonymous", "update", all401},
	{"bad_token", "update", all401},

	// POST /api/v1/cases/{id}/followups
	{"outreach", "followup", statuses{201, 404, 404, 404, 404, 404, 404, 404}},
	{"coordinator", "followup", statuses{201, 201, 201, 201, 201, 201, 404, 404}},
	{"legal", "followup", statuses{404, 404, 201, 404, 404, 404, 404, 404}},
	{"legal2", "followup", all404},
	{"advocate", "followup", all403},
	{"auditor", "followup", all403},
	{"admin", "followup", all403},
	{"cal_coordinator", "followup", statuses{404, 404, 404, 404, 404, 404, 201, 404}},
	{"anonymous", "followup", all401},
	{"bad_token", "followup", all401},

	// POST /api/v1/cases/{id}/grants {"user":"legal"} (CAL's coordinator has no
	// legal partner to share with, so she has no row here.)
	{"outreach", "grant", all403},
	{"legal", "grant", all403},
	{"advocate", "grant", all403},
	{"auditor", "grant", all403},
	{"admin", "grant", all403},
	{"anonymous", "grant", all401},
	{"bad_token", "grant", all401},
	// The survivor of noconsent withdrew legal-sharing consent: a valid request the
	// store refuses (422); otherorg is out of scope (404).
	{"coordinator", "grant", statuses{200, 200, 200, 200, 200, 422, 404, 404}},

	// DELETE /api/v1/cases/{id}/grants/legal
	{"outreach", "revoke", all403},
	{"legal", "revoke", all403},
	{"advocate", "revoke", all403},
	{"auditor", "revoke", all403},
	{"admin", "revoke", all403},
	{"anonymous", "revoke", all401},
	{"bad_token", "revoke", all401},
	{"cal_coordinator", "revoke", all404}, // legal is no account of CAL
	// Only granted and expired still hold a grant to legal; revoking nothing is 404.
	{"coordinator", "revoke", statuses{404, 404, 204, 204, 404, 404, 404, 404}},

	// DELETE /api/v1/cases/{id}
	{"outreach", "erase", all403},
	{"legal", "erase", all403},
	{"advocate", "erase", all403},
	{"auditor", "erase", all403},
	{"admin", "erase", all403},
	{"anonymous", "erase", all401},
	{"bad_token", "erase", all401},
	{"coordinator", "erase", statuses{204, 204, 204, 204, 204, 204, 404, 404}},
	{"cal_coordinator", "erase", statuses{404, 404, 404, 404, 404, 404, 204, 404}},
}
