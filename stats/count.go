package stats

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"registro/cases"
	"registro/validation"
	"registro/vocabulary"
)

// Unknown is the value of a fact that does not say (an optional field left empty, or
// a date known only to the year when grouping by quarter or month).
const Unknown = "unknown"

// Dimensions lists what a table can be grouped by, with the vocabulary that orders and
// labels each one's values (none for quarter and month, which sort by time).
var Dimensions = map[string]vocabulary.List{
	"perpetrator": vocabulary.Perpetrators, "violation": vocabulary.Violations,
	"district": vocabulary.Districts, "place": vocabulary.Places, "age_band": vocabulary.AgeBands,
	"gender": vocabulary.Genders, "nationality": vocabulary.Nationalities,
	"work_setting": vocabulary.WorkSettings, "quarter": "", "month": "",
}

// MaxDims bounds the groupings of one table: beyond three a table is mostly hidden.
const MaxDims = 3

// ParseDims reads a comma-separated list of dimensions ("perpetrator,district"). It
// returns *validation.Error on "by" for an unknown, repeated or fourth dimension.
func ParseDims(by string) ([]string, error) {
	if by == "" {
		return nil, nil
	}
	dims := strings.Split(by, ",")
	e := &validation.Error{}
	for i, d := range dims {
		if _, ok := Dimensions[d]; !ok {
			e.Add("by", validation.UnknownDimension, "Name", d)
		} else if slices.Contains(dims[:i], d) {
			e.Add("by", validation.DimensionTwice, "Name", d)
		}
	}
	if len(dims) > MaxDims {
		e.Add("by", validation.ThreeDimensions)
	}
	return dims, e.Err()
}

// multiValued dimensions let one case fall under several values.
func multiValued(dim string) bool { return dim == "perpetrator" || dim == "violation" }

// valuesOf is what a fact counts under for dim.
func valuesOf(f cases.Fact, dim string) []string {
	one := func(v string) []string {
		if v == "" {
			return []string{Unknown}
		}
		return []string{v}
	}
	switch dim {
	case "perpetrator":
		return f.Perpetrators
	case "violation":
		return f.Violations
	case "district":
		return one(f.District)
	case "place":
		return one(f.Place)
	case "age_band":
		return one(f.AgeBand)
	case "gender":
		return one(f.Gender)
	case "nationality":
		return one(f.Nationality)
	case "work_setting":
		return one(f.WorkSetting)
	case "quarter":
		return one(f.Quarter)
	case "month":
		return one(f.Month)
	}
	return nil
}

// Count groups facts by dims into a table of incidents and distinct survivors, with
// every total: a case under two perpetrators counts in both cells and once in their
// total. Each dimension's values are those the facts hold, in vocabulary order (time
// order for quarter and month; unknown last). It returns an error naming an unknown
// or repeated dimension.
func Count(facts []cases.Fact, dims []string, v *vocabulary.Vocabulary) (*Table, error) {
	for i, d := range dims {
		if _, ok := Dimensions[d]; !ok {
			return nil, fmt.Errorf("stats: unknown dimension %q", d)
		}
		if slices.Contains(dims[:i], d) {
			return nil, fmt.Errorf("stats: dimension %q given twice", d)
		}
	}
	tdims := make([]Dimension, len(dims))
	index := make([]map[string]int, len(dims))
	for i, d := range dims {
		tdims[i] = Dimension{Name: d, MultiValued: multiValued(d), Values: presentValues(facts, d, v)}
		index[i] = make(map[string]int, len(tdims[i].Values))
		for j, val := range tdims[i].Values {
			index[i][val] = j
		}
	}
	t := NewTable(tdims)
	incidents := map[int]int{}
	survivors := map[int]map[string]bool{}
	for _, f := range facts {
		// The positions of f: per dimension its values' indexes and Total.
		choices := make([][]int, len(dims))
		for i, d := range dims {
			choices[i] = []int{Total}
			for _, val := range dedupe(valuesOf(f, d)) {
				choices[i] = append(choices[i], index[i][val])
			}
		}
		forEachPosition(choices, func(pos []int) {
			k := t.index(pos)
			incidents[k]++
			if survivors[k] == nil {
				survivors[k] = map[string]bool{}
			}
			survivors[k][f.Subject] = true
		})
	}
	for k, n := range incidents {
		t.Set(t.position(k), Counts{Incidents: n, Survivors: len(survivors[k])})
	}
	return t, nil
}

// presentValues are the values of dim that facts hold, in display order.
func presentValues(facts []cases.Fact, dim string, v *vocabulary.Vocabulary) []string {
	seen := map[string]bool{}
	for _, f := range facts {
		for _, val := range valuesOf(f, dim) {
			seen[val] = true
		}
	}
	return orderValues(dim, seen, v)
}

// orderValues puts the values in seen in display order: vocabulary order, then time
// values and codes no longer in the vocabulary by code, unknown last.
func orderValues(dim string, seen map[string]bool, v *vocabulary.Vocabulary) []string {
	seen = maps.Clone(seen)
	var out []string
	if list := Dimensions[dim]; list != "" {
		for _, term := range v.Terms(list) {
			if seen[term.Code] {
				out = append(out, term.Code)
				delete(seen, term.Code)
			}
		}
	}
	rest := make([]string, 0, len(seen))
	for val := range seen {
		if val != Unknown {
			rest = append(rest, val)
		}
	}
	slices.Sort(rest)
	out = append(out, rest...)
	if seen[Unknown] {
		out = append(out, Unknown)
	}
	return out
}

func dedupe(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// forEachPosition calls fn with every combination of one choice per dimension.
func forEachPosition(choices [][]int, fn func(pos []int)) {
	pos := make([]int, len(choices))
	var walk func(d int)
	walk = func(d int) {
		if d == len(choices) {
			fn(pos)
			return
		}
		for _, c := range choices[d] {
			pos[d] = c
			walk(d + 1)
		}
	}
	walk(0)
}
