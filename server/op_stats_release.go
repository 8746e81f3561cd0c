package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"registro/cases"
	"registro/stats"
	"registro/stats/releases"
	"registro/validation"
)

// releaseAsk is a released table as asked for: the table of one release (a quarter or
// a year), or a trend of quarter releases.
type releaseAsk struct {
	Period   string   // "2026-Q2" or "2026"; "" for the newest release, or for a trend
	Quarters []string // a trend's quarters, oldest first
	Dims     []string
	Version  int // 0 for the latest
}

// parseReleaseAsk reads the period, grouping and version of a released table into e's
// problems: no other ranges exist than a quarter, a calendar year, or a row of whole
// quarters grouped by quarter (a trend); by must name a table of the family.
func parseReleaseAsk(q statsQuery, e *validation.Error) releaseAsk {
	ask := releaseAsk{Version: parseVersion(q.Version, e)}
	if q.Quarter == "" && q.From == "" && q.To == "" {
		dims, err := stats.ParseFamilyBy(q.By)
		merge(e, err)
		ask.Dims = dims
		return ask
	}
	p, err := stats.ParsePeriod(q.Quarter, q.From, q.To, time.Time{})
	if err != nil {
		merge(e, err)
		return ask
	}
	if m, _ := strconv.Atoi(p.From[5:]); (m-1)%3 != 0 {
		e.Add(periodField(q, "from"), validation.WholeQuarters)
	}
	if m, _ := strconv.Atoi(p.To[5:]); m%3 != 0 {
		e.Add(periodField(q, "to"), validation.WholeQuarters)
	}
	if !e.Empty() {
		return ask
	}
	if name, ok := stats.ReleaseName(p); ok {
		dims, err := stats.ParseFamilyBy(q.By)
		merge(e, err)
		ask.Period, ask.Dims = name, dims
		return ask
	}
	if q.By != "quarter" {
		e.Add("by", validation.ByQuarterOnly)
	}
	if q.Version != "" {
		e.Add("version", validation.OnlyOnePeriod)
	}
	for qt := cases.QuarterOf(p.From); qt <= cases.QuarterOf(p.To); qt = addQuarters(qt, 1) {
		ask.Quarters = append(ask.Quarters, qt)
	}
	ask.Dims = []string{"quarter"}
	return ask
}

// parseVersion reads a release version, 0 (the latest) when none is given, into e's
// problems.
func parseVersion(s string, e *validation.Error) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		e.Add("version", validation.VersionNumber)
		return 0
	}
	return n
}

// periodField names the parameter a period problem is about.
func periodField(q statsQuery, name string) string {
	if q.Quarter != "" {
		return "quarter"
	}
	return name
}

// releaseAnswer builds the released table ask names, with the reasons of hidden
// numbers only for those who may read the cases, and with every table of the
// release's family for a workbook. It returns the access log's detail, and
// releases.ErrNotReleased for a period without a release.
func (s *Server) releaseAnswer(ctx context.Context, p statsPermit, ask releaseAsk, lang string, family bool) (statsAnswer, string, error) {
	if len(ask.Quarters) > 0 {
		r, err := s.trendReport(ctx, p.Org, ask.Quarters, lang, p.Live)
		if err != nil {
			return statsAnswer{}, "", err
		}
		return statsAnswer{Report: r}, "trend " + ask.Quarters[0] + ".." + ask.Quarters[len(ask.Quarters)-1] + " by=quarter", nil
	}
	rel, err := s.releaseOf(ctx, p.Org, ask.Period, ask.Version)
	if err != nil {
		return statsAnswer{}, "", err
	}
	r, err := rel.Table(ask.Dims, s.Cases.Vocabulary(), lang, p.Live)
	if err != nil {
		return statsAnswer{}, "", err
	}
	ans := statsAnswer{Report: r}
	if family {
		if ans.Family, err = s.familyOf(rel, lang, p.Live); err != nil {
			return statsAnswer{}, "", err
		}
	}
	return ans, fmt.Sprintf("release %s v%d by=%s", rel.Period, rel.Version, strings.Join(ask.Dims, ",")), nil
}

// releaseOf is the release of period (the organization's newest when period is "") in
// the given version (the latest when 0). It returns releases.ErrNotReleased.
func (s *Server) releaseOf(ctx context.Context, org, period string, version int) (*stats.Release, error) {
	if period == "" {
		list, err := s.Releases.List(ctx, org)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, releases.ErrNotReleased
		}
		period = list[0].Period
	}
	if version == 0 {
		return s.Releases.Latest(ctx, org, period)
	}
	return s.Releases.Get(ctx, org, period, version)
}

// familyOf shows every table of a release's family, for its workbook.
func (s *Server) familyOf(rel *stats.Release, lang string, reasons bool) ([]*stats.Report, error) {
	var out []*stats.Report
	for _, dims := range stats.FamilyTables() {
		r, err := rel.Table(dims, s.Cases.Vocabulary(), lang, reasons)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// trendReport is a row of quarter releases as one table by quarter (stats.Trend). It
// returns releases.ErrNotReleased when a quarter has no release.
func (s *Server) trendReport(ctx context.Context, org string, quarters []string, lang string, reasons bool) (*stats.Report, error) {
	rels := make([]*stats.Release, len(quarters))
	for i, q := range quarters {
		rel, err := s.Releases.Latest(ctx, org, q)
		if err != nil {
			return nil, err
		}
		rels[i] = rel
	}
	return stats.Trend(rels, s.Cases.Vocabulary(), lang, reasons)
}
