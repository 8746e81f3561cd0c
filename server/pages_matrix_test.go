package server_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/cases"
)

// pageRequest is one page request standing for an API endpoint of caseMatrix.
type pageRequest struct {
	method string
	suffix string // after /cases/<id>
	form   func(fx *matrixFixture, id string) url.Values
}

// pageEndpoints are the pages of each case endpoint of the API matrix: the form
// (GET) first, then the action (POST), which may change or erase the case.
var pageEndpoints = map[string][]pageRequest{
	"read": {{method: "GET"}, {method: "GET", suffix: "/recorded"}},
	"update": {{method: "GET", suffix: "/edit"}, {method: "POST", suffix: "/edit",
		form: func(fx *matrixFixture, id string) url.Values {
			return url.Values{"version": {strconv.FormatInt(fx.ts.version(id), 10)}, "status": {"open"},
				"reported_to": {"none"}, "referrals": {"legal"}}
		}}},
	"followup": {{method: "POST", suffix: "/followups",
		form: func(*matrixFixture, string) url.Values {
			return url.Values{"note": {"Acompañamiento a la comisaría."}}
		}}},
	"grant": {{method: "GET", suffix: "/share"}, {method: "POST", suffix: "/share",
		form: func(fx *matrixFixture, _ string) url.Values {
			return url.Values{"user": {"legal"}, "expires": {fx.ts.Clock.Now().AddDate(0, 0, 7).Format(time.DateOnly)}}
		}}},
	"revoke": {{method: "POST", suffix: "/grants/legal/revoke"}},
	"erase": {{method: "GET", suffix: "/erase"}, {method: "POST", suffix: "/erase",
		form: func(fx *matrixFixture, id string) url.Values { return url.Values{"ref": {fx.refOf(id)}} }}},
}

// pageStatus is the status a page answers where the API answers api: a success is
// the page (GET) or a 303 to the next page (POST); no session sends a GET to sign in;
// a form for an action the store would refuse (422) is still shown, to say why.
func pageStatus(method string, api int) int {
	switch {
	case api >= 200 && api < 300 && method == http.MethodGet:
		return http.StatusOK
	case api >= 200 && api < 300:
		return http.StatusSeeOther
	case api == http.StatusUnauthorized && method == http.MethodGet:
		return http.StatusSeeOther
	case api == http.StatusUnprocessableEntity && method == http.MethodGet:
		return http.StatusOK
	}
	return api
}

// refOf is a case's reference, "" for a case that does not exist.
func (fx *matrixFixture) refOf(id string) string {
	k, err := fx.ts.Cases.Case(context.Background(), id, func(*cases.Case) bool { return true })
	if err != nil {
		return ""
	}
	return k.Ref
}

// browsers opens a browser session for every actor of the fixture from its API
// session token (the same session, carried by the cookie), plus one with a bad
// cookie and one with none.
func (fx *matrixFixture) browsers(t *testing.T) map[string]*webSession {
	t.Helper()
	out := map[string]*webSession{}
	u, _ := url.Parse(fx.ts.URL)
	for actor, token := range fx.tokens {
		if token == "" && actor != "anonymous" {
			continue // an account that records through the store only
		}
		w := fx.ts.newWebSession(t)
		jar, _ := cookiejar.New(nil)
		if token != "" {
			jar.SetCookies(u, []*http.Cookie{{Name: "registro", Value: token, Path: "/"}})
		}
		w.client.Jar = jar
		if actor != "anonymous" && actor != "bad_token" {
			if st, body := w.get(t, "/"); st != http.StatusOK || w.csrf == "" {
				t.Fatalf("%s's home page: %d, CSRF %q\n%s", actor, st, w.csrf, body)
			}
		}
		out[actor] = w
	}
	return out
}

var dataRef = regexp.MustCompile(`data-ref="([^"]+)"`)

// TestPagesAuthorization runs the API's authorization matrix (caseMatrix) through the
// web pages: every role × every case page × every kind of case answers as the API
// does, translated to pages (pageStatus); the lists hold what the API's lists hold;
// the organization-level pages open exactly for the roles that may use them.
func TestPagesAuthorization(t *testing.T) {
	t.Parallel()
	fx := newMatrixFixture(t)
	web := fx.browsers(t)
	lim := []string{"own", "other", "granted", "expired", "revoked", "noconsent"}

	t.Run("Lists", func(t *testing.T) {
		for actor, ids := range map[string][]string{
			"outreach":        fx.ids(caseEndpoints, "own"),
			"coordinator":     fx.ids(caseEndpoints, lim...),
			"legal":           fx.ids(caseEndpoints, "granted"),
			"legal2":          {},
			"cal_coordinator": fx.ids(caseEndpoints, "otherorg"),
		} {
			st, body := web[actor].get(t, "/cases")
			if st != http.StatusOK {
				t.Fatalf("%s: list %d", actor, st)
			}
			var got, want []string
			for _, m := range dataRef.FindAllStringSubmatch(body, -1) {
				got = append(got, m[1])
			}
			for _, id := range ids {
				want = append(want, fx.refOf(id))
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
				t.Errorf("%s: listed references (-want +got):\n%s", actor, diff)
			}
		}
		for actor, want := range map[string]int{"advocate": 403, "auditor": 403, "admin": 403, "anonymous": 303, "bad_token": 303} {
			if st, _ := web[actor].get(t, "/cases"); st != want {
				t.Errorf("%s: list %d, want %d", actor, st, want)
			}
		}
	})

	requests := 0
	t.Run("Matrix", func(t *testing.T) {
		for _, endpoint := range caseEndpoints {
			t.Run(endpoint, func(t *testing.T) {
				for _, row := range caseMatrix {
					if row.endpoint != endpoint {
						continue
					}
					for _, pr := range pageEndpoints[endpoint] {
						for i, kind := range caseKinds {
							id := fx.sets[endpoint][kind]
							w, path := web[row.actor], "/cases/"+id+pr.suffix
							var st int
							var body string
							if pr.method == http.MethodGet {
								st, body = w.get(t, path)
							} else {
								form := url.Values{}
								if pr.form != nil {
									form = pr.form(fx, id)
								}
								var res *http.Response
								res, body = w.post(t, path, form)
								st = res.StatusCode
							}
							requests++
							if want := pageStatus(pr.method, row.want[i]); st != want {
								t.Errorf("%s %s %s on the %s case: %d, want %d (API %d)", row.actor, pr.method, pr.suffix, kind, st, want, row.want[i])
								continue
							}
							if st == http.StatusNotFound && !strings.Contains(body, "No encontrado") {
								t.Errorf("%s %s %s on the %s case: the 404 page does not say not found", row.actor, pr.method, pr.suffix, kind)
							}
						}
					}
				}
			})
		}
	})
	t.Logf("page authorization matrix: %d requests", requests)

	t.Run("ActionsTookEffect", func(t *testing.T) {
		// The 303s above were real changes: the erased cases are gone, the shares exist,
		// the follow-ups are stored.
		for _, kind := range append(slices.Clone(lim), "otherorg") {
			if ref := fx.refOf(fx.sets["erase"][kind]); ref != "" {
				t.Errorf("the %s case of the erase set survived as %s", kind, ref)
			}
		}
		all := func(*cases.Case) bool { return true }
		for _, kind := range []string{"own", "other", "granted", "expired", "revoked"} {
			k, err := fx.ts.Cases.Case(context.Background(), fx.sets["grant"][kind], all)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(k.Grants, func(g cases.Grant) bool { return g.Username == "legal" && g.ExpiresAt.After(fx.ts.Clock.Now()) }) {
				t.Errorf("the %s case of the grant set holds no live share with legal: %+v", kind, k.Grants)
			}
		}
		k, err := fx.ts.Cases.Case(context.Background(), fx.sets["followup"]["granted"], all)
		if err != nil {
			t.Fatal(err)
		}
		// The coordinator's and the legal partner's; nobody else reaches that case.
		if len(k.Followups) != 2 {
			t.Errorf("follow-ups on the granted case of the follow-up set: %d, want 2", len(k.Followups))
		}
	})

	t.Run("OrganizationPages", func(t *testing.T) {
		// Who may open each organization-level page (SPEC §3); everyone else signed in
		// gets 403, and no session goes to sign in.
		may := map[string][]string{
			"/cases/new":            {"outreach", "outreach2", "coordinator", "cal_coordinator"},
			"/stats":                {"coordinator", "advocate", "cal_coordinator"},
			"/stats?source=release": {"coordinator", "advocate", "cal_coordinator"},
			"/accounts":             {"coordinator", "cal_coordinator", "admin"},
			"/orgs":                 {"admin"},
			"/import":               {"coordinator", "cal_coordinator"},
			"/rights":               {"coordinator", "cal_coordinator"},
			"/audit":                {"auditor"},
			"/account":              {"outreach", "outreach2", "coordinator", "legal", "legal2", "advocate", "auditor", "admin", "cal_coordinator"},
			"/":                     {"outreach", "outreach2", "coordinator", "legal", "legal2", "advocate", "auditor", "admin", "cal_coordinator"},
			"/phone":                {"outreach", "outreach2", "coordinator", "legal", "legal2", "advocate", "auditor", "admin", "cal_coordinator"},
		}
		for path, allowed := range may {
			for actor, w := range web {
				want := http.StatusForbidden
				switch {
				case actor == "anonymous" || actor == "bad_token":
					want = http.StatusSeeOther
				case slices.Contains(allowed, actor):
					want = http.StatusOK
				}
				if st, _ := w.get(t, path); st != want {
					t.Errorf("%s GET %s: %d, want %d", actor, path, st, want)
				}
			}
		}
	})

	t.Run("PublishPage", func(t *testing.T) {
		// Only coordinators publish, each her own organization's release; no session
		// is 401 (a form is never sent to sign in).
		q := closedQuarter(fx.ts)
		for actor, w := range web {
			want := http.StatusForbidden
			switch actor {
			case "anonymous", "bad_token":
				want = http.StatusUnauthorized
			case "coordinator", "cal_coordinator":
				want = http.StatusSeeOther
			}
			if res, body := w.post(t, "/stats/releases", url.Values{"period": {q}}); res.StatusCode != want {
				t.Errorf("%s POST /stats/releases: %d, want %d\n%s", actor, res.StatusCode, want, body)
			}
		}
		for org, by := range map[string]string{"LIM": "coordinator", "CAL": "cal-coordinator"} {
			list, err := fx.ts.Releases.List(context.Background(), org)
			if err != nil || len(list) != 1 || list[0].By != by || list[0].Period != q {
				t.Errorf("%s's releases: %+v, %v; want one of %s by %s", org, list, err, q, by)
			}
		}
	})
}
