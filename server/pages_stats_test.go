package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"registro/accounts"
)

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

	w := ts.signedIn(t, "vocera", passwordOf("vocera"))
	resp, body := w.fetch(t, "/stats?quarter="+quarter)
	wantPage(t, "stats page", resp.StatusCode, body, http.StatusOK, `id="stats-filter"`, `id="suppression-note"`,
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
	resp, csvPage := w.fetch(t, href)
	wantPage(t, "CSV download", resp.StatusCode, csvPage, http.StatusOK, "k = 5")
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
	if st, xlsx := w.get(t, wsAttr(t, body, "download-xlsx", "href")); st != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Errorf("XLSX download: %d", st)
	}
	resp, body = w.fetch(t, "/stats/export?quarter="+quarter)
	wantPage(t, "export without a format", resp.StatusCode, body, http.StatusUnprocessableEntity)

	resp, body = w.fetch(t, "/stats?from=2026-05&to=2026-01")
	wantPage(t, "range backwards", resp.StatusCode, body, http.StatusUnprocessableEntity, "Revise estos datos", `href="#f-to"`,
		`value="2026-05"`, "Debe ser el mismo mes")

	w.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/stats"}})
	resp, body = w.fetch(t, "/stats?quarter="+quarter)
	wantPage(t, "stats in English", resp.StatusCode, body, http.StatusOK, "By perpetrator", "Client", "fewer than 5 survivors", ">hidden</text>")

	outreach := ts.signedIn(t, "promotora", passwordOf("promotora"))
	resp, body = outreach.fetch(t, "/stats")
	wantPage(t, "outreach", resp.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")
	resp, body = outreach.fetch(t, "/stats/export?format=csv")
	wantPage(t, "outreach export", resp.StatusCode, body, http.StatusForbidden)
}

func slicesContains(list []string, s string) bool { return slices.Contains(list, s) }
