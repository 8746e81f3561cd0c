package server_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"registro/accounts"
)

// wsClient is a browser for the page tests: it keeps cookies, does not follow
// redirects (the tests look at the 303s themselves), and posts forms with the CSRF
// token of the last page it read.
type wsClient struct {
	tb   testing.TB
	ts   *testServer
	http *http.Client
	csrf string
}

var wsCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// wsBrowser is a browser that has not signed in.
func (ts *testServer) wsBrowser(tb testing.TB) *wsClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &wsClient{tb: tb, ts: ts, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// wsSignIn signs in through the /login form, as a person would.
func (ts *testServer) wsSignIn(tb testing.TB, username, password string) *wsClient {
	tb.Helper()
	w := ts.wsBrowser(tb)
	if err := w.trySignIn(username, password); err != nil {
		tb.Fatal(err)
	}
	return w
}

func (w *wsClient) trySignIn(username, password string) error {
	if resp, _ := w.get("/login"); resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /login: %d", resp.StatusCode)
	}
	resp, body := w.post("/login", url.Values{"username": {username}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in as %s: status %d\n%s", username, resp.StatusCode, body)
	}
	w.get("/") // the session's CSRF token
	return nil
}

// get reads a page and remembers its CSRF token.
func (w *wsClient) get(path string) (*http.Response, string) {
	w.tb.Helper()
	return w.send(http.MethodGet, path, nil)
}

// post sends a form with the remembered CSRF token, unless the form has one.
func (w *wsClient) post(path string, form url.Values) (*http.Response, string) {
	w.tb.Helper()
	if !form.Has("csrf_token") {
		form.Set("csrf_token", w.csrf)
	}
	return w.send(http.MethodPost, path, form)
}

func (w *wsClient) send(method, path string, form url.Values) (*http.Response, string) {
	w.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.ts.URL+path, body)
	if err != nil {
		w.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.http.Do(req)
	if err != nil {
		w.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		w.tb.Fatal(err)
	}
	if m := wsCSRF.FindSubmatch(raw); m != nil {
		w.csrf = string(m[1])
	}
	return resp, string(raw)
}

// wsWant fails the test unless the answer has the status and every text.
func wsWant(tb testing.TB, what string, resp *http.Response, body string, status int, texts ...string) {
	tb.Helper()
	if resp.StatusCode != status {
		tb.Fatalf("%s: status %d, want %d\n%s", what, resp.StatusCode, status, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			tb.Errorf("%s: the page lacks %q", what, s)
		}
	}
}

// wsElement returns the element that opens with open (e.g. `<svg class="chart" id="x"`)
// up to its closing tag, or "".
func wsElement(body, open, closing string) string {
	i := strings.Index(body, open)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], closing)
	if j < 0 {
		return ""
	}
	return body[i : i+j+len(closing)]
}

// wsAttr is the unescaped value of attribute name of the element with the given id.
func wsAttr(tb testing.TB, body, id, name string) string {
	tb.Helper()
	m := regexp.MustCompile(`<[^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	a := regexp.MustCompile(name + `="([^"]*)"`).FindStringSubmatch(m)
	if a == nil {
		tb.Fatalf("no %s on #%s in %q", name, id, m)
	}
	return html.UnescapeString(a[1])
}

var (
	wsRow  = regexp.MustCompile(`<g>(.*?)</g>`)
	wsText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)
	wsNum  = regexp.MustCompile(`^\d+$`)
)

// wsChartRows maps each bar's label in a chart to the texts drawn in its row.
func wsChartRows(svg string) map[string][]string {
	rows := map[string][]string{}
	for _, g := range wsRow.FindAllStringSubmatch(svg, -1) {
		var label []string
		var texts []string
		for _, t := range wsText.FindAllStringSubmatch(g[1], -1) {
			s := html.UnescapeString(t[1])
			texts = append(texts, s)
			if !wsNum.MatchString(s) && s != "oculto" && s != "hidden" {
				label = append(label, s)
			}
		}
		rows[strings.Join(label, " ")] = texts
	}
	return rows
}

// TestPagesStats: an advocate sees the four charts drawn from the suppressed tables,
// hidden cells show no number anywhere on the page, and the CSV download is the API's
// CSV for the same query, logged as stats.export.
func TestPagesStats(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	advocate, advocateToken := ts.mustUserToken(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, auditor := ts.mustUserToken(t, "LIM", "auditora", accounts.RoleAuditor)
	day := ts.Clock.Now().AddDate(0, 0, -20)
	quarter := fmt.Sprintf("%d-Q%d", day.Year(), (int(day.Month())-1)/3+1)
	for i := range 7 { // police and serenazgo, physical violence, La Victoria: shown
		ts.mustCreateCase(t, worker, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("MAJO%02d85", i+1)
			in["incident"].(map[string]any)["date"] = day.Format(time.DateOnly)
		})
	}
	for i := range 2 { // two clients, robbery, Cercado: fewer than k = 5, hidden
		ts.mustCreateCase(t, worker, func(in map[string]any) {
			in["uic"] = fmt.Sprintf("ROSA%02d90", i+1)
			in["incident"].(map[string]any)["date"] = day.Format(time.DateOnly)
			in["incident"].(map[string]any)["district"] = "150101"
			in["perpetrators"], in["violations"] = []string{"client"}, []string{"robbery"}
		})
	}

	w := ts.wsSignIn(t, "vocera", passwordOf("vocera"))
	resp, body := w.get("/stats?quarter=" + quarter)
	wsWant(t, "stats page", resp, body, http.StatusOK, `id="stats-filter"`, `id="suppression-note"`,
		"menos de 5 sobrevivientes", "aceptó que su caso se use en las estadísticas", `id="download-csv"`, `id="download-xlsx"`,
		"Cliente", "Policía", "Robo", "En total: 9 incidentes y 9 sobrevivientes")
	if len(body) > 60_000 {
		t.Errorf("the statistics page weighs %d bytes", len(body))
	}
	for _, dim := range []string{"perpetrator", "violation", "district"} {
		svg := wsElement(body, `<svg class="chart" id="chart-`+dim+`"`, "</svg>")
		if svg == "" || !strings.Contains(svg, "<title") || !strings.Contains(svg, `viewBox="0 0 360 `) {
			t.Fatalf("chart %s missing or without title and viewBox:\n%s", dim, svg)
		}
		if strings.Contains(svg, "style=") {
			t.Errorf("chart %s uses a style attribute", dim)
		}
		// The page must draw exactly the API's suppressed table.
		st, api := ts.do(t, http.MethodGet, "/api/v1/stats?lang=es&by="+dim+"&quarter="+quarter, advocateToken, nil)
		if st != http.StatusOK {
			t.Fatalf("API stats by %s: %d %v", dim, st, api)
		}
		rows, hidden := wsChartRows(svg), 0
		for _, c := range api["cells"].([]any) {
			cell := c.(map[string]any)
			label := cell["key"].([]any)[0].(map[string]any)["label"].(string)
			texts, ok := rows[label]
			if !ok {
				t.Errorf("chart %s has no row %q (rows %v)", dim, label, rows)
				continue
			}
			if cell["suppressed"] == true {
				hidden++
				for _, s := range texts {
					if wsNum.MatchString(s) {
						t.Errorf("chart %s shows %s for the hidden %q", dim, s, label)
					}
				}
				if !slicesContains(texts, "oculto") {
					t.Errorf("chart %s: hidden %q is not marked oculto: %v", dim, label, texts)
				}
			} else if want := []string{fmt.Sprint(cell["incidents"]), fmt.Sprint(cell["survivors"])}; !slicesContains(texts, want[0]) || !slicesContains(texts, want[1]) {
				t.Errorf("chart %s: %q shows %v, want %v", dim, label, texts, want)
			}
		}
		if hidden == 0 {
			t.Errorf("by %s: no hidden cell; the test data should produce some", dim)
		}
	}
	if tr := wsElement(body, `<svg class="chart" id="chart-trend"`, "</svg>"); strings.Count(tr, "<g ") != 8 || !strings.Contains(tr, ">9</text>") {
		t.Errorf("trend: want 8 quarters and the quarter's 9 incidents:\n%s", tr)
	}
	// Neither the charts nor the tables show the clients' 2 anywhere.
	for _, tbl := range regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(tbl, "Cliente") && (strings.Contains(tbl, ">2<") || !strings.Contains(tbl, "oculto")) {
			t.Errorf("the table row of the clients gives its value away: %s", tbl)
		}
	}

	exports := func() int {
		st, b := ts.do(t, http.MethodGet, "/api/v1/audit?action=stats.export&actor="+advocate.ID, auditor, nil)
		if st != http.StatusOK {
			t.Fatalf("audit: %d %v", st, b)
		}
		return len(b["entries"].([]any))
	}
	if st, b := ts.do(t, http.MethodGet, "/api/v1/audit?action=stats.read&actor="+advocate.ID, auditor, nil); st != http.StatusOK {
		t.Fatalf("audit: %d %v", st, b)
	} else if n := strings.Count(fmt.Sprint(b["entries"]), " page"); n != 4 {
		t.Errorf("one page view logged %d stats.read entries as page, want 4 (three charts and the trend)", n)
	}
	before := exports()
	href := wsAttr(t, body, "download-csv", "href")
	resp, csvPage := w.get(href)
	wsWant(t, "CSV download", resp, csvPage, http.StatusOK, "k = 5")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers %v", resp.Header)
	}
	if after := exports(); after != before+1 {
		t.Errorf("stats.export entries: %d before the download, %d after", before, after)
	}
	_, csvAPI := mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?" + strings.TrimPrefix(href, "/stats/export?"), token: advocateToken})
	if csvPage != string(csvAPI) {
		t.Errorf("page CSV differs from the API's:\n%s\n---\n%s", csvPage, csvAPI)
	}
	if resp, xlsx := w.get(wsAttr(t, body, "download-xlsx", "href")); resp.StatusCode != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Errorf("XLSX download: %d", resp.StatusCode)
	}
	resp, body = w.get("/stats/export?quarter=" + quarter)
	wsWant(t, "export without a format", resp, body, http.StatusUnprocessableEntity)

	resp, body = w.get("/stats?from=2026-05&to=2026-01")
	wsWant(t, "range backwards", resp, body, http.StatusUnprocessableEntity, "Revise estos datos", `href="#f-to"`,
		`value="2026-05"`, "Debe ser el mismo mes")

	w.post("/lang", url.Values{"lang": {"en"}, "back": {"/stats"}})
	resp, body = w.get("/stats?quarter=" + quarter)
	wsWant(t, "stats in English", resp, body, http.StatusOK, "By perpetrator", "Client", "fewer than 5 survivors", ">hidden</text>")

	outreach := ts.wsSignIn(t, "promotora", passwordOf("promotora"))
	resp, body = outreach.get("/stats")
	wsWant(t, "outreach", resp, body, http.StatusForbidden, "Su rol no permite esto")
	resp, body = outreach.get("/stats/export?format=csv")
	wsWant(t, "outreach export", resp, body, http.StatusForbidden)
}

func slicesContains(list []string, s string) bool { return slices.Contains(list, s) }
