package server

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/stats"
	"registro/validation"
)

// statsRequest is a statistics table as asked for in the query string.
type statsRequest struct {
	Report *stats.Report
	Format string // "", "json", "csv" or "xlsx"
}

// statsQuery is what a statistics table is asked for with: the API reads it from the
// query string (statsQueryOf); the pages build it for each chart.
type statsQuery struct {
	Quarter, From, To, By, Lang, Format string
	Page                                bool // shown on a page: logged as "page", not "json"
}

// statsQueryOf reads a statsQuery from the request: quarter or from/to, by, lang,
// format (or Accept: text/csv).
func statsQueryOf(c *gin.Context) statsQuery {
	q := statsQuery{Quarter: c.Query("quarter"), From: c.Query("from"), To: c.Query("to"),
		By: c.Query("by"), Lang: c.Query("lang"), Format: c.Query("format")}
	if q.Format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv") {
		q.Format = "csv"
	}
	return q
}

// opStats builds the organization's suppressed statistics table q asks for. Only advocates and coordinators
// may; every request goes to the access log, as stats.export when it is a download.
func (s *Server) opStats(c *gin.Context, q statsQuery) (statsRequest, error) {
	me := userOf(c)
	if _, err := s.can(c, "stats", "read", me.Org); err != nil {
		return statsRequest{}, err
	}
	e := &validation.Error{}
	dims, derr := stats.ParseDims(q.By)
	merge(e, derr)
	lang := orDefault(q.Lang, orDefault(me.Lang, "es"))
	if lang != "es" && lang != "en" {
		e.Add("lang", "es or en")
	}
	format := q.Format
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		e.Add("format", "json, csv or xlsx")
	}
	p, perr := stats.ParsePeriod(q.Quarter, q.From, q.To, s.Now())
	merge(e, perr)
	if err := e.Err(); err != nil {
		return statsRequest{}, err
	}
	ctx := c.Request.Context()
	org, err := s.Accounts.Org(ctx, me.Org)
	if err != nil {
		return statsRequest{}, err
	}
	k := org.Threshold
	if k < stats.MinK {
		k = stats.DefaultK
	}
	facts, err := s.factsOf(c, me.Org, p)
	if err != nil {
		return statsRequest{}, err
	}
	r, err := stats.Build(me.Org, p, facts, dims, s.Cases.Vocabulary(), k, lang)
	if err != nil {
		return statsRequest{}, err
	}
	action, shown := "stats.read", orDefault(format, "json")
	if format == "csv" || format == "xlsx" {
		action = "stats.export"
	} else if q.Page {
		shown = "page"
	}
	if err := s.record(c, action, "", "ok", p.Label()+" by="+strings.Join(dims, ",")+" "+shown); err != nil {
		return statsRequest{}, err
	}
	return statsRequest{Report: r, Format: format}, nil
}

// showStats answers the statistics table as JSON, CSV (format=csv or Accept:
// text/csv) or XLSX (format=xlsx).
func (s *Server) showStats(c *gin.Context) error {
	req, err := s.opStats(c, statsQueryOf(c))
	if err != nil {
		return err
	}
	switch req.Format {
	case "csv", "xlsx":
		return s.writeStatsFile(c, req)
	}
	c.JSON(http.StatusOK, req.Report)
	return nil
}

// writeStatsFile answers the table as a CSV or XLSX download.
func (s *Server) writeStatsFile(c *gin.Context, req statsRequest) error {
	var buf bytes.Buffer
	name := "registro-" + req.Report.Org + "-" + req.Report.Period.From + "_" + req.Report.Period.To + "." + req.Format
	ctype := "text/csv; charset=utf-8"
	if req.Format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := req.Report.WriteXLSX(&buf); err != nil {
			return err
		}
	} else if err := req.Report.WriteCSV(&buf); err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, ctype, buf.Bytes())
	return nil
}

// merge adds the fields of a *validation.Error to e, so one answer names every problem.
func merge(e *validation.Error, err error) {
	if ve, ok := err.(*validation.Error); ok {
		for f, m := range ve.Fields {
			e.Add(f, m)
		}
	}
}

// factsOf reads the statistical facts of org for period once per request: the
// statistics page draws several tables of one period.
func (s *Server) factsOf(c *gin.Context, org string, p stats.Period) ([]cases.Fact, error) {
	key := "facts|" + org + "|" + p.From + "|" + p.To
	if v, ok := c.Get(key); ok {
		if f, ok := v.([]cases.Fact); ok {
			return f, nil
		}
	}
	f, err := s.Cases.Facts(c.Request.Context(), org, p.FactsPeriods())
	if err != nil {
		return nil, err
	}
	c.Set(key, f)
	return f, nil
}
