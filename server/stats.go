package server

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/stats"
	"registro/validation"
)

// statsRequest is a statistics table as asked for in the query string.
type statsRequest struct {
	Report *stats.Report
	Period stats.Period
	Dims   []string
	Format string // "", "json", "csv" or "xlsx"
}

// opStats builds the organization's suppressed statistics table that the query asks
// for (quarter or from/to, by, lang, format). Only advocates and coordinators may;
// every request goes to the access log, as stats.export when it is a download.
func (s *Server) opStats(c *gin.Context) (statsRequest, error) {
	me := userOf(c)
	if _, err := s.can(c, "stats", "read", me.Org); err != nil {
		return statsRequest{}, err
	}
	e := &validation.Error{}
	dims, derr := stats.ParseDims(c.Query("by"))
	merge(e, derr)
	lang := orDefault(c.Query("lang"), orDefault(me.Lang, "es"))
	if lang != "es" && lang != "en" {
		e.Add("lang", "es or en")
	}
	format := c.Query("format")
	if format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv") {
		format = "csv"
	}
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		e.Add("format", "json, csv or xlsx")
	}
	p, perr := stats.ParsePeriod(c.Query("quarter"), c.Query("from"), c.Query("to"), s.Now())
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
	facts, err := s.Cases.Facts(ctx, me.Org, p.FactsPeriods())
	if err != nil {
		return statsRequest{}, err
	}
	r, err := stats.Build(me.Org, p, facts, dims, s.Cases.Vocabulary(), k, lang)
	if err != nil {
		return statsRequest{}, err
	}
	action := "stats.read"
	if format == "csv" || format == "xlsx" {
		action = "stats.export"
	}
	if err := s.record(c, action, "", "ok", p.Label()+" by="+strings.Join(dims, ",")+" "+orDefault(format, "json")); err != nil {
		return statsRequest{}, err
	}
	return statsRequest{Report: r, Period: p, Dims: dims, Format: format}, nil
}

// showStats answers the statistics table as JSON, CSV (format=csv or Accept:
// text/csv) or XLSX (format=xlsx).
func (s *Server) showStats(c *gin.Context) error {
	req, err := s.opStats(c)
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
	name := "registro-" + req.Report.Org + "-" + req.Period.From + "_" + req.Period.To + "." + req.Format
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
