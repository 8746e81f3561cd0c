package server_test

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"registro/accounts"
	"registro/stats"
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
	wsRow   = regexp.MustCompile(`<g>(.*?)</g>`)
	wsText  = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)
	wsNum   = regexp.MustCompile(`^\d+$`)
	wsBar   = regexp.MustCompile(`<rect y="\d+" width="(\d+)" height="14"`)
	wsStub  = regexp.MustCompile(`<rect class="hidden-mark"[^>]* width="(\d+)"`)
	wsTRow  = regexp.MustCompile(`(?s)<tr[^>]*>.*?</tr>`)
	wsLabel = regexp.MustCompile(`<option value="([^"]*)"[^>]*>([^<]*)</option>`)
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

// widths are the numbers a regexp's first group finds, as integers.
func widths(re *regexp.Regexp, s string) []int {
	var out []int
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// TestPagesStatsAdvocate: before any release the advocate reads why there is nothing;
// after it she picks the released period by its name, sees the charts drawn from the
// release (hidden values as short marked stubs, no reasons), the table the chooser
// names, and downloads; a page view is one access-log entry.
func TestPagesStatsAdvocate(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	advocate, advocateToken := ts.mustUserToken(t, "LIM", "vocera", accounts.RoleAdvocate)
	_, coordinator := ts.mustUserToken(t, "LIM", "coordina", accounts.RoleCoordinator)
	q := closedQuarter(ts)
	ts.seedMix(t, worker, q)

	w := ts.signedIn(t, "vocera", passwordOf("vocera"))
	resp, body := w.fetch(t, "/stats")
	wantPage(t, "before any release", resp.StatusCode, body, http.StatusOK, `id="stats-none"`,
		"Todavía no hay estadísticas publicadas", "grupos de menos de 5 sobrevivientes")
	if strings.Contains(body, `class="chart"`) || strings.Contains(body, `id="internal-banner"`) {
		t.Error("the page without releases draws charts or the internal banner")
	}

	ts.mustPublish(t, coordinator, q)
	reads := func() int { return len(auditEntries(t, ts, "LIM", "stats.read")) }
	before := reads()
	resp, body = w.fetch(t, "/stats")
	label := stats.PeriodLabel(q, "es")
	wantPage(t, "a release", resp.StatusCode, body, http.StatusOK, `id="stats-filter"`, `id="suppression-note"`,
		`id="chosen-table"`, `id="download-csv"`, `id="download-xlsx"`, "grupos de menos de 5 sobrevivientes",
		"aceptó que su caso se use en las estadísticas", "En total: 26 incidentes y 26 sobrevivientes",
		"Cliente", "Policía", "Robo", html.EscapeString(label), "Versión 1")
	if n := reads() - before; n != 1 {
		t.Errorf("one page view wrote %d stats.read entries, want 1", n)
	}
	if last := auditEntries(t, ts, "LIM", "stats.read")[0]; last.Actor != advocate.ID || !strings.Contains(last.Detail, "page release "+q+" v1") {
		t.Errorf("the page view's entry: %+v", last)
	}
	if len(body) > 80_000 {
		t.Errorf("the statistics page weighs %d bytes", len(body))
	}
	// Periods read as words; the code is only the option's value.
	if opts := wsLabel.FindAllStringSubmatch(wsElement(body, `<select id="f-period"`, "</select>"), -1); len(opts) != 1 ||
		opts[0][1] != q || html.UnescapeString(opts[0][2]) != label {
		t.Errorf("period choices %v, want %s named %q", opts, q, label)
	}
	if strings.Contains(body, ">"+q+"<") || strings.Contains(body, "k =") || strings.Contains(body, "k=") {
		t.Error("the page shows a period code or the letter k")
	}
	for _, reason := range []string{"grupo de menos de", "protege otra cifra", `internal-banner`} {
		if strings.Contains(body, reason) {
			t.Errorf("an advocate's page says %q", reason)
		}
	}
	for _, dim := range []string{"perpetrator", "violation", "district"} {
		svg := wsElement(body, `<svg class="chart" id="chart-`+dim+`"`, "</svg>")
		if svg == "" || !strings.Contains(svg, "<title") || !strings.Contains(svg, `viewBox="0 0 360 `) || strings.Contains(svg, " style=") {
			t.Fatalf("chart %s missing, without title and viewBox, or styled:\n%s", dim, svg)
		}
		st, api := ts.do(t, http.MethodGet, "/api/v1/stats?lang=es&by="+dim+"&quarter="+q, advocateToken, nil)
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
				if slices.ContainsFunc(texts, wsNum.MatchString) || !slices.Contains(texts, "oculto") {
					t.Errorf("chart %s: the hidden %q shows %v", dim, label, texts)
				}
			} else if !slices.Contains(texts, fmt.Sprint(cell["incidents"])) || !slices.Contains(texts, fmt.Sprint(cell["survivors"])) {
				t.Errorf("chart %s: %q shows %v, want %v and %v", dim, label, texts, cell["incidents"], cell["survivors"])
			}
		}
		stubs, bars := widths(wsStub, svg), widths(wsBar, svg)
		if len(stubs) != hidden {
			t.Errorf("chart %s: %d hidden marks for %d hidden values", dim, len(stubs), hidden)
		}
		if hidden > 0 && len(bars) > 0 && slices.Max(stubs) >= slices.Max(bars) {
			t.Errorf("chart %s: a hidden mark (%v) is as long as the largest bar (%v)", dim, stubs, bars)
		}
		if dim == "perpetrator" && hidden == 0 {
			t.Error("by perpetrator: no hidden value; the test data should hide the clients")
		}
	}
	if tr := wsElement(body, `<svg class="chart" id="chart-trend"`, "</svg>"); strings.Count(tr, "<g ") != 1 || !strings.Contains(tr, ">26</text>") {
		t.Errorf("trend: want the one released quarter and its 26 incidents:\n%s", tr)
	}
	for _, row := range wsTRow.FindAllString(body, -1) {
		if strings.Contains(row, "Cliente") && (strings.Contains(row, ">2<") || !strings.Contains(row, "oculto")) {
			t.Errorf("a table row of the clients gives its value away: %s", row)
		}
	}

	t.Run("TableChooser", func(t *testing.T) {
		resp, body := w.fetch(t, "/stats?period="+q+"&table=perpetrator%2Cviolation")
		wantPage(t, "perpetrator × violation", resp.StatusCode, body, http.StatusOK, "Por agresor y vulneración, ", `id="chosen-table"`)
		table := wsElement(body, `<table id="chosen-table">`, "</table>")
		if !strings.Contains(table, "Extorsión") || !strings.Contains(table, "oculto") || strings.Contains(table, "grupo de menos") {
			t.Errorf("the chosen table:\n%s", table)
		}
		resp, body = w.fetch(t, "/stats?period="+q+"&table=total")
		wantPage(t, "a table outside the family", resp.StatusCode, body, http.StatusUnprocessableEntity,
			`href="#f-table"`, "Elija una de las tablas de la lista.")
		resp, body = w.fetch(t, "/stats?period="+q+"&table=")
		wantPage(t, "the grand total", resp.StatusCode, body, http.StatusOK, "Total general, ")
		resp, body = w.fetch(t, "/stats?period=2026-05")
		wantPage(t, "a month", resp.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-period"`)
		resp, body = w.fetch(t, "/stats?period="+shiftQuarter(q, -1))
		wantPage(t, "an unreleased quarter", resp.StatusCode, body, http.StatusNotFound, `id="stats-missing"`, "aún no publicado")
	})

	t.Run("Downloads", func(t *testing.T) {
		exports := func() int { return len(auditEntries(t, ts, "LIM", "stats.export")) }
		before := exports()
		href := wsAttr(t, body, "download-csv", "href")
		resp, csvPage := w.fetch(t, href)
		wantPage(t, "CSV download", resp.StatusCode, csvPage, http.StatusOK, "oculto")
		if !strings.HasPrefix(csvPage, "\uFEFF") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("CSV: headers %v, start %q", resp.Header, csvPage[:min(len(csvPage), 10)])
		}
		_, csvAPI := mustSend(t, ts, request{method: http.MethodGet, path: "/api/v1/stats?" + strings.TrimPrefix(href, "/stats/export?"), token: advocateToken})
		if !bytes.Equal([]byte(csvPage), csvAPI) {
			t.Errorf("page CSV differs from the API's:\n%s\n---\n%s", csvPage, csvAPI)
		}
		if st, xlsx := w.get(t, wsAttr(t, body, "download-xlsx", "href")); st != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
			t.Errorf("XLSX download: %d", st)
		}
		if after := exports(); after != before+3 { // the page's two and the API's one
			t.Errorf("stats.export entries: %d before, %d after", before, after)
		}
		resp, page := w.fetch(t, "/stats/export?quarter="+q)
		wantPage(t, "export without a format", resp.StatusCode, page, http.StatusUnprocessableEntity)
	})

	t.Run("English", func(t *testing.T) {
		w.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/stats"}})
		resp, body := w.fetch(t, "/stats")
		wantPage(t, "stats in English", resp.StatusCode, body, http.StatusOK, "By perpetrator", "Client",
			"Groups of fewer than 5 survivors", ">hidden</text>", html.EscapeString(stats.PeriodLabel(q, "en")))
	})

	t.Run("Refused", func(t *testing.T) {
		resp, body := w.post(t, "/stats/releases", url.Values{"period": {q}})
		wantPage(t, "an advocate publishes", resp.StatusCode, body, http.StatusForbidden)
		outreach := ts.signedIn(t, "promotora", passwordOf("promotora"))
		for _, path := range []string{"/stats", "/stats/export?format=csv"} {
			resp, body := outreach.fetch(t, path)
			wantPage(t, "outreach "+path, resp.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")
		}
	})
}

// TestPagesStatsCoordinator: the coordinator sees the exact live numbers under the
// internal-use banner, publishes a closed quarter with the "Publicar" form, reads the
// release with the reasons of what it hides, and is told in her language why a
// publication is refused.
func TestPagesStatsCoordinator(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, worker := ts.mustUserToken(t, "LIM", "promotora", accounts.RoleOutreach)
	q := closedQuarter(ts)
	ts.seedMix(t, worker, q)
	_, w := ts.webUser(t, "LIM", "coordina", accounts.RoleCoordinator)

	resp, body := w.fetch(t, "/stats?quarter="+q)
	wantPage(t, "live numbers", resp.StatusCode, body, http.StatusOK, `id="internal-banner"`, "Uso interno: no publicar",
		`id="stats-filter"`, `id="publish"`, `id="f-publish_period"`, "Todavía no hay publicaciones.",
		html.EscapeString(stats.PeriodLabel(q, "es")))
	if rows := wsChartRows(wsElement(body, `<svg class="chart" id="chart-perpetrator"`, "</svg>")); !slices.Contains(rows["Cliente"], "2") {
		t.Errorf("live chart: the clients are not shown exactly: %v", rows)
	}
	if strings.Contains(wsElement(body, `<svg class="chart" id="chart-perpetrator"`, "</svg>"), "oculto") {
		t.Error("the live numbers hide something")
	}
	if href := wsAttr(t, body, "download-csv", "href"); !strings.Contains(href, "quarter="+q) {
		t.Errorf("live CSV link %s", href)
	} else if _, csv := w.get(t, href); !strings.Contains(csv, "USO INTERNO: NO PUBLICAR") {
		t.Errorf("the live CSV lacks the internal mark:\n%s", csv)
	}

	resp, body = w.post(t, "/stats/releases", url.Values{"period": {openQuarter(ts)}})
	wantPage(t, "an open quarter", resp.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-publish_period"`,
		"Ese periodo todavía no terminó.")
	resp, body = w.post(t, "/stats/releases", url.Values{"period": {q}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", resp.StatusCode, body)
	}
	next := resp.Header.Get("Location")
	resp, body = w.fetch(t, next)
	wantPage(t, "the new release", resp.StatusCode, body, http.StatusOK, "Publicado.", "Versión 1",
		"grupo de menos de 5 sobrevivientes", `data-release="`+q+`-v1"`)
	if strings.Contains(body, `id="internal-banner"`) {
		t.Error("a release is shown under the internal-use banner")
	}
	resp, body = w.post(t, "/stats/releases", url.Values{"period": {q}})
	wantPage(t, "nothing changed", resp.StatusCode, body, http.StatusConflict, "Nada cambió desde la última publicación")
	ts.seedCases(t, worker, q, "LUPE", 2, nil)
	resp, body = w.post(t, "/stats/releases", url.Values{"period": {q}})
	wantPage(t, "too few changes", resp.StatusCode, body, http.StatusConflict, "tocan a 2 sobrevivientes", "(3 más)")
	w.post(t, "/lang", url.Values{"lang": {"en"}, "back": {"/stats"}})
	resp, body = w.post(t, "/stats/releases", url.Values{"period": {fmt.Sprint(ts.Clock.Now().Year() - 1)}})
	wantPage(t, "a year before its quarters", resp.StatusCode, body, http.StatusConflict, "Publish the four quarters of that year first.")
	if e := auditEntries(t, ts, "LIM", "stats.publish"); len(e) != 5 {
		t.Errorf("stats.publish entries: %d, want 5 (one published, four refused)", len(e))
	}
}
