package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/stats"
	"registro/validation"
)

// Statistics have two faces (SPEC §4). Whoever may read the cases (a coordinator, for
// her organization) sees exact live numbers, marked for internal use. Everyone else
// who may see statistics sees only releases: the frozen, jointly protected tables of
// closed periods (op_stats_release.go).

// statsQuery is a statistics table as asked for in the query string.
type statsQuery struct {
	Quarter, From, To, By, Lang, Format string
	Source                              string // "live" or "release"; "" for the role's default
	Version                             string // a release's version; "" for the latest
}

// statsQueryOf reads a statsQuery from the request: quarter or from/to, by, lang,
// format (or Accept: text/csv), source and version.
func statsQueryOf(c *gin.Context) statsQuery {
	q := statsQuery{Quarter: c.Query("quarter"), From: c.Query("from"), To: c.Query("to"),
		By: c.Query("by"), Lang: c.Query("lang"), Format: c.Query("format"),
		Source: c.Query("source"), Version: c.Query("version")}
	if q.Format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv") {
		q.Format = "csv"
	}
	return q
}

// statsPermit is what the caller may see of her organization's statistics, decided
// once per request.
type statsPermit struct {
	Org string
	// Live: she may read the cases, so she sees exact live numbers, older release
	// versions, and why a released number is hidden.
	Live bool
}

// permitStats authorizes a statistics request: the role must read statistics (403,
// logged as denied, otherwise); the policy also says whether it sees live numbers.
func (s *Server) permitStats(c *gin.Context) (statsPermit, error) {
	org := userOf(c).Org
	sub, err := s.can(c, "stats", "read", org)
	if err != nil {
		return statsPermit{}, err
	}
	live, err := s.Authz.Can(sub, "stats", "live", org)
	if err != nil {
		return statsPermit{}, fmt.Errorf("authorize stats live: %w", err)
	}
	return statsPermit{Org: org, Live: live}, nil
}

// statsAnswer is a statistics table ready to render.
type statsAnswer struct {
	Report *stats.Report
	Format string // "", "json", "csv" or "xlsx"
	// Family is, for the workbook of one release, every table of its family.
	Family []*stats.Report
}

// opStats builds the table q asks for: live for those who may read the cases (unless
// they ask for source=release), from the releases for everyone else. Every request
// goes to the access log once, as stats.export when it is a download.
func (s *Server) opStats(c *gin.Context, q statsQuery) (_ statsAnswer, err error) {
	p, err := s.permitStats(c)
	if err != nil {
		return statsAnswer{}, err
	}
	e := &validation.Error{}
	lang := s.statsLang(c, q.Lang, e)
	format := q.Format
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		e.Add("format", validation.Format, "Allowed", "json, csv or xlsx")
	}
	le := entry{Action: statsAction(format)}
	defer s.logged(c, &err, &le)
	source := q.Source
	switch source {
	case "":
		source = "release"
		if p.Live {
			source = "live"
		}
	case "live", "release":
	default:
		e.Add("source", validation.Source)
	}
	if !p.Live && (source == "live" || q.Version != "") {
		// Exact numbers and superseded versions are for those who may read the
		// cases: the policy refuses, and the refusal is logged, as for any action.
		if _, err := s.can(c, "stats", "live", p.Org); err != nil {
			return statsAnswer{}, err
		}
	}
	ctx := c.Request.Context()
	var ans statsAnswer
	var detail string
	if source == "live" {
		if q.Version != "" {
			e.Add("version", validation.OnlyWithRelease)
		}
		dims, derr := stats.ParseDims(q.By)
		merge(e, derr)
		per, perr := stats.ParsePeriod(q.Quarter, q.From, q.To, s.Now())
		merge(e, perr)
		if err := e.Err(); err != nil {
			return statsAnswer{}, err
		}
		r, err := s.liveReport(c, p.Org, per, dims, lang)
		if err != nil {
			return statsAnswer{}, err
		}
		ans, detail = statsAnswer{Report: r}, "live "+per.Label()+" by="+strings.Join(dims, ",")
	} else {
		ask := parseReleaseAsk(q, e)
		if err := e.Err(); err != nil {
			return statsAnswer{}, err
		}
		if ans, detail, err = s.releaseAnswer(ctx, p, ask, lang, format == "xlsx"); err != nil {
			return statsAnswer{}, err
		}
	}
	ans.Format = format
	le.Detail = detail + " " + orDefault(format, "json")
	return ans, nil
}

// statsAction is the access-log action of a statistics request: what was shown
// (period, version, grouping) goes in its detail, never a number.
func statsAction(format string) string {
	if format == "csv" || format == "xlsx" {
		return "stats.export"
	}
	return "stats.read"
}

// statsLang is the language of the labels: the one asked for, else the account's,
// else Spanish.
func (s *Server) statsLang(c *gin.Context, asked string, e *validation.Error) string {
	lang := orDefault(asked, orDefault(userOf(c).Lang, "es"))
	if lang != "es" && lang != "en" {
		e.Add("lang", validation.Lang)
	}
	return lang
}

// thresholdOf is the organization's disclosure threshold k.
func (s *Server) thresholdOf(ctx context.Context, org string) (int, error) {
	o, err := s.Accounts.Org(ctx, org)
	if err != nil {
		return 0, err
	}
	return o.K(), nil
}

// liveReport counts the organization's live facts of p exactly, grouped by dims.
func (s *Server) liveReport(c *gin.Context, org string, p stats.Period, dims []string, lang string) (*stats.Report, error) {
	facts, err := s.factsOf(c, org, p)
	if err != nil {
		return nil, err
	}
	return stats.Live(org, p, facts, dims, s.Cases.Vocabulary(), lang)
}

// writeStatsFile answers the table as a CSV or XLSX download; the workbook of a
// release holds every table of its family.
func (s *Server) writeStatsFile(c *gin.Context, ans statsAnswer) error {
	var buf bytes.Buffer
	r := ans.Report
	name := "registro-" + r.Org + "-" + r.Period.From + "_" + r.Period.To
	if r.Release != nil {
		name = "registro-" + r.Org + "-" + r.Release.Period + "-v" + strconv.Itoa(r.Release.Version)
	}
	if r.Internal {
		name += "-uso-interno"
	}
	ctype := "text/csv; charset=utf-8"
	var err error
	switch {
	case ans.Format == "csv":
		err = r.WriteCSV(&buf)
	case ans.Family != nil:
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = stats.WriteReleaseXLSX(&buf, r.Lang, ans.Family)
	default:
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = r.WriteXLSX(&buf)
	}
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+"."+ans.Format+`"`)
	c.Data(http.StatusOK, ctype, buf.Bytes())
	return nil
}

// merge adds the fields of a *validation.Error to e, so one answer names every problem.
func merge(e *validation.Error, err error) {
	if ve, ok := err.(*validation.Error); ok {
		for f, m := range ve.Fields {
			e.AddProblem(f, m)
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
