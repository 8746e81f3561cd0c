package imports

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"registro/cases"
	"registro/vocabulary"
)

// Converter turns the cells of a row, as people wrote them, into a case.
type Converter struct {
	v   *vocabulary.Vocabulary
	syn *vocabulary.Synonyms
	now func() time.Time
}

// NewConverter returns a converter to v's codes through syn; now bounds dates.
func NewConverter(v *vocabulary.Vocabulary, syn *vocabulary.Synonyms, now func() time.Time) *Converter {
	return &Converter{v: v, syn: syn, now: now}
}

// Result is a converted row: the case it makes (without its consent, which the
// coordinator states for the whole file), the problems that keep it out, and what
// each cell became.
type Result struct {
	Row      int
	Input    cases.Input
	Problems []Problem
	Changes  []Change
	// Minor: the row is about someone under 18 (also a Problem "minor").
	Minor bool
	// NoCode: the row has no survivor code; the case gets a random pseudonym.
	NoCode bool
	// Content is the row's mapped cells in field order, for the key that imports a
	// row only once.
	Content []string
}

// Change says what one cell became: codes of the field's list, or a date.
type Change struct {
	Column string
	Value  string
	Field  Field
	Codes  []string
	// Default: the cell was empty and the mapping's default was used.
	Default bool
}

// cell is one field's cell in a row.
type cell struct {
	column, value string
	isDefault     bool
}

// Convert converts row of a file with header under m. It never fails: whatever it
// cannot use is a Problem.
func (c *Converter) Convert(header []string, m Mapping, row Row) Result {
	res := Result{Row: row.Number}
	cells := map[Field]cell{}
	for i, h := range header {
		f := m.Columns[h]
		if f == "" || f == FieldIgnore || i >= len(row.Cells) {
			continue
		}
		cells[f] = cell{column: h, value: strings.TrimSpace(row.Cells[i])}
	}
	for _, f := range Fields() {
		if f == FieldIgnore {
			continue
		}
		res.Content = append(res.Content, cells[f].value)
		if d := m.Defaults[f]; d != "" && cells[f].value == "" {
			cl := cells[f]
			cl.value, cl.isDefault = d, true
			cells[f] = cl
		}
	}
	if row.Extra > 0 {
		res.problem(cell{}, "too_many_cells", "")
	}
	in := &res.Input
	c.uic(&res, cells[FieldUIC])
	c.date(&res, cells[FieldDate])
	in.Incident.District = c.one(&res, cells[FieldDistrict], FieldDistrict, vocabulary.Districts, "district_required", "district_unknown")
	in.Incident.Place = c.one(&res, cells[FieldPlace], FieldPlace, vocabulary.Places, "place_required", "place_unknown")
	in.Perpetrators = c.many(&res, cells[FieldPerpetrators], FieldPerpetrators, vocabulary.Perpetrators, "perpetrator_required", "perpetrator_unknown")
	in.Violations = c.many(&res, cells[FieldViolations], FieldViolations, vocabulary.Violations, "violation_required", "violation_unknown")
	c.age(&res, cells[FieldAge])
	in.Survivor.Gender = c.one(&res, cells[FieldGender], FieldGender, vocabulary.Genders, "", "gender_unknown")
	in.Survivor.Nationality = c.one(&res, cells[FieldNationality], FieldNationality, vocabulary.Nationalities, "", "nationality_unknown")
	in.Survivor.WorkSetting = c.one(&res, cells[FieldWorkSetting], FieldWorkSetting, vocabulary.WorkSettings, "", "work_setting_unknown")
	c.reported(&res, cells[FieldReportedTo])
	in.Response.Referrals = c.referrals(&res, cells[FieldReferrals])
	c.status(&res, cells[FieldStatus], cells[FieldOutcome])
	if n := cells[FieldNarrative]; n.value != "" {
		if utf8.RuneCountInString(n.value) > 20000 {
			res.problem(n, "narrative_too_long", "")
		}
		in.Narrative = n.value
	}
	return res
}

func (r *Result) problem(cl cell, code, detail string) {
	r.Problems = append(r.Problems, Problem{Column: cl.column, Value: cl.value, Code: code, Detail: detail})
}

func (r *Result) change(cl cell, f Field, codes ...string) {
	r.Changes = append(r.Changes, Change{Column: cl.column, Value: cl.value, Field: f, Codes: codes, Default: cl.isDefault})
}

func (c *Converter) uic(r *Result, cl cell) {
	if cl.value == "" {
		r.NoCode = true
		return
	}
	norm, ok := cases.NormalizeUIC(cl.value)
	if !ok {
		r.problem(cl, "uic_shape", "")
		return
	}
	r.Input.UIC = norm
}

// one converts a single-valued cell; required names the problem of an empty one
// ("" when the field may stay empty).
func (c *Converter) one(r *Result, cl cell, f Field, l vocabulary.List, required, unknown string) string {
	if cl.value == "" {
		if required != "" {
			r.problem(cl, required, "")
		}
		return ""
	}
	code, ok := c.lookup(l, cl.value)
	if !ok {
		r.problem(cl, unknown, cl.value)
		return ""
	}
	r.change(cl, f, code)
	return code
}

func (c *Converter) lookup(l vocabulary.List, text string) (string, bool) {
	if code, ok := c.syn.Lookup(l, text); ok {
		return code, true
	}
	return c.syn.Within(l, text)
}

// splitter separates the several answers of one cell: "cliente / policía",
// "golpes, robo", "PNP y serenazgo", "legal y salud".
var splitter = regexp.MustCompile(`\s*(?:/|,|;|\+|&|\s+y\s+|\s+e\s+|\s+o\s+)\s*`)

// parts are the answers of a cell: the whole cell when it names one term ("trata de
// personas"), else its pieces.
func (c *Converter) parts(l vocabulary.List, value string) []string {
	if _, ok := c.syn.Lookup(l, value); ok {
		return []string{value}
	}
	var out []string
	for _, p := range splitter.Split(value, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// many converts a cell of several answers; an answer not understood is a problem
// naming it.
func (c *Converter) many(r *Result, cl cell, f Field, l vocabulary.List, required, unknown string) []string {
	if cl.value == "" {
		if required != "" {
			r.problem(cl, required, "")
		}
		return nil
	}
	var codes []string
	for _, p := range c.parts(l, cl.value) {
		code, ok := c.lookup(l, p)
		if !ok {
			r.problem(cl, unknown, p)
			continue
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	if len(codes) > 0 {
		r.change(cl, f, codes...)
	}
	return codes
}

// yesNo is a leading "sí" or "no" in a cell about reporting ("Sí - fiscalía").
var yesNo = regexp.MustCompile(`^(si|no)(?:\s*-\s*|\s+|$)`)

func (c *Converter) reported(r *Result, cl cell) {
	if cl.value == "" {
		return
	}
	folded := vocabulary.Fold(cl.value)
	rest := cl.value
	if m := yesNo.FindStringSubmatch(folded); m != nil {
		rest = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(folded[len(m[0]):]), ",-:"))
		if rest == "" {
			if m[1] == "no" {
				r.Input.Response.ReportedTo = []string{"none"}
				r.change(cl, FieldReportedTo, "none")
			} else {
				r.problem(cl, "reported_yes", "")
			}
			return
		}
	}
	r.Input.Response.ReportedTo = c.many(r, cell{column: cl.column, value: rest, isDefault: cl.isDefault}, FieldReportedTo,
		vocabulary.ReportedTo, "", "reported_to_unknown")
	if n := len(r.Changes); n > 0 && r.Changes[n-1].Field == FieldReportedTo {
		r.Changes[n-1].Value = cl.value
	}
}

func (c *Converter) referrals(r *Result, cl cell) []string {
	switch vocabulary.Fold(cl.value) {
	case "", "ninguna", "ninguno", "no", "none", "sin derivacion":
		return nil
	}
	return c.many(r, cl, FieldReferrals, vocabulary.Referrals, "", "referral_unknown")
}

// statusSplit separates a status from its outcome: "Cerrado - resuelto".
var statusSplit = regexp.MustCompile(`\s*(?:-|–|,|:|\(|\))\s*`)

func (c *Converter) status(r *Result, st, out cell) {
	if st.value == "" {
		return // open, as a new case
	}
	status, outcome := st.value, ""
	if _, ok := c.syn.Lookup(vocabulary.Statuses, status); !ok {
		if parts := statusSplit.Split(st.value, 3); len(parts) >= 2 {
			status, outcome = parts[0], strings.TrimSpace(parts[1])
		}
	}
	code, ok := c.lookup(vocabulary.Statuses, status)
	if !ok {
		r.problem(st, "status_unknown", "")
		return
	}
	r.Input.Response.Status = code
	codes := []string{code}
	if code == "closed" {
		oc := out
		if outcome != "" {
			oc = cell{column: st.column, value: outcome}
		}
		if oc.value == "" {
			r.problem(st, "outcome_required", "")
		} else if o, ok := c.lookup(vocabulary.Outcomes, oc.value); ok {
			r.Input.Response.Outcome = o
			if oc.column == st.column {
				codes = append(codes, o)
			} else {
				r.change(oc, FieldOutcome, o)
			}
		} else {
			r.problem(oc, "outcome_unknown", "")
		}
	}
	r.change(st, FieldStatus, codes...)
}
