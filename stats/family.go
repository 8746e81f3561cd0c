package stats

import (
	"slices"
	"strings"

	"registro/cases"
	"registro/validation"
)

// The family is the fixed set of tables a release publishes: the grand total, one
// table per dimension, and the two-grouping tables of Pairs. Advocates may ask only
// for these, and disclosure control protects them together, so no table of the
// family can be used to undo another.

// DimOrder is the dimensions in the order keys and tables name them.
var DimOrder = []string{"perpetrator", "violation", "district", "place", "age_band",
	"gender", "nationality", "work_setting", "quarter", "month"}

// Pairs are the two-grouping tables of the family.
var Pairs = [][2]string{
	{"perpetrator", "violation"},
	{"perpetrator", "district"},
	{"perpetrator", "month"},
	{"violation", "month"},
}

// FamilyTables lists the family's tables by their dimensions: the grand total (no
// dimension), then one per dimension, then the pairs.
func FamilyTables() [][]string {
	out := [][]string{{}}
	for _, d := range DimOrder {
		out = append(out, []string{d})
	}
	for _, p := range Pairs {
		out = append(out, []string{p[0], p[1]})
	}
	return out
}

// FamilyBy lists the values "by" may take for a release, as written in a query
// string: "" for the grand total, "perpetrator", …, "perpetrator,violation", ….
func FamilyBy() []string {
	var out []string
	for _, t := range FamilyTables() {
		out = append(out, strings.Join(t, ","))
	}
	return out
}

// InFamily reports whether a table grouped by dims (in any order) is in the family.
func InFamily(dims []string) bool {
	switch len(dims) {
	case 0:
		return true
	case 1:
		return slices.Contains(DimOrder, dims[0])
	case 2:
		for _, p := range Pairs {
			if (dims[0] == p[0] && dims[1] == p[1]) || (dims[0] == p[1] && dims[1] == p[0]) {
				return true
			}
		}
	}
	return false
}

// ParseFamilyBy reads "by" for a release table. It returns *validation.Error on "by"
// listing the allowed groupings when by is not a table of the family.
func ParseFamilyBy(by string) ([]string, error) {
	dims, err := ParseDims(by)
	if err == nil && InFamily(dims) {
		return dims, nil
	}
	allowed := FamilyBy()[1:]
	return nil, validation.Field("by", validation.NotPublished, "Allowed", strings.Join(allowed, " | "))
}

// key names one position of the family: the dimensions it fixes, in DimOrder, as
// "dim=value" joined by "&"; "" is the grand total. The same count has one key
// whichever table shows it (the perpetrator table's row for the police and the
// total of the police's row in perpetrator × month are one position).
func key(dims []string, vals []string) string {
	if len(dims) == 0 {
		return ""
	}
	type dv struct{ d, v string }
	parts := make([]dv, len(dims))
	for i := range dims {
		parts[i] = dv{dims[i], vals[i]}
	}
	slices.SortFunc(parts, func(a, b dv) int {
		return slices.Index(DimOrder, a.d) - slices.Index(DimOrder, b.d)
	})
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.d)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// parseKey splits a key into its dimensions and values.
func parseKey(k string) (dims, vals []string) {
	if k == "" {
		return nil, nil
	}
	for _, part := range strings.Split(k, "&") {
		d, v, _ := strings.Cut(part, "=")
		dims, vals = append(dims, d), append(vals, v)
	}
	return dims, vals
}

// countFamily counts every nonzero position of the family over facts: incidents, and
// distinct survivors by pseudonym.
func countFamily(facts []cases.Fact) map[string]Counts {
	type acc struct {
		n    int
		subj map[string]struct{}
	}
	accs := map[string]*acc{}
	tables := FamilyTables()
	for _, f := range facts {
		for _, dims := range tables {
			choices := make([][]string, len(dims))
			for i, d := range dims {
				choices[i] = dedupe(valuesOf(f, d))
			}
			vals := make([]string, len(dims))
			var walk func(i int)
			walk = func(i int) {
				if i == len(dims) {
					k := key(dims, vals)
					a := accs[k]
					if a == nil {
						a = &acc{subj: map[string]struct{}{}}
						accs[k] = a
					}
					a.n++
					a.subj[f.Subject] = struct{}{}
					return
				}
				for _, v := range choices[i] {
					vals[i] = v
					walk(i + 1)
				}
			}
			walk(0)
		}
	}
	out := make(map[string]Counts, len(accs))
	for k, a := range accs {
		out[k] = Counts{Incidents: a.n, Survivors: len(a.subj)}
	}
	return out
}
