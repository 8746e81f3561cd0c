package server

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/stats"
	"registro/validation"
)

// statsPage is the data of the statistics page.
type statsPage struct {
	Quarters  []string // the last eight quarters, newest first
	Period    string   // the period shown, for people
	K         int
	Total     chartBar // the period's grand total
	Charts    []statsChart
	Dims      []string // groupings a download can take
	CSV, XLSX string
}

// statsChart is one chart with its data table, for readers who cannot see it.
type statsChart struct {
	ID, Title string
	SVG       template.HTML
	Bars      []chartBar // every row, for the table
	More      int        // rows the table has and the chart leaves out
}

// downloadDims are the groupings offered for downloads, in the order of the form.
var downloadDims = []string{"perpetrator", "violation", "district", "place", "age_band", "gender",
	"nationality", "work_setting", "quarter", "month"}

// topDistricts is how many districts the chart draws; the table lists them all.
const topDistricts = 10

// barCharts are the page's bar charts, each drawn from its own one-grouping table, so
// that what it hides is exactly what the download grouped the same way hides.
var barCharts = []struct {
	by    string
	limit int // bars drawn at most; 0 for all
}{{"perpetrator", 0}, {"violation", 0}, {"district", topDistricts}}

// showStatsPage draws the period's charts from the suppressed tables: by perpetrator,
// by violation, by district, and by quarter for the trend. Each table is built and
// logged by opStats, exactly as the API builds and logs it.
func (s *Server) showStatsPage(c *gin.Context) error {
	v := s.newView(c, "stats.title")
	for _, f := range []string{"quarter", "from", "to", "by"} {
		v.Form.Set(f, c.Query(f))
	}
	v.Form.Set("by", orDefault(v.Val("by"), "perpetrator"))
	q := statsQuery{Lang: v.Lang, Page: true, By: barCharts[0].by}
	if v.Val("from") != "" || v.Val("to") != "" {
		q.From, q.To = v.Val("from"), v.Val("to") // a range given wins over the quarter
	} else {
		q.Quarter = v.Val("quarter")
	}
	data := &statsPage{Quarters: lastQuarters(s.Now(), 8), Dims: downloadDims}
	if qv := v.Val("quarter"); qv != "" && !slices.Contains(data.Quarters, qv) {
		data.Quarters = append(data.Quarters, qv) // an older quarter asked for by address
	}
	v.Data = data
	first, err := s.opStats(c, q)
	if err == nil {
		_, err = stats.ParseDims(v.Val("by"))
	}
	if st, ok := s.rejected(v, err, problemWords{}); ok {
		s.render(c, st, "stats", v)
		return nil
	} else if err != nil {
		return err
	}
	if q.Quarter == "" && q.From == "" {
		v.Form.Set("quarter", first.Report.Label) // the default period, shown selected
	}
	if err := s.drawStats(c, v, q, first, data); err != nil {
		return err
	}
	data.CSV, data.XLSX = exportURL(q, v.Val("by"), "csv"), exportURL(q, v.Val("by"), "xlsx")
	s.render(c, http.StatusOK, "stats", v)
	return nil
}

// drawStats fills the page's totals and charts; first is the first bar chart's table.
func (s *Server) drawStats(c *gin.Context, v *view, q statsQuery, first statsRequest, data *statsPage) error {
	data.Period, data.K = first.Report.Label, first.Report.Threshold
	if len(first.Report.Totals) > 0 {
		data.Total = barOf(first.Report.Totals[0])
	}
	words := chartWords{Hidden: v.T("stats.hidden"), Incidents: v.T("stats.incidents"), Survivors: v.T("stats.survivors")}
	for i, bc := range barCharts {
		req := first
		if i > 0 {
			q.By = bc.by
			var err error
			if req, err = s.opStats(c, q); err != nil {
				return err
			}
		}
		ch := statsChart{ID: "chart-" + bc.by, Title: v.T("stats.chart."+bc.by, "Period", req.Report.Label),
			Bars: sortedBars(req.Report)}
		drawn := ch.Bars
		if bc.limit > 0 && len(drawn) > bc.limit {
			drawn, ch.More = drawn[:bc.limit], len(drawn)-bc.limit
		}
		ch.SVG = barChart(ch.ID, ch.Title, drawn, words)
		data.Charts = append(data.Charts, ch)
	}
	// The trend: the eight quarters up to the one the period ends in.
	last := cases.QuarterOf(first.Report.Period.To)
	trend, err := s.opStats(c, statsQuery{From: addQuarters(last, -7), To: last, By: "quarter", Lang: v.Lang, Page: true})
	if err != nil {
		return err
	}
	bars := trendBars(trend.Report)
	title := v.T("stats.chart.trend", "Period", trend.Report.Label)
	data.Charts = append(data.Charts, statsChart{ID: "chart-trend", Title: title, Bars: bars,
		SVG: trendChart("chart-trend", title, bars, words)})
	return nil
}

// exportStats downloads the table the statistics page offers, through the same
// operation as the API, so it is logged as stats.export.
func (s *Server) exportStats(c *gin.Context) error {
	q := statsQueryOf(c)
	if q.Format != "csv" && q.Format != "xlsx" {
		if _, err := s.can(c, "stats", "read", userOf(c).Org); err != nil {
			return err
		}
		return validation.Field("format", "csv or xlsx")
	}
	req, err := s.opStats(c, q)
	if err != nil {
		return err
	}
	return s.writeStatsFile(c, req)
}

func exportURL(q statsQuery, by, format string) string {
	u := url.Values{"format": {format}, "by": {by}, "lang": {q.Lang}}
	for k, val := range map[string]string{"quarter": q.Quarter, "from": q.From, "to": q.To} {
		if val != "" {
			u.Set(k, val)
		}
	}
	return "/stats/export?" + u.Encode()
}

// barOf turns a report row into a bar; a suppressed row keeps no numbers.
func barOf(r stats.Row) chartBar {
	b := chartBar{Incidents: r.Incidents, Survivors: r.Survivors, Hidden: r.Suppressed, Reason: r.Reason}
	if len(r.Key) > 0 {
		b.Label = r.Key[0].Label
	}
	if b.Hidden {
		b.Incidents, b.Survivors = nil, nil
	}
	return b
}

// sortedBars lists a one-grouping report's cells, most incidents first, hidden last.
func sortedBars(r *stats.Report) []chartBar {
	bars := make([]chartBar, 0, len(r.Cells))
	for _, row := range r.Cells {
		bars = append(bars, barOf(row))
	}
	slices.SortStableFunc(bars, func(a, b chartBar) int {
		if a.Hidden != b.Hidden {
			if a.Hidden {
				return 1
			}
			return -1
		}
		if a.Hidden {
			return 0
		}
		return cmp.Compare(*b.Incidents, *a.Incidents)
	})
	return bars
}

// trendBars gives every quarter of the report's period a bar: a quarter the table lacks had no
// incident, and zero is always shown. Incidents of an unknown quarter come last.
func trendBars(r *stats.Report) []chartBar {
	p := r.Period
	byCode := map[string]stats.Row{}
	for _, row := range r.Cells {
		byCode[row.Key[0].Code] = row
	}
	var out []chartBar
	zero := 0
	for qt := cases.QuarterOf(p.From); qt <= cases.QuarterOf(p.To); qt = addQuarters(qt, 1) {
		b := chartBar{Label: qt, Incidents: &zero, Survivors: &zero}
		if row, ok := byCode[qt]; ok {
			b = barOf(row)
		}
		out = append(out, b)
		delete(byCode, qt)
	}
	for _, row := range r.Cells {
		if _, ok := byCode[row.Key[0].Code]; ok {
			out = append(out, barOf(row))
		}
	}
	return out
}

// lastQuarters lists n quarters ending with now's, newest first.
func lastQuarters(now time.Time, n int) []string {
	cur := cases.QuarterOf(now.Format("2006-01"))
	out := make([]string, n)
	for i := range out {
		out[i] = addQuarters(cur, -i)
	}
	return out
}

// addQuarters moves a quarter ("2026-Q2") by n quarters.
func addQuarters(q string, n int) string {
	var y, k int
	if _, err := fmt.Sscanf(q, "%d-Q%d", &y, &k); err != nil {
		return q
	}
	i := y*4 + k - 1 + n
	return fmt.Sprintf("%d-Q%d", i/4, i%4+1)
}
