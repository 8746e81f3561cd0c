package stats

import (
	"registro/cases"
	"registro/vocabulary"
)

// Report is a suppressed table ready to publish: every number in it may be shown.
type Report struct {
	Org        string      `json:"org"`
	Period     Period      `json:"period"`
	Label      string      `json:"period_label"`
	Threshold  int         `json:"threshold"`
	Lang       string      `json:"lang"`
	Dimensions []ReportDim `json:"dimensions"`
	Cells      []Row       `json:"cells"`
	Totals     []Row       `json:"totals"`
	Note       string      `json:"note"`
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

// Row is one published position: its numbers, or why they are withheld.
type Row struct {
	Key        []Value `json:"key"`
	Incidents  *int    `json:"incidents,omitempty"`
	Survivors  *int    `json:"survivors,omitempty"`
	Suppressed bool    `json:"suppressed,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

// Build counts facts by dims, applies disclosure control with threshold k, and
// returns the report with labels in lang ("es" or "en"). It returns Count's and
// Suppress's errors.
func Build(org string, p Period, facts []cases.Fact, dims []string, v *vocabulary.Vocabulary, k int, lang string) (*Report, error) {
	t, err := Count(facts, dims, v)
	if err != nil {
		return nil, err
	}
	if err := Suppress(t, k); err != nil {
		return nil, err
	}
	r := &Report{Org: org, Period: p, Label: p.Label(), Threshold: k, Lang: lang,
		Dimensions: []ReportDim{}, Cells: []Row{}, Totals: []Row{}, Note: note(lang, k, p.Label())}
	tdims := t.Dims()
	for _, d := range tdims {
		rd := ReportDim{Name: d.Name, Label: text(lang, "dim."+d.Name)}
		for _, code := range d.Values {
			rd.Values = append(rd.Values, Value{Dimension: d.Name, Code: code, Label: label(v, d.Name, code, lang),
				ES: label(v, d.Name, code, "es"), EN: label(v, d.Name, code, "en")})
		}
		r.Dimensions = append(r.Dimensions, rd)
	}
	choices := make([][]int, len(tdims))
	for i, d := range tdims {
		for j := range d.Values {
			choices[i] = append(choices[i], j)
		}
		choices[i] = append(choices[i], Total)
	}
	forEachPosition(choices, func(pos []int) {
		c, st := t.Get(pos)
		row := Row{Key: make([]Value, len(pos))}
		isTotal := false
		for i, j := range pos {
			if j == Total {
				isTotal = true
				row.Key[i] = Value{Dimension: tdims[i].Name, Code: "total", Label: text(lang, "total"),
					ES: text("es", "total"), EN: text("en", "total")}
			} else {
				row.Key[i] = r.Dimensions[i].Values[j]
			}
		}
		if st.Suppressed {
			row.Suppressed, row.Reason = true, st.Reason
		} else {
			row.Incidents, row.Survivors = ptr(c.Incidents), ptr(c.Survivors)
		}
		if isTotal || len(pos) == 0 {
			r.Totals = append(r.Totals, row)
		} else {
			r.Cells = append(r.Cells, row)
		}
	})
	return r, nil
}

func ptr(n int) *int { return &n }

// label is a value's name for people in lang.
func label(v *vocabulary.Vocabulary, dim, code, lang string) string {
	if code == Unknown {
		return text(lang, "unknown")
	}
	if list := Dimensions[dim]; list != "" {
		return v.Label(list, code, lang)
	}
	return code
}
