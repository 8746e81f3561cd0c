package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"registro/accounts"
	"registro/cases"
)

// matrixFixture is organization LIM with one account of every role (and a second
// outreach worker and legal partner), organization CAL with a coordinator and an
// outreach worker, and one set of the caseKinds per case endpoint, so that the
// endpoints' rows can run side by side and grants, revocations and erasures act on
// fresh cases.
type matrixFixture struct {
	ts     *testServer
	users  map[string]accounts.User // by actor
	tokens map[string]string        // by actor; "" for anonymous
	sets   map[string]map[string]string
}

// caseEndpoints are the matrix's endpoints; each acts on the case set of its name.
var caseEndpoints = []string{"read", "update", "followup", "grant", "revoke", "erase"}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	fx := &matrixFixture{ts: ts, users: map[string]accounts.User{}, tokens: map[string]string{},
		sets: map[string]map[string]string{}}
	accts := []struct {
		actor, org, username string
		role                 accounts.Role
	}{
		{"outreach", "LIM", "outreach1", accounts.RoleOutreach},
		{"outreach2", "LIM", "outreach2", accounts.RoleOutreach},
		{"coordinator", "LIM", "coordinator", accounts.RoleCoordinator},
		{"legal", "LIM", "legal", accounts.RoleLegal},
		{"legal2", "LIM", "legal2", accounts.RoleLegal},
		{"advocate", "LIM", "advocate", accounts.RoleAdvocate},
		{"auditor", "LIM", "auditor", accounts.RoleAuditor},
		{"admin", "LIM", "admin", accounts.RoleAdmin},
		{"cal_coordinator", "CAL", "cal-coordinator", accounts.RoleCoordinator},
		{"cal_outreach", "CAL", "cal-outreach", accounts.RoleOutreach},
	}
	users := make([]accounts.User, len(accts))
	tokens := make([]string, len(accts))
	inParallel(t, len(accts), func(i int) (err error) {
		a := accts[i]
		ctx := context.Background()
		users[i], err = ts.Accounts.CreateUser(ctx, accounts.NewUser{
			Username: a.username, Org: a.org, Role: a.role, Password: "given " + passwordOf(a.username)})
		if err != nil {
			return err
		}
		// As the owner does at first sign-in: her own password.
		if err := ts.Accounts.ChangeOwnPassword(ctx, users[i].ID, "given "+passwordOf(a.username), passwordOf(a.username), ""); err != nil {
			return err
		}
		if a.actor == "cal_outreach" {
			return nil // records CAL's cases through the store only
		}
		tokens[i], err = ts.tryLogin(a.username, passwordOf(a.username))
		return err
	})
	for i, a := range accts {
		fx.users[a.actor], fx.tokens[a.actor] = users[i], tokens[i]
	}
	fx.tokens["anonymous"] = ""
	fx.tokens["bad_token"] = randomToken(t)

	sets := make([]map[string]string, len(caseEndpoints))
	inParallel(t, len(caseEndpoints), func(i int) (err error) {
		sets[i], err = fx.caseSet(caseEndpoints[i] == "read")
		return err
	})
	for i, name := range caseEndpoints {
		fx.sets[name] = sets[i]
	}
	// The one-hour grants run out; every other one has weeks left.
	ts.Clock.Advance(2 * time.Hour)
	return fx
}

// caseSet records one case of each kind (but for the clock, which the caller
// advances). Cases are recorded and shared straight through the store, which is
// quicker; the consent withdrawal goes through the API, whose effect on grants is
// part of what is tested. With checkLegal, it checks that legal can read each case
// that is about to be closed to her, so that her 404s come from that change alone.
func (fx *matrixFixture) caseSet(checkLegal bool) (map[string]string, error) {
	ctx, ts := context.Background(), fx.ts
	all := func(*cases.Case) bool { return true }
	actor := func(name string) cases.Actor {
		u := fx.users[name]
		return cases.Actor{UserID: u.ID, Username: u.Username, Org: u.Org, Role: string(u.Role)}
	}
	var in cases.Input
	raw, _ := json.Marshal(ts.caseInput(nil))
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	k := map[string]string{"missing": uuid.NewString()}
	for _, c := range []struct{ kind, recorder string }{
		{"own", "outreach"}, {"other", "outreach2"}, {"otherorg", "cal_outreach"}, {"granted", "outreach2"},
		{"expired", "outreach2"}, {"revoked", "outreach2"}, {"noconsent", "outreach2"},
	} {
		created, _, err := ts.Cases.Create(ctx, actor(c.recorder), in, "")
		if err != nil {
			return nil, fmt.Errorf("create the %s case: %w", c.kind, err)
		}
		k[c.kind] = created.ID
	}
	legal := fx.users["legal"]
	for kind, d := range map[string]time.Duration{"granted": 30 * 24 * time.Hour, "expired": time.Hour,
		"revoked": 30 * 24 * time.Hour, "noconsent": 30 * 24 * time.Hour} {
		if _, err := ts.Cases.Grant(ctx, actor("coordinator"), k[kind], legal.ID, legal.Username, ts.Clock.Now().Add(d), all); err != nil {
			return nil, fmt.Errorf("share the %s case: %w", kind, err)
		}
		if checkLegal {
			st, body, err := ts.try(http.MethodGet, "/api/v1/cases/"+k[kind], fx.tokens["legal"], nil)
			if err := expect("legal reads the "+kind+" case before the change", http.StatusOK, st, body, err); err != nil {
				return nil, err
			}
		}
	}
	if _, err := ts.Cases.Revoke(ctx, cases.Actor{Org: legal.Org}, k["revoked"], legal.ID, legal.Username, all); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	st, body, err := ts.try(http.MethodPatch, "/api/v1/cases/"+k["noconsent"], fx.tokens["coordinator"], map[string]any{
		"version": ts.version(k["noconsent"]), "consent": map[string]any{"legal_sharing": false}})
	if err := expect("withdraw legal-sharing consent", http.StatusOK, st, body, err); err != nil {
		return nil, err
	}
	stored, err := ts.Cases.Case(ctx, k["noconsent"], all)
	if err != nil {
		return nil, err
	}
	if stored.Consent.LegalSharing || len(stored.Grants) != 0 {
		return nil, fmt.Errorf("after the withdrawal of legal-sharing consent: legal_sharing %v, grants %+v; want false and none",
			stored.Consent.LegalSharing, stored.Grants)
	}
	return k, nil
}

// call makes the request of endpoint on case id as actor, with a valid body.
func (fx *matrixFixture) call(t *testing.T, actor, endpoint, id string) (int, map[string]any) {
	t.Helper()
	ts, token, path := fx.ts, fx.tokens[actor], "/api/v1/cases/"+id
	switch endpoint {
	case "read":
		return ts.do(t, http.MethodGet, path, token, nil)
	case "update":
		return ts.do(t, http.MethodPatch, path, token, map[string]any{
			"version": ts.version(id), "response": map[string]any{"referrals": []string{"legal"}},
		})
	case "followup":
		return ts.do(t, http.MethodPost, path+"/followups", token, map[string]any{"note": "Acompañamiento a la comisaría."})
	case "grant":
		return ts.do(t, http.MethodPost, path+"/grants", token, map[string]any{
			"user": "legal", "expires_at": ts.Clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339),
		})
	case "revoke":
		return ts.do(t, http.MethodDelete, path+"/grants/legal", token, nil)
	case "erase":
		return ts.do(t, http.MethodDelete, path, token, nil)
	}
	t.Fatalf("unknown endpoint %q", endpoint)
	return 0, nil
}

// checkRow makes the requests of one matrix row, one per kind of case, and checks
// their statuses and error bodies.
func (fx *matrixFixture) checkRow(t *testing.T, actor, endpoint string, want statuses) {
	for i, kind := range caseKinds {
		id := fx.sets[endpoint][kind]
		st, body := fx.call(t, actor, endpoint, id)
		if st != want[i] {
			t.Errorf("%s %s on the %s case: status %d, want %d (body %v)", actor, endpoint, kind, st, want[i], body)
			continue
		}
		if code, ok := errorCodes[st]; ok {
			if got, _, _ := errorOf(t, body); got != code {
				t.Errorf("%s %s on the %s case: error code %q, want %q", actor, endpoint, kind, got, code)
			}
		}
		if st == http.StatusNotFound {
			// Out of scope and absent must look the same.
			if diff := cmp.Diff(map[string]any{"error": map[string]any{"code": "not_found", "message": "not found"}}, body); diff != "" {
				t.Errorf("%s %s on the %s case: 404 body (-want +got):\n%s", actor, endpoint, kind, diff)
			}
		}
		if endpoint == "read" && st == http.StatusOK && body["id"] != id {
			t.Errorf("%s read the %s case: got id %v, want %s", actor, kind, body["id"], id)
		}
	}
}

// ids returns the ids of the given kinds in the given sets.
func (fx *matrixFixture) ids(sets []string, kinds ...string) []string {
	out := []string{}
	for _, s := range sets {
		for _, k := range kinds {
			out = append(out, fx.sets[s][k])
		}
	}
	return out
}

func randomToken(tb testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// errorCodes are the error codes the matrix expects with each status.
var errorCodes = map[int]string{401: "unauthenticated", 403: "forbidden", 404: "not_found", 422: "validation_failed"}

// cmpEmpty makes a nil and an empty list of ids equal.
var cmpEmpty = cmp.Transformer("nonNil", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})

// checkLists compares each actor's GET /api/v1/cases with want (in any order), and
// checks that the roles without case access are refused.
func checkLists(t *testing.T, fx *matrixFixture, want map[string][]string) {
	t.Helper()
	for actor, ids := range want {
		st, got := fx.ts.listIDs(t, fx.tokens[actor])
		if st != http.StatusOK {
			t.Errorf("%s: list status %d, want 200", actor, st)
			continue
		}
		ids = slices.Clone(ids)
		slices.Sort(ids)
		slices.Sort(got)
		if diff := cmp.Diff(ids, got, cmpEmpty); diff != "" {
			t.Errorf("%s: listed case ids (-want +got):\n%s", actor, diff)
		}
	}
	for actor, want := range map[string]int{"advocate": 403, "auditor": 403, "admin": 403, "anonymous": 401, "bad_token": 401} {
		st, body := fx.ts.do(t, http.MethodGet, "/api/v1/cases", fx.tokens[actor], nil)
		wantError(t, st, body, want, errorCodes[want])
	}
}
