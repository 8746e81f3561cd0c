package server

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"registro/stats"
	"registro/stats/releases"
	"registro/validation"
)

// The statistics page shows advocates a release (every table of its family, one at a
// time through the table chooser, and the charts), and coordinators the exact live
// numbers, marked for internal use, with their releases and the form to publish one.
// A page view is one access-log entry, however many tables it draws.

// statsPage is the data of the statistics page.
type statsPage struct {
	Live        bool // the exact live numbers are shown: "Uso interno: no publicar"
	Coordinator bool // the reader may see live numbers and publish (the releases section)
	Released    []periodChoice
	None        bool           // the organization has no release yet
	Missing     string         // the period asked for has no release: its label
	Shown       *releaseShown  // the release shown; nil for live numbers
	Period      string         // the period shown, for people
	K           int            // the organization's threshold, said as "fewer than K survivors"
	Total       chartBar       // the period's grand total
	Charts      []statsChart   // by perpetrator, violation, district, and the trend
	Tables      []periodChoice // the table chooser: a family table's "by" and its name
	Table       *statsTable    // the table chosen
	CSV, XLSX   string
	Quarters    []periodChoice // live: the last eight quarters
	Versions    []releaseRow   // coordinators: every release version
	Closed      []periodChoice // coordinators: the closed periods one may publish
}

// periodChoice is one option of a select: a code and its words.
type periodChoice struct{ Code, Label string }

// releaseShown names the release version on the page.
type releaseShown struct {
	Period, Label string
	Version       int
	Published     time.Time
	By            string
	Latest        bool
}

// releaseRow is one release version in the coordinator's list.
type releaseRow struct {
	releaseSummary
	Href string
}

// statsChart is one chart with its data table, for readers who cannot see it.
type statsChart struct {
	ID, Title string
	SVG       template.HTML
	Bars      []chartBar // every row, for the table
	More      int        // rows the table has and the chart leaves out
}

// statsTable is a table of the family as the page shows it.
type statsTable struct {
	Title   string
	Columns []string // the groupings' names
	Rows    []tableRow
	Zeros   bool // rows without incidents were left out
}

// tableRow is one row: the values it groups by and its numbers, or hidden.
type tableRow struct {
	Labels               []string
	Total                bool
	Incidents, Survivors *int
	Hidden               bool
	Reason               string // for coordinators only
}

// topDistricts is how many districts the chart draws; the table lists them all.
const topDistricts = 10

// barCharts are the page's bar charts, each drawn from its own one-grouping table of
// the family.
var barCharts = []struct {
	by    string
	limit int // bars drawn at most; 0 for all
}{{"perpetrator", 0}, {"violation", 0}, {"district", topDistricts}}

// defaultTable is the table the chooser starts on.
const defaultTable = "perpetrator"

// showStatsPage shows a release (advocates; coordinators with source=release) or the
// live numbers (coordinators).
func (s *Server) showStatsPage(c *gin.Context) error {
	v := s.newView(c, "stats.title")
	p, err := s.permitStats(c)
	if err != nil {
		return err
	}
	for _, f := range []string{"period", "table", "quarter", "from", "to", "source", "version"} {
		v.Form.Set(f, c.Query(f))
	}
	if _, asked := c.GetQuery("table"); !asked {
		v.Form.Set("table", defaultTable) // "" is the grand total's table
	}
	if c.Query("done") == "published" {
		v.Notice = "stats.done.published"
	}
	data := &statsPage{Coordinator: p.Live, Live: p.Live && v.Val("source") != "release", Tables: s.tableChoices(v)}
	v.Data = data
	if err := s.statsChoices(c, v, p, data); err != nil {
		return err
	}
	code := http.StatusOK
	if data.Live {
		err = s.showLiveStats(c, v, p, data)
	} else {
		code, err = s.showReleaseStats(c, v, p, data)
	}
	if st, ok := s.rejected(v, err, s.statsWords()); ok {
		s.render(c, st, "stats", v)
		return nil
	} else if err != nil {
		return err
	}
	s.render(c, code, "stats", v)
	return nil
}

// statsWords puts the problems of the grouping at the table chooser and words them.
func (s *Server) statsWords() problemWords {
	return problemWords{
		field: renamed(map[string]string{"by": "table"}),
		word: func(lang, field string, _ validation.Problem) string {
			if field == "table" {
				return s.cat.text(lang, "stats.problem.table")
			}
			return ""
		},
	}
}

// statsChoices fills the selects: the released periods, and for coordinators the
// release versions and the closed periods to publish.
func (s *Server) statsChoices(c *gin.Context, v *view, p statsPermit, data *statsPage) error {
	ctx := c.Request.Context()
	list, err := s.Releases.List(ctx, p.Org)
	if err != nil {
		return err
	}
	latest := map[string]int{}
	for _, r := range list {
		if r.Latest {
			latest[r.Period] = r.Version
			data.Released = append(data.Released, periodChoice{r.Period, stats.PeriodLabel(r.Period, v.Lang)})
		}
	}
	data.None = len(data.Released) == 0
	if k, err := s.thresholdOf(ctx, p.Org); err == nil {
		data.K = k
	} else {
		return err
	}
	if !p.Live {
		return nil
	}
	for _, r := range list {
		q := url.Values{"source": {"release"}, "period": {r.Period}, "version": {strconv.Itoa(r.Version)}}
		data.Versions = append(data.Versions, releaseRow{releaseSummary: summaryOf(r, v.Lang), Href: "/stats?" + q.Encode()})
	}
	now := s.Now()
	for y := now.Year(); y >= now.Year()-2; y-- {
		year := strconv.Itoa(y)
		for _, name := range append([]string{year}, reversed(stats.QuartersOf(year))...) {
			if !stats.Ended(name, now) {
				continue
			}
			label := stats.PeriodLabel(name, v.Lang)
			if n, ok := latest[name]; ok {
				label = v.T("stats.publish.released", "Period", label, "Version", n)
			}
			data.Closed = append(data.Closed, periodChoice{name, label})
		}
	}
	if len(data.Closed) > 9 {
		data.Closed = data.Closed[:9]
	}
	return nil
}

func reversed(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[len(list)-1-i] = s
	}
	return out
}

// tableChoices lists the family's tables for the chooser, in the reader's words.
func (s *Server) tableChoices(v *view) []periodChoice {
	var out []periodChoice
	for _, dims := range stats.FamilyTables() {
		out = append(out, periodChoice{strings.Join(dims, ","), tableName(v, dims)})
	}
	return out
}

// tableName is a family table's name: "Total", "Por agresor", "Por agresor y mes".
func tableName(v *view, dims []string) string {
	switch len(dims) {
	case 0:
		return v.T("stats.table.total")
	case 1:
		return v.T("stats.dim." + dims[0])
	}
	return v.T("stats.table.pair", "First", v.T("stats.name."+dims[0]), "Second", v.T("stats.name."+dims[1]))
}

// showReleaseStats fills the page from a release: the one asked for (period, and for
// coordinators version), else the newest. An organization without releases, or a
// period without one, gets the page's explanation and no table.
func (s *Server) showReleaseStats(c *gin.Context, v *view, p statsPermit, data *statsPage) (_ int, err error) {
	le := entry{Action: "stats.read"}
	defer s.logged(c, &err, &le)
	ctx := c.Request.Context()
	period := v.Val("period")
	if period == "" && len(data.Released) > 0 {
		period = data.Released[0].Code
		v.Form.Set("period", period)
	}
	e := &validation.Error{}
	if period != "" {
		_, err := stats.ParseReleasePeriod("period", period)
		merge(e, err)
	}
	dims, err := stats.ParseFamilyBy(v.Val("table"))
	merge(e, err)
	version := 0
	if p.Live {
		version = parseVersion(v.Val("version"), e)
	}
	if err := e.Err(); err != nil {
		return 0, err
	}
	if period == "" {
		return http.StatusOK, nil // data.None: nothing is published yet
	}
	rel, err := s.releaseOf(ctx, p.Org, period, version)
	if errors.Is(err, releases.ErrNotReleased) {
		data.Missing = stats.PeriodLabel(period, v.Lang)
		return http.StatusNotFound, nil
	}
	if err != nil {
		return 0, err
	}
	latest, err := s.Releases.Latest(ctx, p.Org, period)
	if err != nil {
		return 0, err
	}
	data.Shown = &releaseShown{Period: rel.Period, Label: stats.PeriodLabel(rel.Period, v.Lang), Version: rel.Version,
		Published: rel.Created, By: rel.CreatedBy, Latest: latest.Version == rel.Version}
	data.Period, data.K = data.Shown.Label, rel.K
	table := func(dims []string) (*stats.Report, error) {
		return rel.Table(dims, s.Cases.Vocabulary(), v.Lang, p.Live)
	}
	if err := s.drawStats(v, data, table); err != nil {
		return 0, err
	}
	trend, err := s.releaseTrend(c, v, p, data, rel)
	if err != nil {
		return 0, err
	}
	data.Charts = append(data.Charts, trend)
	if err := s.chosenTable(v, data, dims, table); err != nil {
		return 0, err
	}
	q := url.Values{"lang": {v.Lang}, "by": {v.Val("table")}}
	if stats.IsYear(rel.Period) {
		q.Set("from", rel.Period+"-Q1")
		q.Set("to", rel.Period+"-Q4")
	} else {
		q.Set("quarter", rel.Period)
	}
	if p.Live {
		q.Set("source", "release")
		q.Set("version", strconv.Itoa(rel.Version))
	}
	data.CSV, data.XLSX = exportURL(q, "csv"), exportURL(q, "xlsx")
	le.Detail = "page release " + rel.Period + " v" + strconv.Itoa(rel.Version) + " by=" + v.Val("table")
	return http.StatusOK, nil
}

// releaseTrend is the trend chart of a release: a year's four quarters, or a
// quarter with the released quarters of the two years up to it, each quarter's total
// from its own latest release.
func (s *Server) releaseTrend(c *gin.Context, v *view, p statsPermit, data *statsPage, rel *stats.Release) (statsChart, error) {
	var quarters []string
	if stats.IsYear(rel.Period) {
		quarters = stats.QuartersOf(rel.Period)
	} else {
		for _, r := range data.Released {
			if !stats.IsYear(r.Code) && r.Code <= rel.Period && r.Code > addQuarters(rel.Period, -8) {
				quarters = append([]string{r.Code}, quarters...)
			}
		}
	}
	r, err := s.trendReport(c.Request.Context(), p.Org, quarters, v.Lang, p.Live)
	if err != nil {
		return statsChart{}, err
	}
	var bars []chartBar
	for _, row := range r.Cells {
		bars = append(bars, barOf(row))
	}
	title := v.T("stats.chart.trend", "Period", r.Label)
	return statsChart{ID: "chart-trend", Title: title, Bars: bars,
		SVG: trendChart("chart-trend", title, bars, s.chartWords(v))}, nil
}

// exportURL is the download of the table the page shows.
func exportURL(q url.Values, format string) string {
	u := url.Values{}
	for k, vals := range q {
		u[k] = vals
	}
	u.Set("format", format)
	return "/stats/export?" + u.Encode()
}

// exportStats downloads the table the statistics page offers, through the same
// operation as the API, so it is logged as stats.export.
func (s *Server) exportStats(c *gin.Context) error {
	q := statsQueryOf(c)
	if q.Format != "csv" && q.Format != "xlsx" {
		if _, err := s.permitStats(c); err != nil {
			return err
		}
		return validation.Field("format", validation.Format, "Allowed", "csv or xlsx")
	}
	ans, err := s.opStats(c, q)
	if err != nil {
		return err
	}
	return s.writeStatsFile(c, ans)
}
