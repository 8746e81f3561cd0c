package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// The audit: what an attacker holding every published number can conclude about
// each hidden one, by linear programming.

// Measures of a node in the audit.
const (
	measS = 0 // survivors
	measI = 1 // incidents
)

const eps = 1e-7

// term is one variable with its coefficient in a relation.
type term struct {
	v    int
	coef float64
}

// lrel is a relation over audit variables: Σ terms (= or ≤) rhs.
type lrel struct {
	terms []term
	rhs   float64
	eq    bool
}

// auditor holds the unknowns of one audit: variable 2i+measure for node i.
type auditor struct {
	m      *model
	lb, ub []float64
	fixed  []bool // known exactly
	rels   []lrel
}

// audit returns every hidden position with a value an attacker can bound between 1
// and k−1: its largest possible value in a table consistent with everything
// published is below k.
func (m *model) audit() ([]int, error) {
	a := m.newAuditor()
	a.relations()
	a.propagate()
	// A value settled in an earlier round stays settled: hiding more only adds
	// unknowns, and the table that showed it reaching k is still consistent (a newly
	// hidden position keeps the value it had when published, which is at least 1).
	var targets []int
	for _, t := range a.targets() {
		if !m.settled[t] {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	failing := map[int]bool{}
	for _, t := range targets {
		if a.ub[t] < float64(m.k)-eps {
			failing[t] = true
		}
	}
	comps := a.components(targets)
	for _, comp := range comps {
		var open []int
		for _, t := range comp.targets {
			if !failing[t] {
				open = append(open, t)
			}
		}
		if len(open) == 0 {
			continue
		}
		bad, err := a.solve(comp, open)
		if err != nil {
			return nil, err
		}
		for _, t := range bad {
			failing[t] = true
		}
		for _, t := range open {
			if !slices.Contains(bad, t) {
				m.settled[t] = true
			}
		}
	}
	var out []int
	for t := range failing {
		out = append(out, t/2)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (m *model) newAuditor() *auditor {
	n := len(m.nodes)
	a := &auditor{m: m, lb: make([]float64, 2*n), ub: make([]float64, 2*n), fixed: make([]bool, 2*n)}
	for i, nd := range m.nodes {
		for meas, val := range []int{nd.c.Survivors, nd.c.Incidents} {
			v := 2*i + meas
			if nd.hidden {
				a.lb[v], a.ub[v] = 1, m.cap
			} else {
				a.lb[v], a.ub[v], a.fixed[v] = float64(val), float64(val), true
			}
		}
	}
	return a
}

// relations lists every relation an attacker knows, over variables.
func (a *auditor) relations() {
	add := func(r lrel) { a.rels = append(a.rels, r) }
	for i, n := range a.m.nodes {
		if n.hidden {
			add(lrel{terms: []term{{2*i + measS, 1}, {2*i + measI, -1}}}) // S ≤ I
		}
	}
	// additive: Σ cells = total; otherwise Σ cells ≥ total and each cell ≤ total.
	relate := func(l line, meas int, additive bool) {
		r := lrel{terms: []term{{2*l.total + meas, -1}}, eq: additive}
		for _, c := range l.cells {
			r.terms = append(r.terms, term{2*c + meas, 1})
		}
		if additive {
			add(r)
			return
		}
		for i := range r.terms {
			r.terms[i].coef = -r.terms[i].coef
		}
		add(r)
		for _, c := range l.cells {
			add(lrel{terms: []term{{2*c + meas, 1}, {2*l.total + meas, -1}}})
		}
	}
	for _, l := range a.m.lines {
		relate(l, measI, !l.multi)
		relate(l, measS, false)
	}
}

// propagate substitutes known variables, turns relations over one unknown into
// bounds, and fixes unknowns whose bounds meet, until nothing changes.
func (a *auditor) propagate() {
	for changed := true; changed; {
		changed = false
		kept := a.rels[:0]
		for _, r := range a.rels {
			var ts []term
			rhs := r.rhs
			for _, t := range r.terms {
				if a.fixed[t.v] {
					rhs -= t.coef * a.lb[t.v]
				} else {
					ts = append(ts, t)
				}
			}
			switch len(ts) {
			case 0:
				continue
			case 1:
				t := ts[0]
				b := rhs / t.coef
				if r.eq {
					a.lb[t.v], a.ub[t.v] = math.Max(a.lb[t.v], b), math.Min(a.ub[t.v], b)
				} else if t.coef > 0 {
					a.ub[t.v] = math.Min(a.ub[t.v], b)
				} else {
					a.lb[t.v] = math.Max(a.lb[t.v], b)
				}
				if a.ub[t.v]-a.lb[t.v] < eps {
					a.fixed[t.v], a.ub[t.v] = true, a.lb[t.v]
				}
				changed = true
				continue
			}
			kept = append(kept, lrel{terms: ts, rhs: rhs, eq: r.eq})
		}
		a.rels = kept
	}
}

// targets are the hidden values whose truth is 1 to k−1.
func (a *auditor) targets() []int {
	var out []int
	for i, n := range a.m.nodes {
		if !n.hidden {
			continue
		}
		for meas, val := range []int{n.c.Survivors, n.c.Incidents} {
			if val >= 1 && val < a.m.k {
				out = append(out, 2*i+meas)
			}
		}
	}
	return out
}

// comp is a group of unknowns linked by relations, with the targets among them.
type comp struct {
	vars    []int
	rels    []lrel
	targets []int
}

func (a *auditor) components(targets []int) []comp {
	parent := map[int]int{}
	var find func(int) int
	find = func(i int) int {
		p, ok := parent[i]
		if !ok {
			parent[i] = i
			return i
		}
		if p != i {
			parent[i] = find(p)
		}
		return parent[i]
	}
	for _, r := range a.rels {
		for _, t := range r.terms[1:] {
			parent[find(t.v)] = find(r.terms[0].v)
		}
	}
	byRoot := map[int]*comp{}
	var order []int
	get := func(v int) *comp {
		r := find(v)
		if byRoot[r] == nil {
			byRoot[r] = &comp{}
			order = append(order, r)
		}
		return byRoot[r]
	}
	for _, t := range targets {
		if !a.fixed[t] {
			get(t).targets = append(get(t).targets, t)
		}
	}
	seen := map[int]bool{}
	for _, r := range a.rels {
		c := byRoot[find(r.terms[0].v)]
		if c == nil {
			continue
		}
		c.rels = append(c.rels, r)
		for _, t := range r.terms {
			if !seen[t.v] {
				seen[t.v] = true
				c.vars = append(c.vars, t.v)
			}
		}
	}
	for _, t := range targets {
		if !a.fixed[t] && !seen[t] {
			seen[t] = true
			get(t).vars = append(get(t).vars, t)
		}
	}
	out := make([]comp, 0, len(order))
	for _, r := range order {
		out = append(out, *byRoot[r])
	}
	return out
}

// solve returns the targets of comp (among open) that cannot reach k.
func (a *auditor) solve(c comp, open []int) ([]int, error) {
	k := float64(a.m.k)
	col := make(map[int]int, len(c.vars))
	for j, v := range c.vars {
		col[v] = j
	}
	// Unknowns y = x − lb ≥ 0.
	p := &lp{n: len(c.vars)}
	for _, r := range c.rels {
		row := lpRow{rhs: r.rhs, eq: r.eq}
		for _, t := range r.terms {
			row.idx = append(row.idx, col[t.v])
			row.coef = append(row.coef, t.coef)
			row.rhs -= t.coef * a.lb[t.v]
		}
		p.rows = append(p.rows, row)
	}
	for j, v := range c.vars {
		// Bounds below the cap come from relations; the cap itself is left out: a
		// program that runs away upwards (errUnbounded) has its answer.
		if a.ub[v] < a.m.cap {
			p.rows = append(p.rows, lpRow{idx: []int{j}, coef: []float64{1}, rhs: a.ub[v] - a.lb[v]})
		}
	}
	s, err := newSimplex(p)
	if err != nil {
		return nil, fmt.Errorf("stats: audit of %d unknowns: %w", len(c.vars), err)
	}
	settled := map[int]bool{}
	see := func(x []float64) {
		for _, t := range open {
			if x[col[t]]+a.lb[t] >= k-eps {
				settled[t] = true
			}
		}
	}
	see(s.solution())
	// Each target is pushed up until it reaches k (not to its maximum): every table
	// met on the way may settle others too.
	var bad []int
	for _, t := range open {
		if settled[t] {
			continue
		}
		obj := make([]float64, p.n)
		obj[col[t]] = 1
		switch err := s.maximizeUntil(obj, col[t], math.Inf(1)); {
		case errors.Is(err, errUnbounded):
			settled[t] = true
		case err != nil:
			return nil, fmt.Errorf("stats: audit: %w", err)
		default:
			see(s.solution())
		}
		if !settled[t] {
			bad = append(bad, t)
		}
	}
	return bad, nil
}
