package server

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/stats"
	"registro/validation"
)

// showLiveStats fills the page with the exact live numbers of a quarter or a range of
// months, for those who may read the cases.
func (s *Server) showLiveStats(c *gin.Context, v *view, p statsPermit, data *statsPage) (err error) {
	le := entry{Action: "stats.read"}
	defer s.logged(c, &err, &le)
	now := s.Now()
	for _, q := range lastQuarters(now, 8) {
		data.Quarters = append(data.Quarters, periodChoice{q, stats.PeriodLabel(q, v.Lang)})
	}
	quarter, from, to := v.Val("quarter"), v.Val("from"), v.Val("to")
	if from != "" || to != "" {
		quarter = "" // a range given wins over the quarter
	}
	e := &validation.Error{}
	per, err := stats.ParsePeriod(quarter, from, to, now)
	merge(e, err)
	dims, err := stats.ParseDims(v.Val("table"))
	merge(e, err)
	if err := e.Err(); err != nil {
		return err
	}
	if quarter == "" && from == "" {
		quarter = cases.QuarterOf(per.From)
		v.Form.Set("quarter", quarter) // the default period, shown selected
	}
	if quarter != "" && !slices.ContainsFunc(data.Quarters, func(p periodChoice) bool { return p.Code == quarter }) {
		data.Quarters = append(data.Quarters, periodChoice{quarter, stats.PeriodLabel(quarter, v.Lang)}) // an older quarter asked for by address
	}
	table := func(dims []string) (*stats.Report, error) { return s.liveReport(c, p.Org, per, dims, v.Lang) }
	first, err := table(nil)
	if err != nil {
		return err
	}
	data.Period = first.Label
	if err := s.drawStats(v, data, table); err != nil {
		return err
	}
	// The trend: the eight quarters up to the one the period ends in.
	last := cases.QuarterOf(per.To)
	tp, err := stats.ParsePeriod("", addQuarters(last, -7), last, now)
	if err != nil {
		return err
	}
	trend, err := s.liveReport(c, p.Org, tp, []string{"quarter"}, v.Lang)
	if err != nil {
		return err
	}
	bars := trendBars(trend, v.Lang)
	title := v.T("stats.chart.trend", "Period", stats.PeriodLabel(addQuarters(last, -7), v.Lang)+" – "+stats.PeriodLabel(last, v.Lang))
	data.Charts = append(data.Charts, statsChart{ID: "chart-trend", Title: title, Bars: bars,
		SVG: trendChart("chart-trend", title, bars, s.chartWords(v))})
	if err := s.chosenTable(v, data, dims, table); err != nil {
		return err
	}
	q := url.Values{"lang": {v.Lang}, "by": {v.Val("table")}}
	if quarter != "" {
		q.Set("quarter", quarter)
	} else {
		q.Set("from", from)
		q.Set("to", to)
	}
	data.CSV, data.XLSX = exportURL(q, "csv"), exportURL(q, "xlsx")
	le.Detail = "page live " + per.Label() + " by=" + v.Val("table")
	return nil
}

// drawStats fills the page's grand total and bar charts from the tables table shows.
func (s *Server) drawStats(v *view, data *statsPage, table func([]string) (*stats.Report, error)) error {
	total, err := table(nil)
	if err != nil {
		return err
	}
	if len(total.Totals) > 0 {
		data.Total = barOf(total.Totals[0])
	}
	for _, bc := range barCharts {
		r, err := table([]string{bc.by})
		if err != nil {
			return err
		}
		ch := statsChart{ID: "chart-" + bc.by, Title: v.T("stats.chart."+bc.by, "Period", data.Period), Bars: sortedBars(r)}
		drawn := ch.Bars
		if bc.limit > 0 && len(drawn) > bc.limit {
			drawn, ch.More = drawn[:bc.limit], len(drawn)-bc.limit
		}
		ch.SVG = barChart(ch.ID, ch.Title, drawn, s.chartWords(v))
		data.Charts = append(data.Charts, ch)
	}
	return nil
}

// chosenTable fills the table the chooser names. In a two-grouping table the
// combinations without incidents are left out: the table stays readable on a phone.
func (s *Server) chosenTable(v *view, data *statsPage, dims []string, table func([]string) (*stats.Report, error)) error {
	r, err := table(dims)
	if err != nil {
		return err
	}
	t := &statsTable{Title: tableName(v, dims) + ", " + data.Period}
	for _, d := range r.Dimensions {
		t.Columns = append(t.Columns, d.Label)
	}
	if len(t.Columns) == 0 {
		t.Columns = []string{v.T("stats.group")}
	}
	for _, rows := range [][]stats.Row{r.Cells, r.Totals} {
		for _, row := range rows {
			tr := tableRow{Incidents: row.Incidents, Survivors: row.Survivors, Hidden: row.Suppressed, Reason: row.Reason}
			for _, k := range row.Key {
				tr.Labels = append(tr.Labels, k.Label)
				tr.Total = tr.Total || k.Code == "total"
			}
			if len(row.Key) == 0 {
				tr.Labels, tr.Total = []string{v.T("stats.table.total")}, true
			}
			if len(dims) == 2 && !tr.Total && !tr.Hidden && row.Incidents != nil && *row.Incidents == 0 {
				t.Zeros = true
				continue
			}
			t.Rows = append(t.Rows, tr)
		}
	}
	data.Table = t
	return nil
}

// chartWords are the charts' words in the reader's language.
func (s *Server) chartWords(v *view) chartWords {
	return chartWords{Hidden: v.T("stats.hidden"), Incidents: v.T("stats.incidents"), Survivors: v.T("stats.survivors")}
}

// barOf turns a report row into a bar; a suppressed row keeps no numbers.
func barOf(r stats.Row) chartBar {
	b := chartBar{Incidents: r.Incidents, Survivors: r.Survivors, Hidden: r.Suppressed, Reason: r.Reason}
	if len(r.Key) > 0 {
		b.Label, b.Code = r.Key[0].Label, r.Key[0].Code
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

// trendBars gives every quarter of a live report's period a bar: a quarter the table
// lacks had no incident, and zero is always shown. Incidents of an unknown quarter
// come last.
func trendBars(r *stats.Report, lang string) []chartBar {
	p := r.Period
	byCode := map[string]stats.Row{}
	for _, row := range r.Cells {
		byCode[row.Key[0].Code] = row
	}
	var out []chartBar
	zero := 0
	for qt := cases.QuarterOf(p.From); qt <= cases.QuarterOf(p.To); qt = addQuarters(qt, 1) {
		b := chartBar{Label: stats.PeriodLabel(qt, lang), Code: qt, Incidents: &zero, Survivors: &zero}
		if row, ok := byCode[qt]; ok {
			b = barOf(row)
		}
		out = append(out, b)
		delete(byCode, qt)
	}
	for _, row := range r.Cells {
		if _, ok := byCode[row.Key[0].Code]; ok {
			b := barOf(row)
			b.Code = ""
			out = append(out, b)
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
