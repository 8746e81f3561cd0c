package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/accounts"
	"registro/alerts"
	"registro/audit"
)

// alertInput is a valid alert as the API takes it.
func alertInput(change func(map[string]any)) map[string]any {
	in := map[string]any{
		"aggressor": "serenazgo", "district": "150115", "hours": []string{"night"},
		"description": map[string]any{"vehicle": "camioneta blanca", "plate": "EAB-7", "uniform": "chaleco naranja"},
		"internal":    []string{"plate"},
		"behaviour":   "Pide cupos a las compañeras y se lleva los condones.",
		"advice":      "Caminar en grupo después de las 22 h.",
	}
	if change != nil {
		change(in)
	}
	return in
}

// alertFixture is LIM with one account of every role, CAL with a coordinator and an
// outreach worker, all signed in to the API.
type alertFixture struct {
	ts     *testServer
	users  map[string]accounts.User
	tokens map[string]string
	kept   map[string]string // org|state → an alert no request changes
}

// alertOf is an alert of org in state that the requests only read or are refused on.
func (fx *alertFixture) alertOf(t *testing.T, org, state string) string {
	t.Helper()
	if id, ok := fx.kept[org+"|"+state]; ok {
		return id
	}
	id := fx.alertIn(t, org, state)
	fx.kept[org+"|"+state] = id
	return id
}

var alertActors = []struct {
	actor, org, username string
	role                 accounts.Role
}{
	{"outreach", "LIM", "al-outreach", accounts.RoleOutreach},
	{"outreach2", "LIM", "al-outreach2", accounts.RoleOutreach},
	{"coordinator", "LIM", "al-coordinator", accounts.RoleCoordinator},
	{"legal", "LIM", "al-legal", accounts.RoleLegal},
	{"advocate", "LIM", "al-advocate", accounts.RoleAdvocate},
	{"auditor", "LIM", "al-auditor", accounts.RoleAuditor},
	{"admin", "LIM", "al-admin", accounts.RoleAdmin},
	{"cal_coordinator", "CAL", "al-cal-coordinator", accounts.RoleCoordinator},
	{"cal_outreach", "CAL", "al-cal-outreach", accounts.RoleOutreach},
}

func newAlertFixture(t *testing.T) *alertFixture {
	t.Helper()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	fx := &alertFixture{ts: ts, users: map[string]accounts.User{}, tokens: map[string]string{}, kept: map[string]string{}}
	for _, a := range alertActors {
		fx.users[a.actor], fx.tokens[a.actor] = ts.mustUserToken(t, a.org, a.username, a.role)
	}
	return fx
}

// alertIn stores an alert of org through the store, in state: proposed, approved,
// shared (approved and shared) or ended (withdrawn); it returns its id.
func (fx *alertFixture) alertIn(t *testing.T, org, state string) string {
	t.Helper()
	ctx := context.Background()
	var in alerts.Input
	raw, _ := json.Marshal(alertInput(nil))
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	st := fx.ts.Alerts
	if err := in.Validate(st.Vocabulary(), nil); err != nil {
		t.Fatal(err)
	}
	a, err := st.Propose(ctx, org, "someone", in)
	if err != nil {
		t.Fatal(err)
	}
	change := func(f func(*alerts.Alert, time.Time) error) {
		if _, err := st.Change(ctx, a.ID, 0, nil, f); err != nil {
			t.Fatal(err)
		}
	}
	if state != "proposed" {
		change(func(a *alerts.Alert, now time.Time) error { return alerts.Approve(a, now, st.Validity) })
	}
	switch state {
	case "shared":
		change(alerts.Share(true))
	case "ended":
		change(alerts.Withdraw)
	}
	return a.ID
}

// alertActions are the actions on one alert, each with the state its alert needs.
var alertActions = []struct {
	name, method, suffix, state string
	body                        map[string]any
}{
	{"read", http.MethodGet, "", "approved", nil},
	{"text", http.MethodGet, "/text", "approved", nil},
	{"edit", http.MethodPatch, "", "proposed", alertInput(nil)},
	{"approve", http.MethodPost, "/approve", "proposed", map[string]any{}},
	{"reject", http.MethodPost, "/reject", "proposed", map[string]any{"reason": "Ya hay una alerta igual."}},
	{"renew", http.MethodPost, "/renew", "approved", map[string]any{}},
	{"withdraw", http.MethodPost, "/withdraw", "approved", map[string]any{}},
	{"share", http.MethodPost, "/share", "approved", map[string]any{"shared": true}},
}

// TestAlertsAuthorization crosses every role with every alert action on an alert of
// her own organization and one of another organization: what the role never does is
// 403, another organization's alert is 404 as if it did not exist, and every refusal
// is in the access log.
func TestAlertsAuthorization(t *testing.T) {
	t.Parallel()
	fx := newAlertFixture(t)
	ts := fx.ts
	type denial struct{ org, actor, action, id string }
	var denials []denial
	for _, act := range alertActions {
		path := func(id string) string { return "/api/v1/alerts/" + id + act.suffix }
		if st := ts.mustNotAnon(t, act.method, path(fx.alertOf(t, "LIM", act.state))); st != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d", act.name, st)
		}
		for _, a := range alertActors {
			other := map[string]string{"LIM": "CAL", "CAL": "LIM"}[a.org]
			for _, target := range []struct{ which, org string }{{"own", a.org}, {"other", other}} {
				want := alertWant(a.actor, act.name, target.which)
				id := fx.alertOf(t, target.org, act.state)
				if want == http.StatusOK && act.method != http.MethodGet {
					id = fx.alertIn(t, target.org, act.state) // this one changes it
				}
				var st int
				var body map[string]any
				if act.name == "text" {
					resp, raw, err := ts.send(request{method: act.method, path: path(id), token: fx.tokens[a.actor]})
					if err != nil {
						t.Fatal(err)
					}
					st = resp.StatusCode
					if st == http.StatusOK && !strings.Contains(string(raw), "camioneta blanca") {
						t.Errorf("%s text of the %s alert: %q", a.actor, target.which, raw)
					}
				} else {
					st, body = ts.do(t, act.method, path(id), fx.tokens[a.actor], act.body)
				}
				if st != want {
					t.Errorf("%s %s on the %s organization's alert: status %d, want %d (%v)", a.actor, act.name, target.which, st, want, body)
				}
				if st == http.StatusNotFound && body != nil {
					if code, _, _ := errorOf(t, body); code != "not_found" {
						t.Errorf("%s %s on another organization's alert: code %q", a.actor, act.name, code)
					}
				}
				if st == http.StatusForbidden {
					denials = append(denials, denial{a.org, a.actor, act.name, id})
				}
			}
		}
	}
	// Every refusal is in the access log of the refused account's organization.
	for _, org := range []string{"LIM", "CAL"} {
		entries := auditEntries(t, ts, org, "")
		for _, d := range denials {
			if d.org == org && !hasAuditEntry(entries, fx.users[d.actor].ID, d.id, "denied") {
				t.Errorf("%s %s refused without an access-log entry", d.actor, d.action)
			}
		}
	}
	// What is not about one alert: the lists, proposing, the organization's setting.
	for _, a := range alertActors {
		for _, tt := range []struct {
			name, method, path string
			body               any
			want               int
		}{
			{"list current", http.MethodGet, "/api/v1/alerts", nil, ok(alertReaders[a.actor])},
			{"list mine", http.MethodGet, "/api/v1/alerts?list=mine", nil, ok(alertReaders[a.actor])},
			{"list proposals", http.MethodGet, "/api/v1/alerts?list=proposals", nil, ok(alertCoordinators[a.actor])},
			{"list ended", http.MethodGet, "/api/v1/alerts?list=ended", nil, ok(alertCoordinators[a.actor])},
			{"propose", http.MethodPost, "/api/v1/alerts", alertInput(nil), map[bool]int{true: 201, false: 403}[alertReaders[a.actor]]},
			{"settings", http.MethodGet, "/api/v1/alerts/settings", nil, ok(alertCoordinators[a.actor])},
			{"set settings", http.MethodPut, "/api/v1/alerts/settings", map[string]any{"receive": false}, ok(alertCoordinators[a.actor])},
		} {
			if st, body := ts.do(t, tt.method, tt.path, fx.tokens[a.actor], tt.body); st != tt.want {
				t.Errorf("%s %s: status %d, want %d (%v)", a.actor, tt.name, st, tt.want, body)
			}
			if st := ts.mustNotAnon(t, tt.method, tt.path); st != http.StatusUnauthorized {
				t.Errorf("anonymous %s: %d", tt.name, st)
			}
		}
	}
}

// Who may see alerts, and who may do everything else to them.
var (
	alertReaders      = map[string]bool{"outreach": true, "outreach2": true, "coordinator": true, "cal_coordinator": true, "cal_outreach": true}
	alertCoordinators = map[string]bool{"coordinator": true, "cal_coordinator": true}
)

// alertWant is the API's status for actor doing action on an alert of her own
// organization or another's ("own", "other").
func alertWant(actor, action, which string) int {
	allowed := alertReaders[actor]
	if action != "read" && action != "text" {
		allowed = alertCoordinators[actor]
	}
	switch {
	case allowed && which == "own":
		return http.StatusOK
	case allowed:
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

func ok(yes bool) int {
	if yes {
		return http.StatusOK
	}
	return http.StatusForbidden
}

// mustNotAnon makes the request without a token and returns its status.
func (ts *testServer) mustNotAnon(t *testing.T, method, path string) int {
	t.Helper()
	st, _ := ts.do(t, method, path, "", nil)
	return st
}

// listIDs is the ids of GET path as actor.
func (fx *alertFixture) listIDs(t *testing.T, actor, path string) []string {
	t.Helper()
	st, body := fx.ts.do(t, http.MethodGet, path, fx.tokens[actor], nil)
	if st != http.StatusOK {
		t.Fatalf("%s GET %s: %d %v", actor, path, st, body)
	}
	out := []string{}
	list, _ := body["alerts"].([]any)
	for _, a := range list {
		out = append(out, a.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

// TestAlertLists: each list holds what its readers may see, and nothing of another
// organization unless shared with one that receives shared alerts; a proposal is seen
// by its proposer and the coordinators, never by the other members.
func TestAlertLists(t *testing.T) {
	t.Parallel()
	fx := newAlertFixture(t)
	ts := fx.ts
	lim := fx.alertIn(t, "LIM", "approved")
	limEnded := fx.alertIn(t, "LIM", "ended")
	cal := fx.alertIn(t, "CAL", "approved")
	calShared := fx.alertIn(t, "CAL", "shared")
	st, body := ts.do(t, http.MethodPost, "/api/v1/alerts", fx.tokens["outreach"], alertInput(func(m map[string]any) { m["district"] = "150132" }))
	if st != http.StatusCreated || body["state"] != "proposed" {
		t.Fatalf("propose: %d %v", st, body)
	}
	proposal := body["id"].(string)
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	checks := []struct {
		actor, path string
		want        []string
	}{
		{"outreach", "/api/v1/alerts", []string{lim}},
		{"outreach2", "/api/v1/alerts", []string{lim}},
		{"outreach", "/api/v1/alerts?list=mine", []string{proposal}},
		{"outreach2", "/api/v1/alerts?list=mine", []string{}},
		{"coordinator", "/api/v1/alerts?list=proposals", []string{proposal}},
		{"coordinator", "/api/v1/alerts?list=ended", []string{limEnded}},
		{"cal_outreach", "/api/v1/alerts", []string{cal, calShared}},
		{"outreach", "/api/v1/alerts?district=150132", []string{}},
		{"outreach", "/api/v1/alerts?district=150115", []string{lim}},
	}
	for _, c := range checks {
		if got := fx.listIDs(t, c.actor, c.path); !slices.Equal(got, sorted(c.want...)) {
			t.Errorf("%s %s: %v, want %v", c.actor, c.path, got, c.want)
		}
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/alerts/"+proposal, fx.tokens["outreach2"], nil); st != http.StatusNotFound {
		t.Errorf("another worker opens a proposal: %d, want 404", st)
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/alerts?district=999999", fx.tokens["outreach"], nil); st != http.StatusUnprocessableEntity {
		t.Errorf("an unknown district: %d, want 422", st)
	}
	// LIM chooses to receive: CAL's shared alert shows, without its internal plate.
	if st, body := ts.do(t, http.MethodPut, "/api/v1/alerts/settings", fx.tokens["coordinator"], map[string]any{"receive": true}); st != http.StatusOK {
		t.Fatalf("receive: %d %v", st, body)
	}
	if got := fx.listIDs(t, "outreach", "/api/v1/alerts"); !slices.Equal(got, sorted(lim, calShared)) {
		t.Errorf("LIM receiving: %v, want %v", got, sorted(lim, calShared))
	}
	st, body = ts.do(t, http.MethodGet, "/api/v1/alerts/"+calShared, fx.tokens["outreach"], nil)
	desc, _ := body["description"].(map[string]any)
	if st != http.StatusOK || body["from_other_org"] != true || desc["plate"] != nil || desc["vehicle"] != "camioneta blanca" || body["internal"] != nil {
		t.Errorf("CAL's shared alert seen from LIM: %d %v", st, body)
	}
	// Expiry: after the validity no list shows the alerts as current.
	ts.Clock.Advance(alerts.DefaultValidity)
	for _, actor := range []string{"outreach", "coordinator"} {
		fx.tokens[actor] = ts.login(t, fx.users[actor].Username, passwordOf(fx.users[actor].Username))
	}
	if got := fx.listIDs(t, "outreach", "/api/v1/alerts"); len(got) != 0 {
		t.Errorf("after the validity: %v", got)
	}
	if got := fx.listIDs(t, "coordinator", "/api/v1/alerts?list=ended"); !slices.Equal(got, sorted(lim, limEnded)) {
		t.Errorf("ended after the validity: %v", got)
	}
	if st, body := ts.do(t, http.MethodPost, "/api/v1/alerts/"+lim+"/renew", fx.tokens["coordinator"], nil); st != http.StatusOK || body["state"] != "approved" {
		t.Errorf("renew an expired alert: %d %v", st, body)
	}
	if got := fx.listIDs(t, "outreach", "/api/v1/alerts"); !slices.Equal(got, []string{lim}) {
		t.Errorf("after renewal: %v", got)
	}
}

// TestAlertCarriesNothingOfTheCase: a worker starts an alert from her case. The
// attacker holds every answer and page about the alert that anyone can get (the
// worker, another worker, the coordinator, another organization's worker), the text
// for WhatsApp, and the alert's documents in the database; none holds the case's id,
// reference, pseudonym, incident date, recording time, narrative, contact or place.
// (The kind of aggressor and the district are the alert's own, and start as the
// case's.)
func TestAlertCarriesNothingOfTheCase(t *testing.T) {
	t.Parallel()
	fx := newAlertFixture(t)
	ts := fx.ts
	caseID := ts.mustCreateCase(t, fx.tokens["outreach"], func(m map[string]any) {
		m["uic"] = "MAJO1585"
		m["narrative"] = "Un sereno de chaleco naranja la golpeó en el hostal Miraflores Inn."
		m["contact"] = "987 654 321"
		m["consent"] = map[string]any{"record": true, "statistics": true, "legal_sharing": true, "contact": true}
		m["incident"] = map[string]any{"date": "2026-10-07", "date_precision": "day", "district": "150115", "place": "hotel"}
	})
	_, k := ts.do(t, http.MethodGet, "/api/v1/cases/"+caseID, fx.tokens["outreach"], nil)
	// Started from the case: the form takes the kind of aggressor and the district.
	_, w := ts.webUser(t, "LIM", "al-web-outreach", accounts.RoleOutreach)
	// The case is the web worker's: she records it through her page session's API twin.
	webCase := ts.mustCreateCase(t, ts.login(t, "al-web-outreach", passwordOf("al-web-outreach")), nil)
	st, page := w.get(t, "/alerts/new?from="+webCase)
	if st != http.StatusOK || !strings.Contains(page, `value="serenazgo" selected`) || !strings.Contains(page, `value="150115" selected`) {
		t.Fatalf("the form started from a case: %d", st)
	}
	// The text names her code, the case's reference and her contact: each is refused.
	for _, leak := range []string{"MAJO1585", k["ref"].(string), k["subject"].(string), "987654321"} {
		st, body := ts.do(t, http.MethodPost, "/api/v1/alerts", fx.tokens["outreach"], alertInput(func(m map[string]any) {
			m["from_case"] = caseID
			m["advice"] = "Es la del " + leak
		}))
		if st != http.StatusUnprocessableEntity {
			t.Errorf("advice naming %q: %d %v", leak, st, body)
		}
	}
	st, body := ts.do(t, http.MethodPost, "/api/v1/alerts", fx.tokens["outreach"], alertInput(func(m map[string]any) { m["from_case"] = caseID }))
	if st != http.StatusCreated {
		t.Fatalf("propose from the case: %d %v", st, body)
	}
	id := body["id"].(string)
	for _, step := range []string{"approve", "share"} {
		if st, body := ts.do(t, http.MethodPost, "/api/v1/alerts/"+id+"/"+step, fx.tokens["coordinator"], map[string]any{"shared": true}); st != http.StatusOK {
			t.Fatalf("%s: %d %v", step, st, body)
		}
	}
	if st, _ := ts.do(t, http.MethodPut, "/api/v1/alerts/settings", fx.tokens["cal_coordinator"], map[string]any{"receive": true}); st != http.StatusOK {
		t.Fatal("CAL receives")
	}
	// What the attacker holds.
	var held []string
	for _, actor := range []string{"outreach", "outreach2", "coordinator", "cal_outreach"} {
		for _, path := range []string{"/api/v1/alerts", "/api/v1/alerts/" + id, "/api/v1/alerts/" + id + "/text", "/api/v1/alerts?list=mine"} {
			resp, raw, err := ts.send(request{method: http.MethodGet, path: path, token: fx.tokens[actor]})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				held = append(held, actor+" "+path+": "+string(raw))
			}
		}
	}
	for _, who := range []struct {
		org, user string
		role      accounts.Role
	}{{"LIM", "al-web-coordinator", accounts.RoleCoordinator}, {"CAL", "al-web-cal", accounts.RoleOutreach}} {
		_, ws := ts.webUser(t, who.org, who.user, who.role)
		for _, path := range []string{"/", "/alerts", "/alerts/" + id} {
			if st, page := ws.get(t, path); st == http.StatusOK {
				held = append(held, who.user+" "+path+": "+page)
			}
		}
	}
	for _, coll := range []string{"alerts", "alert_versions"} {
		cur, err := ts.DB.Database.Collection(coll).Find(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(context.Background(), &docs); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(docs)
		held = append(held, coll+": "+string(raw))
	}
	if len(held) < 20 {
		t.Fatalf("the attacker holds too little to mean anything: %d pieces", len(held))
	}
	recorded, _ := time.Parse(time.RFC3339Nano, k["recorded_at"].(string))
	caseFields := map[string]string{
		"id": caseID, "ref": k["ref"].(string), "subject": k["subject"].(string),
		"incident date": "2026-10-07", "incident date (Lima)": "07/10/2026",
		"recorded at": k["recorded_at"].(string), "recorded at (ms)": recorded.UTC().Format("2006-01-02T15:04:05.000"),
		"narrative": "hostal Miraflores Inn", "narrative words": "la golpeó", "contact": "987 654 321",
		"contact digits": "987654321", "uic": "MAJO1585", "recorder": fx.users["outreach"].Username,
	}
	for _, piece := range held {
		for name, v := range caseFields {
			if strings.Contains(piece, v) {
				where, _, _ := strings.Cut(piece, ":")
				t.Errorf("%s holds the case's %s (%q)", where, name, v)
			}
		}
	}
}

// TestAlertPages: a worker proposes from the page, is warned about a phone number and
// confirms after looking again; the coordinator approves; another worker sees it on
// her home page with the text for WhatsApp (without the internal field), filtered by
// district; it leaves the home page when it expires. Each step is in the access log.
func TestAlertPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	worker, w := ts.webUser(t, "LIM", "pg-outreach", accounts.RoleOutreach)
	_, w2 := ts.webUser(t, "LIM", "pg-outreach2", accounts.RoleOutreach)
	coord, cw := ts.webUser(t, "LIM", "pg-coordinator", accounts.RoleCoordinator)
	form := func() url.Values {
		return url.Values{"aggressor": {"client"}, "district": {"150122"}, "hours": {"night", "early_morning"},
			"vehicle": {"auto rojo"}, "plate": {"abc-1"}, "physical": {"alto, con tatuaje en el cuello"},
			"behaviour": {"Paga y luego amenaza con un cuchillo. Su número es 912 345 678."},
			"advice":    {"No subir a su auto."}}
	}
	res, page := w.post(t, "/alerts/new", form())
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="alert-warning"`) ||
		!strings.Contains(page, "Parece un número de teléfono") || !strings.Contains(page, "alto, con tatuaje en el cuello") {
		t.Fatalf("a phone number in the text: %d, warning shown: %v", res.StatusCode, strings.Contains(page, `id="alert-warning"`))
	}
	confirmed := form()
	confirmed.Set("checked", "yes")
	confirmed.Set("behaviour", "Paga y luego amenaza con un cuchillo.")
	if page := followed(t, w, "/alerts/new", confirmed); !strings.Contains(page, "La propuesta se envió") {
		t.Fatal("the proposal is not confirmed")
	}
	if _, page := w2.get(t, "/"); strings.Contains(page, "auto rojo") {
		t.Fatal("another worker sees a proposal before approval")
	}
	_, page = cw.get(t, "/alerts")
	i := strings.Index(page, `<section aria-labelledby="proposals-h" id="alerts-proposals">`)
	j := strings.Index(page[i:], `href="/alerts/`)
	if i < 0 || j < 0 {
		t.Fatal("the coordinator's page lists no proposal")
	}
	id := strings.SplitN(page[i+j+len(`href="/alerts/`):], `"`, 2)[0]
	edit := form()
	edit.Set("behaviour", "Paga y luego amenaza con un cuchillo.")
	edit.Set("version", "1")
	edit["internal"] = []string{"plate"}
	if page := followed(t, cw, "/alerts/"+id+"/edit", edit); !strings.Contains(page, "La alerta se corrigió") {
		t.Fatal("the edit is not confirmed")
	}
	if page := followed(t, cw, "/alerts/"+id+"/approve", url.Values{"version": {"2"}}); !strings.Contains(page, "La alerta se publicó") {
		t.Fatal("the approval is not confirmed")
	}
	_, home := w2.get(t, "/")
	if !strings.Contains(home, "auto rojo") || !strings.Contains(home, "Copiar para WhatsApp") {
		t.Fatal("the approved alert is not on another worker's home page")
	}
	text := between(home, `class="alert-text" readonly rows="7">`, "</textarea>")
	for _, want := range []string{"ALERTA", "Cliente", "Miraflores", "madrugada (0 a 6 h), noche (18 a 24 h)", "auto rojo", "No subir a su auto.", "Vigente hasta el"} {
		if !strings.Contains(text, want) {
			t.Errorf("the WhatsApp text lacks %q: %q", want, text)
		}
	}
	if strings.Contains(text, "ABC-1") {
		t.Errorf("the WhatsApp text holds the internal plate: %q", text)
	}
	if !strings.Contains(home, "ABC-1") {
		t.Error("the organization's own page does not show the internal plate")
	}
	if _, other := w2.get(t, "/?district=150132"); strings.Contains(other, "auto rojo") {
		t.Error("the district filter shows another district's alert")
	}
	ts.Clock.Advance(alerts.DefaultValidity + time.Minute)
	if _, home := w2.get(t, "/"); strings.Contains(home, "auto rojo") {
		t.Error("an expired alert is still on the home page")
	}
	for action, who := range map[string]string{"alert.propose": worker.ID, "alert.edit": coord.ID, "alert.approve": coord.ID} {
		if !slices.ContainsFunc(auditEntries(t, ts, "LIM", action), func(e audit.Entry) bool { return e.Actor == who && e.Outcome == "ok" && e.Object == id }) {
			t.Errorf("no access-log entry %s", action)
		}
	}
}

// followed posts form to path, expects 303 See Other, and returns the page it leads to.
func followed(t *testing.T, w *webSession, path string, form url.Values) string {
	t.Helper()
	res, body := w.post(t, path, form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d, want 303\n%s", path, res.StatusCode, body)
	}
	st, page := w.get(t, res.Header.Get("Location"))
	if st != http.StatusOK {
		t.Fatalf("GET %s after POST %s: %d\n%s", res.Header.Get("Location"), path, st, page)
	}
	return page
}

// between is the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(after, to)
	return in
}

// TestAlertPagesAuthorization runs the alert matrix through the pages: every role ×
// every alert page × an alert of her own organization and of another answers as the
// API does, translated to pages (pageStatus); the organization-level pages open
// exactly for the roles that may use them.
func TestAlertPagesAuthorization(t *testing.T) {
	t.Parallel()
	fx := newAlertFixture(t)
	ts := fx.ts
	u, _ := url.Parse(ts.URL)
	browsers := map[string]*webSession{}
	for _, a := range alertActors {
		w := ts.newWebSession(t)
		jar, _ := cookiejar.New(nil)
		jar.SetCookies(u, []*http.Cookie{{Name: "registro", Value: fx.tokens[a.actor], Path: "/"}})
		w.client.Jar = jar
		if st, _ := w.get(t, "/"); st != http.StatusOK || w.csrf == "" {
			t.Fatalf("%s's home page: %d", a.actor, st)
		}
		browsers[a.actor] = w
	}
	content := func(version string) url.Values {
		return url.Values{"version": {version}, "aggressor": {"police"}, "district": {"150115"}, "behaviour": {"Detiene sin motivo y pide dinero."}}
	}
	pages := []struct {
		action, method, suffix, state string
		form                          url.Values
	}{
		{"read", http.MethodGet, "", "approved", nil},
		{"edit", http.MethodGet, "/edit", "approved", nil},
		{"edit", http.MethodPost, "/edit", "proposed", content("1")},
		{"approve", http.MethodPost, "/approve", "proposed", url.Values{}},
		{"reject", http.MethodPost, "/reject", "proposed", url.Values{"reason": {"Repetida."}}},
		{"renew", http.MethodPost, "/renew", "approved", url.Values{}},
		{"withdraw", http.MethodPost, "/withdraw", "approved", url.Values{}},
		{"share", http.MethodPost, "/share", "approved", url.Values{"shared": {"yes"}}},
	}
	for _, pg := range pages {
		for _, a := range alertActors {
			other := map[string]string{"LIM": "CAL", "CAL": "LIM"}[a.org]
			for _, target := range []struct{ which, org string }{{"own", a.org}, {"other", other}} {
				want := pageStatus(pg.method, alertWant(a.actor, pg.action, target.which))
				id := fx.alertOf(t, target.org, pg.state)
				if want == http.StatusSeeOther {
					id = fx.alertIn(t, target.org, pg.state) // this one changes it
				}
				var st int
				if pg.method == http.MethodGet {
					st, _ = browsers[a.actor].get(t, "/alerts/"+id+pg.suffix)
				} else {
					form := url.Values{}
					for k, v := range pg.form {
						form[k] = slices.Clone(v)
					}
					res, _ := browsers[a.actor].post(t, "/alerts/"+id+pg.suffix, form)
					st = res.StatusCode
				}
				if st != want {
					t.Errorf("%s %s %s on the %s organization's alert: %d, want %d", a.actor, pg.method, pg.suffix, target.which, st, want)
				}
			}
		}
	}
	for _, a := range alertActors {
		for _, pg := range []struct {
			method, path string
			form         url.Values
			want         int
		}{
			{http.MethodGet, "/alerts", nil, ok(alertReaders[a.actor])},
			{http.MethodGet, "/alerts/new", nil, ok(alertReaders[a.actor])},
			{http.MethodPost, "/alerts/new", content(""), map[bool]int{true: http.StatusSeeOther, false: http.StatusForbidden}[alertReaders[a.actor]]},
			{http.MethodPost, "/alerts/settings", url.Values{"receive": {"yes"}}, map[bool]int{true: http.StatusSeeOther, false: http.StatusForbidden}[alertCoordinators[a.actor]]},
		} {
			var st int
			if pg.method == http.MethodGet {
				st, _ = browsers[a.actor].get(t, pg.path)
			} else {
				res, _ := browsers[a.actor].post(t, pg.path, pg.form)
				st = res.StatusCode
			}
			if st != pg.want {
				t.Errorf("%s %s %s: %d, want %d", a.actor, pg.method, pg.path, st, pg.want)
			}
		}
		// The home page shows the current alerts exactly to those who read them.
		_, home := browsers[a.actor].get(t, "/")
		if got := strings.Contains(home, `id="home-alerts"`); got != alertReaders[a.actor] {
			t.Errorf("%s's home page shows alerts: %v", a.actor, got)
		}
	}
}
