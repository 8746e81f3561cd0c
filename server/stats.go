package server

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/stats"
	"registro/validation"
)

// showStats answers the organization's suppressed statistics table as JSON, CSV
// (format=csv or Accept: text/csv) or XLSX (format=xlsx). Only advocates and
// coordinators may; every request goes to the access log.
func (s *Server) showStats(c *gin.Context) error {
	me := userOf(c)
	if _, err := s.can(c, "stats", "read", me.Org); err != nil {
		return err
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
		return err
	}
	ctx := c.Request.Context()
	org, err := s.Accounts.Org(ctx, me.Org)
	if err != nil {
		return err
	}
	k := org.Threshold
	if k < stats.MinK {
		k = stats.DefaultK
	}
	facts, err := s.Cases.Facts(ctx, me.Org, p.FactsPeriods())
	if err != nil {
		return err
	}
	r, err := stats.Build(me.Org, p, facts, dims, s.Cases.Vocabulary(), k, lang)
	if err != nil {
		return err
	}
	action := "stats.read"
	if format == "csv" || format == "xlsx" {
		action = "stats.export"
	}
	if err := s.record(c, action, "", "ok", p.Label()+" by="+strings.Join(dims, ",")+" "+orDefault(format, "json")); err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := r.WriteCSV(&buf); err != nil {
			return err
		}
		c.Header("Content-Disposition", `attachment; filename="registro-`+me.Org+`-`+p.From+`_`+p.To+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	case "xlsx":
		if err := r.WriteXLSX(&buf); err != nil {
			return err
		}
		c.Header("Content-Disposition", `attachment; filename="registro-`+me.Org+`-`+p.From+`_`+p.To+`.xlsx"`)
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	default:
		c.JSON(http.StatusOK, r)
	}
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
