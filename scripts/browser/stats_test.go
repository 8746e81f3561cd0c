package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// seedCases records more incidents for rosa through the API, each with another
// survivor, in the quarter before this one (which has ended, so it can be published),
// so that the release passes the threshold of five survivors per cell and the charts
// have bars rather than only hidden values. It returns that quarter.
func (s *story) seedCases(t *testing.T, n int) string {
	t.Helper()
	call := func(path, token string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", s.srv.base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	token, _ := call("/api/v1/login", "", map[string]string{"username": "rosa", "password": s.passwords["rosa"]})["token"].(string)
	now := time.Now().In(time.FixedZone("PET", -5*3600))
	m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	quarter := fmt.Sprintf("%d-Q%d", m.Year(), (int(m.Month())-1)/3+1)
	day := time.Date(m.Year(), time.Month((int(m.Month())-1)/3*3+2), 15, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	mothers, fathers := []string{"AN", "LU", "CA", "RO", "EL", "JU", "SO"}, []string{"PE", "MI", "JO", "RA", "CE", "AL", "VI"}
	for i := range n {
		call("/api/v1/cases", token, map[string]any{
			"uic":          fmt.Sprintf("%s%s%02d%02d", mothers[i%7], fathers[i%7], 10+i, 80+i),
			"incident":     map[string]string{"date": day, "date_precision": "day", "district": "150110", "place": "street"},
			"perpetrators": []string{"serenazgo", "police"},
			"violations":   []string{"physical", "confiscation"},
			"consent":      map[string]bool{"record": true, "statistics": true, "legal_sharing": false},
			"narrative":    "Caso de prueba para las estadísticas.",
			"response":     map[string]any{"reported_to": []string{"none"}, "referrals": []string{"legal"}, "status": "open"},
		})
	}
	return quarter
}

// csvAnswer is the CSV download as the page's own session fetches it.
type csvAnswer struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Body   string `json:"body"`
}

// (g) The coordinator publishes last quarter's statistics with "Publicar"; the
// advocate reads the release's charts and downloads its table as CSV.
func advocateReadsStatistics(t *testing.T, s *story) {
	tb := s.tab
	s.needs(t, s.passwords["incidencia"] != "" && s.passwords["rosa"] != "" && s.passwords["coord"] != "",
		"the advocate's, the coordinator's and rosa's accounts")
	quarter := s.seedCases(t, 6)

	s.signIn(t, "coord")
	tb.open(t, "/stats", 200)
	if !tb.exists(t, "#internal-banner") {
		t.Error("the coordinator's live numbers lack the #internal-banner")
	}
	tb.fillIn(t, "form#publish", "period", quarter)
	tb.follow(t, "publish "+quarter, chromedp.Click(chromedp.CSS(`form#publish button[type=submit]`)), 200)
	if !tb.exists(t, `tr[data-release="`+quarter+`-v1"]`) {
		t.Fatalf("after Publicar, the releases do not list %s: %s", quarter, tb.summary(t))
	}
	s.signOut(t)

	s.signIn(t, "incidencia")
	tb.open(t, "/stats", 200)
	tb.do(t, "wait for a chart", chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	for _, id := range []string{"chart-perpetrator", "chart-violation", "chart-district", "chart-trend"} {
		if !tb.exists(t, "svg.chart#"+id) {
			t.Errorf("the statistics page has no svg.chart#%s", id)
		}
	}
	if tb.exists(t, "#internal-banner") {
		t.Error("the advocate's page carries the internal-use banner")
	}
	if !tb.exists(t, "table#chosen-table") {
		t.Error("the statistics page shows no table#chosen-table")
	}
	// The perpetrator chart names Serenazgo, counted six times: above the threshold.
	if words := eval[string](t, tb, `(function (c) { return c ? (c.parentElement || c).textContent : ""; })(document.querySelector("#chart-perpetrator"))`); !strings.Contains(words, "Serenazgo") {
		t.Errorf("the perpetrator chart does not name Serenazgo: %q", words)
	}
	tb.shot(t, "09-stats")

	// The link downloads a file; fetching its address with the page's session gets
	// the same answer without a download dialog.
	got := eval[csvAnswer](t, tb, `fetch(document.querySelector("a#download-csv").href, {credentials: "same-origin"})
  .then(function (r) { return r.text().then(function (b) { return {status: r.status, type: r.headers.get("content-type") || "", body: b}; }); })`)
	header, _, _ := strings.Cut(strings.TrimPrefix(got.Body, "\ufeff"), "\n")
	switch {
	case got.Status != 200:
		t.Errorf("a#download-csv answered %d", got.Status)
	case !strings.Contains(got.Type, "csv"):
		t.Errorf("a#download-csv is %q, want text/csv", got.Type)
	case !strings.ContainsAny(header, ",;") || strings.TrimSpace(header) == "":
		t.Errorf("the CSV has no header row: %q", header)
	case strings.Contains(got.Body, narrative):
		t.Error("the CSV holds a narrative")
	}
	s.signOut(t)
}
