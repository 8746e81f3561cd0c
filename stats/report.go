package stats

import (
	"fmt"
	"time"

	"registro/cases"
	"registro/vocabulary"
)

// Report is one table ready to show: either exact live numbers for those who may read
// the cases (Internal), or a table of a release in which every number may be published.
type Report struct {
	Org        string       `json:"org"`
	Period     Period       `json:"period"`
	Label      string       `json:"period_label"`
	Threshold  int          `json:"threshold,omitempty"`
	Lang       string       `json:"lang"`
	Internal   bool         `json:"internal,omitempty"` // exact live numbers: "Uso interno: no publicar"
	Release    *ReleaseInfo `json:"release,omitempty"`
	Dimensions []ReportDim  `json:"dimensions"`
	Cells      []Row        `json:"cells"`
	Totals     []Row        `json:"totals"`
	Note       string       `json:"note"`
}

// ReleaseInfo names the release version a table comes from.
type ReleaseInfo struct {
	Period    string    `json:"period"`
	Version   int       `json:"version"`
	Published time.Time `json:"published_at"`
}

// ReportDim is one grouping with its values' labels in the report's language.
type ReportDim struct {
	Name   string  `json:"name"`
	Label  string  `json:"label"`
	Values []Value `json:"values"`
}

// Value is one dimension value; Code "total" stands for all values. Label is in the
// report's language; ES and EN give both, for bilingual publications.
type Value struct {
	Dimension string `json:"dimension"`
	Code      string `json:"code"`
	Label     string `json:"label"`
	ES        string `json:"es"`
	EN        string `json:"en"`
}

// Row is one position: its numbers, or the word that they are hidden (with the
// reason, for coordinators only).
type Row struct {
	Key        []Value `json:"key"`
	Incidents  *int    `json:"incidents,omitempty"`
	Survivors  *int    `json:"survivors,omitempty"`
	Suppressed bool    `json:"suppressed,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

// Live counts facts by dims exactly, for those who may read the cases: nothing is
// hidden and the report is marked internal. It returns Count's errors.
func Live(org string, p Period, facts []cases.Fact, dims []string, v *vocabulary.Vocabulary, lang string) (*Report, error) {
	t, err := Count(facts, dims, v)
	if err != nil {
		return nil, err
	}
	r := newReport(org, p, lang, v, t.Dims())
	r.Internal = true
	r.Note = text(lang, "note.internal")
	r.fill(func(pos []int) (Counts, bool, string) { return t.Get(pos), false, "" })
	return r, nil
}

// Table shows the table of the release grouped by dims (a table of the family),
// labelled in lang. Hidden positions carry no number; their reason only when
// reasons is true (for coordinators). It returns an error for dims outside the family.
func (rel *Release) Table(dims []string, v *vocabulary.Vocabulary, lang string, reasons bool) (*Report, error) {
	if !InFamily(dims) {
		return nil, fmt.Errorf("stats: %v is not a table of the family", dims)
	}
	p, err := ParseReleasePeriod("period", rel.Period)
	if err != nil {
		return nil, err
	}
	tdims := make([]Dimension, len(dims))
	for i, d := range dims {
		tdims[i] = Dimension{Name: d, MultiValued: multiValued(d), Values: rel.values(d, v)}
	}
	r := newReport(rel.Org, p, lang, v, tdims)
	r.Threshold = rel.K
	r.Release = &ReleaseInfo{Period: rel.Period, Version: rel.Version, Published: rel.Created}
	r.Note = fmt.Sprintf(text(lang, "note.release"), PeriodLabel(rel.Period, lang), rel.Version, rel.K)
	vals := make([]string, len(dims))
	r.fill(func(pos []int) (Counts, bool, string) {
		var kd, kv []string
		for i, j := range pos {
			if j != Total {
				vals[i] = tdims[i].Values[j]
				kd, kv = append(kd, dims[i]), append(kv, vals[i])
			}
		}
		ps := rel.Positions[key(kd, kv)]
		if ps.Hidden {
			if !reasons {
				return Counts{}, true, ""
			}
			return Counts{}, true, ps.Reason
		}
		return Counts{Incidents: ps.Incidents, Survivors: ps.Survivors}, false, ""
	})
	return r, nil
}

// Trend shows a row of quarter releases (their latest versions, oldest first) as one
// table by quarter: each quarter's grand total as its own release publishes it. The
// total of the range is hidden: no release published it, and it would be a new
// number to protect.
func Trend(rels []*Release, v *vocabulary.Vocabulary, lang string, reasons bool) (*Report, error) {
	if len(rels) == 0 {
		return nil, fmt.Errorf("stats: a trend needs at least one release")
	}
	first, last := rels[0], rels[len(rels)-1]
	quarters := make([]string, len(rels))
	for i, rel := range rels {
		if IsYear(rel.Period) {
			return nil, fmt.Errorf("stats: a trend is made of quarters, not %s", rel.Period)
		}
		quarters[i] = rel.Period
	}
	from, _ := ParseReleasePeriod("period", first.Period)
	to, _ := ParseReleasePeriod("period", last.Period)
	r := newReport(last.Org, Period{From: from.From, To: to.To}, lang, v, []Dimension{{Name: "quarter", Values: quarters}})
	r.Label = PeriodLabel(first.Period, lang)
	if len(rels) > 1 {
		r.Label += " – " + PeriodLabel(last.Period, lang)
	}
	r.Threshold = last.K
	r.Note = fmt.Sprintf(text(lang, "note.trend"), last.K)
	r.fill(func(pos []int) (Counts, bool, string) {
		if pos[0] == Total {
			return Counts{}, true, ""
		}
		g := rels[pos[0]].Positions[""]
		if g.Hidden {
			if reasons {
				return Counts{}, true, g.Reason
			}
			return Counts{}, true, ""
		}
		return Counts{Incidents: g.Incidents, Survivors: g.Survivors}, false, ""
	})
	return r, nil
}

// values lists the values of dim the release counts, in display order.
func (rel *Release) values(dim string, v *vocabulary.Vocabulary) []string {
	seen := map[string]bool{}
	for k := range rel.Positions {
		dims, vs := parseKey(k)
		if len(dims) == 1 && dims[0] == dim {
			seen[vs[0]] = true
		}
	}
	return orderValues(dim, seen, v)
}

func newReport(org string, p Period, lang string, v *vocabulary.Vocabulary, tdims []Dimension) *Report {
	r := &Report{Org: org, Period: p, Label: p.Label(), Lang: lang,
		Dimensions: []ReportDim{}, Cells: []Row{}, Totals: []Row{}}
	if name, ok := ReleaseName(p); ok {
		r.Label = PeriodLabel(name, lang)
	}
	for _, d := range tdims {
		rd := ReportDim{Name: d.Name, Label: text(lang, "dim."+d.Name)}
		for _, code := range d.Values {
			rd.Values = append(rd.Values, Value{Dimension: d.Name, Code: code, Label: label(v, d.Name, code, lang),
				ES: label(v, d.Name, code, "es"), EN: label(v, d.Name, code, "en")})
		}
		r.Dimensions = append(r.Dimensions, rd)
	}
	return r
}

// fill adds every position of the report's table, cells first, then totals.
func (r *Report) fill(get func(pos []int) (c Counts, hidden bool, reason string)) {
	choices := make([][]int, len(r.Dimensions))
	for i, d := range r.Dimensions {
		for j := range d.Values {
			choices[i] = append(choices[i], j)
		}
		choices[i] = append(choices[i], Total)
	}
	forEachPosition(choices, func(pos []int) {
		c, hidden, reason := get(pos)
		row := Row{Key: make([]Value, len(pos))}
		isTotal := false
		for i, j := range pos {
			if j == Total {
				isTotal = true
				row.Key[i] = Value{Dimension: r.Dimensions[i].Name, Code: "total", Label: text(r.Lang, "total"),
					ES: text("es", "total"), EN: text("en", "total")}
			} else {
				row.Key[i] = r.Dimensions[i].Values[j]
			}
		}
		if hidden {
			row.Suppressed, row.Reason = true, reason
		} else {
			row.Incidents, row.Survivors = ptr(c.Incidents), ptr(c.Survivors)
		}
		if isTotal || len(pos) == 0 {
			r.Totals = append(r.Totals, row)
		} else {
			r.Cells = append(r.Cells, row)
		}
	})
}

func ptr(n int) *int { return &n }

// label is a value's name for people in lang.
func label(v *vocabulary.Vocabulary, dim, code, lang string) string {
	if code == Unknown {
		return text(lang, "unknown")
	}
	if dim == "quarter" {
		return PeriodLabel(code, lang)
	}
	if dim == "month" {
		return MonthLabel(code, lang)
	}
	if list := Dimensions[dim]; list != "" {
		return v.Label(list, code, lang)
	}
	return code
}
