package stats_test

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"registro/cases"
	"registro/stats"
	"registro/vocabulary"
)

// An attacker who holds every table of every release an advocate can obtain, written
// apart from the package's own audit: it reads only the published rows of
// Release.Table (a number, or "suppressed"), works out the relations among them from
// the tables' structure, and asks a linear program (gonum's) how far each hidden
// value can move. See SPEC.md §4: for every hidden value, the interval must contain
// 0 or a value of at least k.

// Measures of a count.
const (
	mI = 0 // incidents
	mS = 1 // survivors
)

var measName = [2]string{"incidents", "survivors"}

// multi are the dimensions along which a case may count under several values.
var multi = map[string]bool{"perpetrator": true, "violation": true}

// timeDim are the dimensions that place a count in time.
var timeDim = map[string]bool{"quarter": true, "month": true}

// ---------------------------------------------------------------------------
// Positions, named by the test's own keys: "dim=value" pairs sorted by dimension
// name, joined by "&"; "" is the grand total.

func makeKey(m map[string]string) string {
	dims := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = d + "=" + m[d]
	}
	return strings.Join(parts, "&")
}

func splitKey(k string) map[string]string {
	m := map[string]string{}
	if k == "" {
		return m
	}
	for _, p := range strings.Split(k, "&") {
		d, v, _ := strings.Cut(p, "=")
		m[d] = v
	}
	return m
}

func withDim(k, d, v string) string {
	m := splitKey(k)
	m[d] = v
	return makeKey(m)
}

func withoutDim(k, d string) string {
	m := splitKey(k)
	delete(m, d)
	return makeKey(m)
}

// ---------------------------------------------------------------------------
// What an advocate sees.

// shown is one published row: numbers, or hidden.
type shown struct {
	hidden bool
	n      [2]int
}

// view is one release version as an advocate gets it: every table of the family.
type view struct {
	scope   string // "2026-Q2 v1"
	period  string
	version int
	k       int
	tables  []vtable
	values  map[string][]string // per dimension, the values its table lists
	truth   map[string][2]int   // the true counts, from the facts (never read by the attack)
}

type vtable struct {
	name string
	dims []string
	rows []vrow
}

type vrow struct {
	key, label string
	shown      shown
}

// observe gathers every table of rel as an advocate gets it. facts are what rel
// counts: only for the truth the test compares the attack against.
func observe(tb testing.TB, rel *stats.Release, v *vocabulary.Vocabulary, facts []cases.Fact) *view {
	tb.Helper()
	w := &view{values: map[string][]string{}, truth: trueCounts(facts)}
	for _, dims := range stats.FamilyTables() {
		rep, err := rel.Table(dims, v, "es", false)
		if err != nil {
			tb.Fatalf("Table(%v): %v", dims, err)
		}
		if rep.Release == nil {
			tb.Fatalf("Table(%v) of a release says no release", dims)
		}
		w.scope = fmt.Sprintf("%s v%d", rep.Release.Period, rep.Release.Version)
		w.period, w.version, w.k = rep.Release.Period, rep.Release.Version, rep.Threshold
		t := vtable{name: tableName(dims), dims: slices.Clone(dims)}
		for _, d := range rep.Dimensions {
			var codes []string
			for _, val := range d.Values {
				codes = append(codes, val.Code)
			}
			if old, ok := w.values[d.Name]; ok && !slices.Equal(old, codes) {
				tb.Errorf("%s: dimension %s lists %v in one table and %v in another", w.scope, d.Name, old, codes)
			}
			w.values[d.Name] = codes
		}
		for _, row := range slices.Concat(rep.Cells, rep.Totals) {
			m := map[string]string{}
			var label []string
			for _, val := range row.Key {
				label = append(label, val.Code)
				if val.Code != "total" {
					m[val.Dimension] = val.Code
				}
			}
			r := vrow{key: makeKey(m), label: t.name + " [" + strings.Join(label, " / ") + "]"}
			if len(dims) == 0 {
				r.label = t.name
			}
			switch {
			case row.Suppressed:
				if row.Incidents != nil || row.Survivors != nil {
					tb.Errorf("%s %s: suppressed row carries numbers", w.scope, r.label)
				}
				r.shown.hidden = true
			case row.Incidents == nil || row.Survivors == nil:
				tb.Fatalf("%s %s: a published row without numbers", w.scope, r.label)
			default:
				r.shown.n = [2]int{*row.Incidents, *row.Survivors}
			}
			t.rows = append(t.rows, r)
		}
		w.tables = append(w.tables, t)
	}
	return w
}

func tableName(dims []string) string {
	if len(dims) == 0 {
		return "total"
	}
	return strings.Join(dims, "×")
}

// factValues is what a fact counts under for dim, by the SPEC: one value (or
// "unknown") per single-valued dimension, each of its perpetrators or violations.
func factValues(f cases.Fact, dim string) []string {
	one := func(s string) []string {
		if s == "" {
			return []string{stats.Unknown}
		}
		return []string{s}
	}
	switch dim {
	case "perpetrator":
		return uniq(f.Perpetrators)
	case "violation":
		return uniq(f.Violations)
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
	panic(dim)
}

// trueCounts counts, by the test's keys, every position of the family's tables over
// facts: incidents, and distinct pseudonyms.
func trueCounts(facts []cases.Fact) map[string][2]int {
	inc := map[string]int{}
	subj := map[string]map[string]bool{}
	for _, f := range facts {
		seen := map[string]bool{}
		for _, dims := range stats.FamilyTables() {
			keys := []map[string]string{{}}
			for _, d := range dims {
				var next []map[string]string
				for _, k := range keys {
					for _, v := range factValues(f, d) {
						m := maps.Clone(k)
						m[d] = v
						next = append(next, m)
					}
				}
				keys = next
			}
			for _, m := range keys {
				k := makeKey(m)
				if seen[k] {
					continue
				}
				seen[k] = true
				inc[k]++
				if subj[k] == nil {
					subj[k] = map[string]bool{}
				}
				subj[k][f.Subject] = true
			}
		}
	}
	out := make(map[string][2]int, len(inc))
	for k, n := range inc {
		out[k] = [2]int{n, len(subj[k])}
	}
	return out
}

// ---------------------------------------------------------------------------
// The attacker's model.

// qty is one count the attacker reasons about: a position of a scope (a release
// version, or the part of a year known only to the year) and a measure.
type qty struct {
	scope, key string
	m          int
}

// yearLink ties a year's view to the quarter versions it counts and to its
// year-only part.
type yearLink struct {
	quarters [4]string
	yo       string
}

type qstatus struct {
	published bool
	val       int
	hidden    bool
	where     string // the first table row showing it, published if any
	hiddenAt  string // the first table row showing it hidden
}

// avar is one unknown.
type avar struct {
	q      qty
	lb, ub float64
	truth  int
	where  string
	hidden bool // shown as hidden (so at least 1); else a year-only part (at least 0)
}

// arel is Σ coefs·x (= or ≤) rhs over unknowns.
type arel struct {
	vars  []int
	coefs []float64
	rhs   float64
	eq    bool
	why   string
}

type attacker struct {
	k      int
	views  []*view
	years  map[string]yearLink
	truths map[string]map[string][2]int // by scope
	status map[qty]*qstatus
	vars   []avar
	index  map[qty]int
	rels   []arel
	lines  map[string]bool // lines already related, to relate each once
	// problems with the published tables themselves, found while reading them
	problems []string
}

func newAttacker(k int) *attacker {
	return &attacker{k: k, years: map[string]yearLink{}, truths: map[string]map[string][2]int{},
		status: map[qty]*qstatus{}, index: map[qty]int{}, lines: map[string]bool{}}
}

// add gives the attacker a release's tables.
func (a *attacker) add(w *view) {
	a.views = append(a.views, w)
	a.truths[w.scope] = w.truth
}

// addYear gives the attacker a year's tables, with the scopes of the quarter
// versions it counts, and the year-only facts (only for the truth).
func (a *attacker) addYear(w *view, quarters [4]string, yearOnly []cases.Fact) {
	a.add(w)
	yo := w.scope + " year-only"
	a.years[w.scope] = yearLink{quarters: quarters, yo: yo}
	a.truths[yo] = trueCounts(yearOnly)
}

// canon is where a position of a scope really lives: a year's position that fixes a
// month or a quarter is that quarter's, one of an unknown month or quarter is the
// year-only part's.
func (a *attacker) canon(scope, key string) (string, string) {
	link, ok := a.years[scope]
	if !ok {
		return scope, key
	}
	m := splitKey(key)
	for _, d := range []string{"month", "quarter"} {
		v, ok := m[d]
		if !ok {
			continue
		}
		if v == stats.Unknown {
			return link.yo, withoutDim(key, d)
		}
		q := 0
		if d == "month" {
			q = (int(v[5]-'0')*10 + int(v[6]-'0') - 1) / 3
		} else {
			q = int(v[6] - '1')
		}
		return link.quarters[q], key
	}
	return scope, key
}

func (a *attacker) isYearOnly(scope string) bool { return strings.HasSuffix(scope, " year-only") }

func (a *attacker) truthOf(q qty) int { return a.truths[q.scope][q.key][q.m] }

// term is a count with a coefficient in a relation.
type term struct {
	scope, key string
	coef       float64
}

// ref returns the unknown a count is (−1 when known) and its value when known.
func (a *attacker) ref(scope, key string, m int) (int, float64) {
	s, k := a.canon(scope, key)
	q := qty{s, k, m}
	st := a.status[q]
	if st != nil && st.published {
		return -1, float64(st.val)
	}
	if st == nil && !a.isYearOnly(s) {
		// No table lists it: one of its values counts nothing in that release.
		if a.truthOf(q) != 0 {
			a.problems = append(a.problems, fmt.Sprintf("%s %q %s: not shown but counts %d", s, k, measName[m], a.truthOf(q)))
		}
		return -1, 0
	}
	if v, ok := a.index[q]; ok {
		return v, 0
	}
	v := avar{q: q, ub: math.Inf(1), truth: a.truthOf(q), where: s + " " + k}
	if st != nil && st.hidden {
		v.lb, v.hidden, v.where = 1, true, st.hiddenAt
		if !strings.HasPrefix(st.hiddenAt, s+" ") {
			v.where += " (= " + s + " " + fmtKey(k) + ")"
		}
	} else {
		v.where = s + ": position " + fmtKey(k) + " (never shown)"
	}
	a.index[q] = len(a.vars)
	a.vars = append(a.vars, v)
	return a.index[q], 0
}

func fmtKey(k string) string {
	if k == "" {
		return "(grand total)"
	}
	return "[" + k + "]"
}

// relate adds Σ coef·count (= or ≤) 0 over the terms of one measure.
func (a *attacker) relate(m int, terms []term, eq bool, why string) {
	r := arel{eq: eq, why: why}
	coef := map[int]float64{}
	for _, t := range terms {
		v, c := a.ref(t.scope, t.key, m)
		if v < 0 {
			r.rhs -= t.coef * c
			continue
		}
		if _, ok := coef[v]; !ok {
			r.vars = append(r.vars, v)
		}
		coef[v] += t.coef
	}
	r.vars = slices.DeleteFunc(r.vars, func(v int) bool { return coef[v] == 0 })
	for _, v := range r.vars {
		r.coefs = append(r.coefs, coef[v])
	}
	if len(r.vars) == 0 {
		if (eq && math.Abs(r.rhs) > 1e-9) || (!eq && r.rhs < -1e-9) {
			a.problems = append(a.problems, "published numbers break "+why)
		}
		return
	}
	a.rels = append(a.rels, r)
}

// line relates a total and its cells along dim, in both measures.
func (a *attacker) line(scope, dim, total string, cells []string, why string) {
	id := scope + "|" + dim + "|" + total
	if a.lines[id] {
		return
	}
	a.lines[id] = true
	tot := term{scope, total, -1}
	var sum []term
	for _, c := range cells {
		sum = append(sum, term{scope, c, 1})
	}
	for m := range 2 {
		if m == mI && !multi[dim] {
			// A case has one value: the cells add up to the total.
			a.relate(m, append([]term{tot}, sum...), true, why+": Σ cells = total (incidents)")
			continue
		}
		// Each cell at most the total, the cells together at least the total.
		neg := []term{{scope, total, 1}}
		for _, c := range cells {
			neg = append(neg, term{scope, c, -1})
		}
		a.relate(m, neg, false, why+": Σ cells ≥ total ("+measName[m]+")")
		for _, c := range cells {
			a.relate(m, []term{{scope, c, 1}, tot}, false, why+": cell ≤ total ("+measName[m]+")")
		}
	}
}

// build reads every row of every view and sets up the unknowns and relations.
func (a *attacker) build() {
	// What is published, and what is hidden, position by position.
	for _, w := range a.views {
		for _, t := range w.tables {
			for _, r := range t.rows {
				s, k := a.canon(w.scope, r.key)
				for m := range 2 {
					q := qty{s, k, m}
					st := a.status[q]
					if st == nil {
						st = &qstatus{where: w.scope + " " + r.label}
						a.status[q] = st
					}
					if r.shown.hidden {
						if !st.hidden {
							st.hidden, st.hiddenAt = true, w.scope+" "+r.label
						}
						continue
					}
					if st.published && st.val != r.shown.n[m] {
						a.problems = append(a.problems, fmt.Sprintf("%s %s: %s %d here, %d in %s",
							w.scope, r.label, measName[m], r.shown.n[m], st.val, st.where))
					}
					if !st.published {
						st.published, st.val, st.where = true, r.shown.n[m], w.scope+" "+r.label
					}
				}
			}
		}
	}
	// A count hidden in one table and published in another is known.
	for q, st := range a.status {
		if st.hidden && st.published && st.val >= 1 && st.val < a.k {
			a.problems = append(a.problems, fmt.Sprintf("%s %s %s: hidden in %s, published as %d in %s",
				q.scope, fmtKey(q.key), measName[q.m], st.hiddenAt, st.val, st.where))
		}
	}
	// The lines of every table.
	for _, w := range a.views {
		for _, t := range w.tables {
			for _, d := range t.dims {
				for _, r := range t.rows {
					if _, ok := splitKey(r.key)[d]; ok {
						continue
					}
					var cells []string
					for _, v := range w.values[d] {
						cells = append(cells, withDim(r.key, d, v))
					}
					a.line(w.scope, d, r.key, cells, fmt.Sprintf("%s line along %s at %s", w.scope, d, fmtKey(r.key)))
				}
			}
		}
		if link, ok := a.years[w.scope]; ok {
			a.yearRelations(w, link)
		}
	}
	// Survivors are at most incidents.
	related := map[[2]string]bool{}
	for i := 0; i < len(a.vars); i++ { // ref may add the other measure's unknown
		q := a.vars[i].q
		if related[[2]string{q.scope, q.key}] {
			continue
		}
		related[[2]string{q.scope, q.key}] = true
		sv, sc := a.ref(q.scope, q.key, mS)
		iv, ic := a.ref(q.scope, q.key, mI)
		r := arel{why: q.scope + " " + fmtKey(q.key) + ": survivors ≤ incidents"}
		r.rhs = ic - sc
		if sv >= 0 {
			r.vars, r.coefs = append(r.vars, sv), append(r.coefs, 1)
		}
		if iv >= 0 {
			r.vars, r.coefs = append(r.vars, iv), append(r.coefs, -1)
		}
		if len(r.vars) > 0 {
			a.rels = append(a.rels, r)
		}
	}
}

// yearRelations relates a year to its quarters and its year-only part: for every
// position fixing no time, incidents are the quarters' plus the year-only part's,
// survivors at least each part's and at most their sum; and the year-only part is a
// family of its own, with the same lines.
func (a *attacker) yearRelations(w *view, link yearLink) {
	parts := append(link.quarters[:], link.yo)
	seen := map[string]bool{}
	for _, t := range w.tables {
		if slices.ContainsFunc(t.dims, func(d string) bool { return timeDim[d] }) {
			continue
		}
		for _, r := range t.rows {
			if seen[r.key] {
				continue
			}
			seen[r.key] = true
			why := fmt.Sprintf("%s %s = quarters + year-only", w.scope, fmtKey(r.key))
			ts := []term{{w.scope, r.key, 1}}
			for _, p := range parts {
				ts = append(ts, term{p, r.key, -1})
			}
			a.relate(mI, ts, true, why+" (incidents)")
			sum := []term{{w.scope, r.key, 1}}
			for _, p := range parts {
				a.relate(mS, []term{{p, r.key, 1}, {w.scope, r.key, -1}}, false, why+": part ≤ year (survivors)")
				sum = append(sum, term{p, r.key, -1})
			}
			a.relate(mS, sum, false, why+": year ≤ Σ parts (survivors)")
		}
		for _, d := range t.dims {
			for _, r := range t.rows {
				if _, ok := splitKey(r.key)[d]; ok {
					continue
				}
				var cells []string
				for _, v := range w.values[d] {
					cells = append(cells, withDim(r.key, d, v))
				}
				a.line(link.yo, d, r.key, cells, fmt.Sprintf("%s line along %s at %s", link.yo, d, fmtKey(r.key)))
			}
		}
	}
}
