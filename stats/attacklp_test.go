package stats_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// The attack: for every hidden value whose truth is 1 to k−1 (a larger one can take
// its own true value, which is at least k), can it take a value of k or more in some
// table that fits everything published; and for a part of a year known only to the
// year, can it take k or more, or 0?
//
// A value is safe once a table is found in which it reaches k (or 0): a whole table,
// every unknown given a value, checked against every relation and bound. The model
// of a year with its quarters is too large for gonum's dense simplex in one piece, so
// tables are looked for with a small local search (move) driven by the package's
// own small simplex (boundedlp_test.go), whose answers are never trusted as such. A
// value the search cannot move is a leak only when gonum's simplex confirms it on the
// relaxation (a subset of the relations) the search stopped at: what a subset of the
// relations forbids, the whole forbids.

const tol = 1e-6

// leak is a value an attacker can bound between 1 and k−1.
type leak struct {
	v      avar
	lo, hi float64
	// relations tight at the maximum that involve the value (what bounds it)
	tight []string
	size  string // the linear program's size
}

func (l leak) String() string {
	kind := "hidden"
	if !l.v.hidden {
		kind = "year-only part"
	}
	s := fmt.Sprintf("%s (%s %s, truth %d): interval [%.4g, %.4g]; %s", l.v.where, kind, measName[l.v.q.m], l.v.truth, l.lo, l.hi, l.size)
	if len(l.tight) > 0 {
		s += "\n\t\tbound by: " + strings.Join(l.tight, "\n\t\t          ")
	}
	return s
}

// attackStats say how big the attack was.
type attackStats struct {
	unknowns, relations, targets, programs, solves, largest int
}

func (s attackStats) String() string {
	return fmt.Sprintf("%d unknowns, %d relations, %d values to check, %d linear programs (largest %d unknowns), %d solves",
		s.unknowns, s.relations, s.targets, s.programs, s.largest, s.solves)
}

// solver is the attack on one attacker's model.
type solver struct {
	tb      testing.TB
	a       *attacker
	k       float64
	lb, ub  []float64 // after presolve
	fixed   []bool
	rels    []arel  // over two or more unknowns, after presolve
	through [][]int // unknown → its relations
	high    []bool  // seen at k or more in a table that fits everything published
	low     []bool  // seen at 0 in such a table
	pushed  []bool  // among the targets of a push already
	st      attackStats
}

// presolve drops known unknowns from rels and turns relations over one unknown into
// bounds, until nothing changes; it returns the relations left.
func presolve(rels []arel, lb, ub []float64, fixed []bool) []arel {
	for changed := true; changed; {
		changed = false
		kept := make([]arel, 0, len(rels))
		for _, r := range rels {
			nr := arel{rhs: r.rhs, eq: r.eq, why: r.why}
			for j, v := range r.vars {
				if fixed[v] {
					nr.rhs -= r.coefs[j] * lb[v]
				} else {
					nr.vars, nr.coefs = append(nr.vars, v), append(nr.coefs, r.coefs[j])
				}
			}
			switch len(nr.vars) {
			case 0:
				continue
			case 1:
				v, b := nr.vars[0], nr.rhs/nr.coefs[0]
				if nr.eq || nr.coefs[0] > 0 {
					ub[v] = math.Min(ub[v], b)
				}
				if nr.eq || nr.coefs[0] < 0 {
					lb[v] = math.Max(lb[v], b)
				}
				if ub[v]-lb[v] < 1e-9 {
					fixed[v], ub[v] = true, lb[v]
				}
				changed = true
				continue
			}
			kept = append(kept, nr)
		}
		rels = kept
	}
	return rels
}

// attack returns every value the attacker can bound between 1 and k−1 (a part known
// only to the year: between 1 and k−1 with 0 excluded).
//
// Each value is settled by a table found around it: first by push, which lets the
// unknowns near it move together, every other unknown held at its true value (which
// fits everything published), so that any table it finds is one of the full model;
// else by move. A table counts only after check has verified it against every
// relation and bound.
func (a *attacker) attack(tb testing.TB) ([]leak, attackStats) {
	tb.Helper()
	s := &solver{tb: tb, a: a, k: float64(a.k)}
	s.st = attackStats{unknowns: len(a.vars), relations: len(a.rels)}
	n := len(a.vars)
	s.lb, s.ub, s.fixed = make([]float64, n), make([]float64, n), make([]bool, n)
	s.high, s.low, s.pushed = make([]bool, n), make([]bool, n), make([]bool, n)
	for i, v := range a.vars {
		s.lb[i], s.ub[i] = v.lb, v.ub
	}
	// The truth must fit the model, or the model is wrong (or the tables are).
	for _, r := range a.rels {
		sum := 0.0
		for j, v := range r.vars {
			sum += r.coefs[j] * float64(a.vars[v].truth)
		}
		if (r.eq && math.Abs(sum-r.rhs) > tol) || (!r.eq && sum > r.rhs+tol) {
			tb.Errorf("the true counts break %s (%g vs %g)", r.why, sum, r.rhs)
		}
	}
	for _, v := range a.vars {
		if float64(v.truth) < v.lb {
			tb.Errorf("%s: true %s %d below its bound %g", v.where, measName[v.q.m], v.truth, v.lb)
		}
	}
	var targets []int
	for i, v := range a.vars {
		if v.truth >= 1 && v.truth < a.k {
			targets = append(targets, i)
		}
	}
	s.st.targets = len(targets)
	// Survivors first: a table with k survivors somewhere has k incidents there.
	slices.SortStableFunc(targets, func(x, y int) int { return a.vars[y].q.m - a.vars[x].q.m })
	s.rels = presolve(slices.Clone(a.rels), s.lb, s.ub, s.fixed)
	for i, v := range a.vars {
		if x := float64(v.truth); x < s.lb[i]-tol || x > s.ub[i]+tol {
			tb.Errorf("%s: true %s %d outside [%g, %g], which the published numbers imply", v.where, measName[v.q.m], v.truth, s.lb[i], s.ub[i])
		}
	}
	s.through = make([][]int, n)
	for ri, r := range s.rels {
		for _, v := range r.vars {
			s.through[v] = append(s.through[v], ri)
		}
	}
	var leaks []leak
	for _, t := range targets {
		if l, ok := s.decide(t); ok {
			leaks = append(leaks, l)
		}
	}
	slices.SortFunc(leaks, func(x, y leak) int { return strings.Compare(x.v.where, y.v.where) })
	return leaks, s.st
}

func (s *solver) settled(t int) bool {
	return s.high[t] || (s.low[t] && s.lb[t] <= tol)
}

// decide settles target t, or returns the leak it is.
func (s *solver) decide(t int) (leak, bool) {
	if s.fixed[t] {
		if s.lb[t] >= s.k-tol || s.lb[t] <= tol {
			return leak{}, false
		}
		return leak{v: s.a.vars[t], lo: s.lb[t], hi: s.ub[t], size: "known exactly from the published numbers"}, true
	}
	// The unknowns near t, all pushed up at once, the others held at their truth
	// (unless t was pushed along with others already).
	if !s.pushed[t] {
		s.push(s.near(t, 40))
	}
	if s.settled(t) {
		return leak{}, false
	}
	reached, up := s.move(t, true)
	if reached {
		s.push(relVars(up))
		return leak{}, false
	}
	var down []arel
	if up != nil && s.lb[t] <= tol {
		if reached, down = s.move(t, false); reached {
			return leak{}, false
		}
	}
	if up == nil || (down == nil && s.lb[t] <= tol) {
		s.tb.Errorf("%s: undecided: too many relations around it", s.a.vars[t].where)
		return leak{}, false
	}
	// Confirm with gonum on the relaxations.
	l := leak{v: s.a.vars[t]}
	g := newGonumProgram(s.tb, up, s.lb, s.ub, []int{t}, s.k)
	if g == nil {
		s.tb.Errorf("%s: leak found but too big to confirm with gonum", s.a.vars[t].where)
		return leak{}, false
	}
	var yHi []float64
	l.lo, l.hi, yHi = g.interval(t)
	l.tight = g.tight(t, yHi)
	l.size = fmt.Sprintf("gonum on %d of the relations (%s), with the bounds [%g, %g] that relations over it alone give",
		len(up), g.size, s.lb[t], s.ub[t])
	s.st.programs++
	if down != nil {
		gd := newGonumProgram(s.tb, down, s.lb, s.ub, []int{t}, s.k)
		if gd == nil {
			s.tb.Errorf("%s: leak found but too big to confirm with gonum", s.a.vars[t].where)
			return leak{}, false
		}
		l.lo, _, _ = gd.interval(t)
		s.st.programs++
	}
	if l.hi >= s.k-tol || l.lo <= tol {
		s.tb.Errorf("%s: the local search says it cannot move, gonum says [%g, %g]", s.a.vars[t].where, l.lo, l.hi)
		return leak{}, false
	}
	return l, true
}

// near lists up to size unknowns around t, breadth first over the relations.
func (s *solver) near(t, size int) []int {
	seen := map[int]bool{t: true}
	out := []int{t}
	for i := 0; i < len(out); i++ {
		for _, ri := range s.through[out[i]] {
			for _, u := range s.rels[ri].vars {
				if seen[u] {
					continue
				}
				if len(out) == size {
					return out
				}
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// check reports whether x (on some unknowns; the others at their true values) is a
// table of the full model: every bound and every relation through a changed unknown
// holds. The relations through no changed unknown hold as they do for the truth.
func (s *solver) check(x map[int]float64) bool {
	val := func(v int) float64 {
		if xv, ok := x[v]; ok {
			return xv
		}
		return float64(s.a.vars[v].truth)
	}
	seen := map[int]bool{}
	for v, xv := range x {
		if xv < s.lb[v]-tol || xv > s.ub[v]+tol {
			return false
		}
		if xv == float64(s.a.vars[v].truth) {
			continue
		}
		for _, ri := range s.through[v] {
			if seen[ri] {
				continue
			}
			seen[ri] = true
			r := s.rels[ri]
			sum := 0.0
			for j, u := range r.vars {
				sum += r.coefs[j] * val(u)
			}
			if (r.eq && math.Abs(sum-r.rhs) > tol) || (!r.eq && sum > r.rhs+tol) {
				return false
			}
		}
	}
	return true
}

// settle records what a table of the full model says about the targets in it.
func (s *solver) settle(x map[int]float64) {
	for v, xv := range x {
		if tv := s.a.vars[v]; tv.truth >= 1 && tv.truth < s.a.k {
			if xv >= s.k-tol {
				s.high[v] = true
			} else if xv <= tol {
				s.low[v] = true
			}
		}
	}
}

// push looks for a table in which the unsettled targets among vars are as high as
// possible (up to k) together, the unknowns outside vars at their true values; the
// year-only parts among them as low as possible then.
func (s *solver) push(vars []int) {
	in := map[int]bool{}
	for _, v := range vars {
		in[v] = true
	}
	col := map[int]int{}
	var cols []int
	for _, v := range vars {
		col[v] = len(cols)
		cols = append(cols, v)
	}
	var targets []int
	for _, v := range vars {
		if tv := s.a.vars[v]; tv.truth >= 1 && tv.truth < s.a.k && !s.settled(v) {
			targets = append(targets, v)
		}
	}
	if len(targets) == 0 {
		return
	}
	for _, t := range targets {
		s.pushed[t] = true
	}
	lo, hi := make([]float64, len(cols)+len(targets)), make([]float64, len(cols)+len(targets))
	for j, v := range cols {
		lo[j], hi[j] = s.lb[v], s.ub[v]
	}
	var rows []lpRow
	seen := map[int]bool{}
	for _, v := range vars {
		for _, ri := range s.through[v] {
			if seen[ri] {
				continue
			}
			seen[ri] = true
			r := s.rels[ri]
			row := lpRow{rhs: r.rhs, kind: rowLE}
			if r.eq {
				row.kind = rowEQ
			}
			for j, u := range r.vars {
				if in[u] {
					row.idx, row.coef = append(row.idx, col[u]), append(row.coef, r.coefs[j])
				} else {
					row.rhs -= r.coefs[j] * float64(s.a.vars[u].truth)
				}
			}
			rows = append(rows, row)
		}
	}
	z := len(cols)
	for i, t := range targets { // z_t ≤ x_t, 0 ≤ z_t ≤ k
		lo[z+i], hi[z+i] = 0, s.k
		rows = append(rows, lpRow{idx: []int{z + i, col[t]}, coef: []float64{1, -1}, kind: rowLE})
	}
	s.st.programs++
	s.st.largest = max(s.st.largest, len(cols))
	p, st := newBLP(len(lo), lo, hi, rows)
	if st != blpOptimal {
		s.tb.Fatalf("attack: the truth fits, yet the local simplex finds no table (%d unknowns): %v", len(cols), st)
	}
	table := func() map[int]float64 {
		x := make(map[int]float64, len(cols))
		for j, v := range cols {
			x[v] = p.x[j]
		}
		return x
	}
	c := make([]float64, len(lo))
	for i := range targets {
		c[z+i] = -1
	}
	s.st.solves++
	if _, st := p.minimize(c); st == blpOptimal {
		if x := table(); s.check(x) {
			s.settle(x)
		}
	}
	c = make([]float64, len(lo))
	any := false
	for _, t := range targets {
		if !s.settled(t) && s.lb[t] <= tol {
			c[col[t]], any = 1, true
		}
	}
	if any {
		s.st.solves++
		if _, st := p.minimize(c); st == blpOptimal {
			if x := table(); s.check(x) {
				s.settle(x)
			}
		}
	}
}

// maxMove bounds the relations a move may involve.
const maxMove = 600

// move looks for a table of the full model in which t is at least k (up) or 0
// (down), changing as little as possible from the truth. It solves a relaxation:
// some of the relations (at first those through t) over the unknowns they involve,
// the others staying at their true values. If the relaxation has no such table, the
// full model has none, and move returns the relaxation's relations. Otherwise, if
// the table breaks no other relation it is a table of the full model; else the
// broken relations join. It returns no relations when they grow too many.
func (s *solver) move(t int, up bool) (bool, []arel) {
	active := map[int]bool{}
	var idx []int
	for _, ri := range s.through[t] {
		active[ri] = true
		idx = append(idx, ri)
	}
	for len(idx) <= maxMove {
		x, ok := s.moveLP(t, up, idx)
		if !ok {
			rels := make([]arel, len(idx))
			for i, ri := range idx {
				rels[i] = s.rels[ri]
			}
			return false, rels
		}
		val := func(v int) float64 {
			if xv, ok := x[v]; ok {
				return xv
			}
			return float64(s.a.vars[v].truth)
		}
		grow := 0
		seen := map[int]bool{}
		for v, xv := range x {
			if xv == float64(s.a.vars[v].truth) {
				continue
			}
			for _, ri := range s.through[v] {
				if seen[ri] || active[ri] {
					continue
				}
				seen[ri] = true
				r := s.rels[ri]
				sum := 0.0
				for j, u := range r.vars {
					sum += r.coefs[j] * val(u)
				}
				if (r.eq && math.Abs(sum-r.rhs) > tol) || (!r.eq && sum > r.rhs+tol) {
					active[ri] = true
					idx = append(idx, ri)
					grow++
				}
			}
		}
		if grow == 0 {
			if !s.check(x) {
				s.tb.Fatalf("attack: a move of %s breaks a relation it was given", s.a.vars[t].where)
			}
			s.settle(x)
			return true, nil
		}
	}
	return false, nil
}

// moveLP solves move's relaxation over the relations idx: x = truth + p − n over the
// unknowns they involve (p, n ≥ 0 within the bounds), minimizing Σ p + n subject to
// those relations and the goal (x_t ≥ k, or x_t ≤ 0). It returns x, or false if no
// table of the relaxation reaches the goal.
func (s *solver) moveLP(t int, up bool, idx []int) (map[int]float64, bool) {
	truth := func(v int) float64 { return float64(s.a.vars[v].truth) }
	near := []int{t}
	in := map[int]bool{t: true}
	for _, ri := range idx {
		for _, u := range s.rels[ri].vars {
			if !in[u] {
				in[u] = true
				near = append(near, u)
			}
		}
	}
	// Columns 2j (p) and 2j+1 (n) for near[j].
	lo, hi := make([]float64, 2*len(near)), make([]float64, 2*len(near))
	col := map[int]int{}
	for j, v := range near {
		col[v] = 2 * j
		hi[2*j] = s.ub[v] - truth(v)
		hi[2*j+1] = math.Max(0, truth(v)-s.lb[v])
	}
	var rows []lpRow
	for _, ri := range idx {
		r := s.rels[ri]
		row := lpRow{rhs: r.rhs, kind: rowLE}
		if r.eq {
			row.kind = rowEQ
		}
		for j, v := range r.vars {
			row.rhs -= r.coefs[j] * truth(v)
			row.idx = append(row.idx, col[v], col[v]+1)
			row.coef = append(row.coef, r.coefs[j], -r.coefs[j])
		}
		rows = append(rows, row)
	}
	if up {
		rows = append(rows, lpRow{idx: []int{col[t], col[t] + 1}, coef: []float64{1, -1}, rhs: s.k - truth(t), kind: rowGE})
	} else {
		rows = append(rows, lpRow{idx: []int{col[t], col[t] + 1}, coef: []float64{1, -1}, rhs: -truth(t), kind: rowLE})
	}
	s.st.programs++
	s.st.solves++
	s.st.largest = max(s.st.largest, len(near))
	p, st := newBLP(len(lo), lo, hi, rows)
	switch st {
	case blpInfeasible:
		return nil, false
	case blpOptimal:
	default:
		s.tb.Fatalf("attack: local simplex on a move of %s: %v", s.a.vars[t].where, st)
	}
	c := make([]float64, len(lo))
	for j := range c {
		c[j] = 1
	}
	if _, st := p.minimize(c); st != blpOptimal {
		s.tb.Fatalf("attack: local simplex on a move of %s: %v", s.a.vars[t].where, st)
	}
	x := make(map[int]float64, len(near))
	for j, v := range near {
		x[v] = truth(v) + p.x[2*j] - p.x[2*j+1]
	}
	return x, true
}

// count names one count for exactIntervals: a position (key in the test's format)
// of a scope, and a measure.
type count struct {
	scope, key string
	m          int
}

// exactIntervals are the intervals of counts over the whole model, by gonum's
// simplex, for models small enough: the smallest and largest values each takes in a
// table that fits everything published (largest capped at 10,000). A published count
// is its own interval.
func (a *attacker) exactIntervals(tb testing.TB, counts ...count) [][2]float64 {
	tb.Helper()
	n := len(a.vars)
	lb, ub, fixed := make([]float64, n), make([]float64, n), make([]bool, n)
	for i, v := range a.vars {
		lb[i], ub[i] = v.lb, v.ub
	}
	rels := presolve(slices.Clone(a.rels), lb, ub, fixed)
	through := make([][]int, n)
	for ri, r := range rels {
		for _, v := range r.vars {
			through[v] = append(through[v], ri)
		}
	}
	out := make([][2]float64, len(counts))
	var targets []int
	at := map[int]int{}
	for i, c := range counts {
		s, k := a.canon(c.scope, c.key)
		if st := a.status[qty{s, k, c.m}]; st != nil && st.published {
			out[i] = [2]float64{float64(st.val), float64(st.val)}
			continue
		}
		t, ok := a.index[qty{s, k, c.m}]
		if !ok {
			tb.Fatalf("no unknown %s %s %s", s, fmtKey(k), measName[c.m])
		}
		if fixed[t] || len(through[t]) == 0 {
			out[i] = [2]float64{lb[t], ub[t]}
			continue
		}
		at[i] = t
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return out
	}
	// The targets' components.
	seenV, seenR := map[int]bool{}, map[int]bool{}
	queue := slices.Clone(targets)
	for _, t := range targets {
		seenV[t] = true
	}
	var comp []arel
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, ri := range through[v] {
			if seenR[ri] {
				continue
			}
			seenR[ri] = true
			comp = append(comp, rels[ri])
			for _, u := range rels[ri].vars {
				if !seenV[u] {
					seenV[u] = true
					queue = append(queue, u)
				}
			}
		}
	}
	targets = slices.Compact(slices.Sorted(slices.Values(targets)))
	g := newGonumProgram(tb, comp, lb, ub, targets, 1e4)
	if g == nil {
		tb.Fatalf("too big for gonum")
	}
	for i, t := range at {
		lo, hi, _ := g.interval(t)
		out[i] = [2]float64{lo, hi}
	}
	return out
}
