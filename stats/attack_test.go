package stats_test

import (
	"slices"
	"testing"
)

// attack is everything a reader of a published table can deduce about the hidden
// values of one measure (survivors or incidents): each line's relation between its
// cells and total, the published values, and bounds on the hidden ones.
type attack struct {
	g       grid
	unknown []int // by grid index: the unknown there, or −1 if published
	hidden  []int // grid index of each unknown
	truth   []int
	lo, hi  []int // hi < 0: no upper bound
	eqs     []constraint
	les     []constraint
	cap     int // enumeration never tries values above this
	// The range each unknown is known to reach in some table consistent with
	// everything published.
	seenLo, seenHi []float64
}

// constraint is Σ coefs[i]·x[vars[i]] = rhs (or ≤ rhs).
type constraint struct {
	vars, coefs []int
	rhs         int
}

// model is what an attacker assumes about how a line's cells relate to its total.
type model int

const (
	// additive: the cells sum exactly to the total.
	additive model = iota
	// byDimension: exactly along single-valued dimensions; along multi-valued ones
	// each cell is at most the total and the cells sum to at least the total.
	byDimension
	// distinct: at most and at least as in byDimension, along every dimension, as
	// for distinct survivors who have incidents in several districts or months.
	distinct
)

// newAttack sets up the attack on values under model m, the positions marked in
// hidden being unknown. bounds gives what the attacker knows of each hidden
// position beforehand.
func newAttack(g grid, values []int, hidden []bool, m model, bounds func(i int) (lo, hi int)) *attack {
	a := &attack{g: g, cap: slices.Max(values) + 2}
	unknown := make([]int, g.size)
	a.unknown = unknown
	for i := range g.size {
		unknown[i] = -1
		if hidden[i] {
			unknown[i] = len(a.hidden)
			a.hidden = append(a.hidden, i)
			a.truth = append(a.truth, values[i])
			lo, hi := bounds(i)
			a.lo, a.hi = append(a.lo, lo), append(a.hi, hi)
		}
	}
	// relation is coefs·x over the members of one line, published values moved to
	// the right-hand side; false if no member is hidden.
	relation := func(members, coefs []int) (constraint, bool) {
		var c constraint
		for j, i := range members {
			if v := unknown[i]; v >= 0 {
				c.vars, c.coefs = append(c.vars, v), append(c.coefs, coefs[j])
			} else {
				c.rhs -= coefs[j] * values[i]
			}
		}
		return c, len(c.vars) > 0
	}
	for _, l := range g.lines() {
		members := append(slices.Clone(l.cells), l.total)
		coefs := make([]int, len(members))
		for j := range l.cells {
			coefs[j] = 1
		}
		coefs[len(l.cells)] = -1
		if m == additive || (m == byDimension && !g.dims[l.dim].MultiValued) {
			if c, ok := relation(members, coefs); ok {
				a.eqs = append(a.eqs, c)
			}
			continue
		}
		for j := range coefs { // −Σ cells + total ≤ 0
			coefs[j] = -coefs[j]
		}
		if c, ok := relation(members, coefs); ok {
			a.addLE(c)
		}
		for _, cell := range l.cells { // cell − total ≤ 0
			if c, ok := relation([]int{cell, l.total}, []int{1, -1}); ok {
				a.addLE(c)
			}
		}
	}
	for _, x := range a.truth {
		a.seenLo, a.seenHi = append(a.seenLo, float64(x)), append(a.seenHi, float64(x))
	}
	return a
}

// addLE adds an inequality, as a bound when it concerns a single unknown: that keeps
// the linear programs small.
func (a *attack) addLE(c constraint) {
	if len(c.vars) > 1 {
		a.les = append(a.les, c)
		return
	}
	v := c.vars[0]
	if c.coefs[0] > 0 {
		if a.hi[v] < 0 || c.rhs < a.hi[v] {
			a.hi[v] = c.rhs
		}
		return
	}
	a.lo[v] = max(a.lo[v], -c.rhs)
}

// pinned returns the grid indexes of hidden positions that can take only one value,
// and how it found out: "enumeration" for small attacks; "simplex" for medium ones,
// every unknown's range computed by linear programming; "shift" for large ones,
// where explicit alternative tables (see shift) settle most unknowns first and the
// simplex the rest.
func (a *attack) pinned(tb testing.TB) ([]int, string) {
	tb.Helper()
	if a.small() {
		if p, ok := a.enumerate(2_000_000); ok {
			return p, "enumeration"
		}
	}
	// The simplex is slow on hundreds of rows.
	if len(a.eqs)+len(a.les)+len(a.hidden) <= 60 {
		return a.interval(tb), "simplex"
	}
	a.shift()
	return a.interval(tb), "shift"
}

// small reports whether the attack is small enough to enumerate.
func (a *attack) small() bool { return len(a.hidden) <= 12 }

// see records that a table consistent with everything published gives unknown v the
// value x.
func (a *attack) see(v int, x float64) {
	a.seenLo[v], a.seenHi[v] = min(a.seenLo[v], x), max(a.seenHi[v], x)
}

// wide reports whether unknown v is known to take values at least 1 apart.
func (a *attack) wide(v int) bool { return a.seenHi[v]-a.seenLo[v] >= 1-1e-7 }

// enumerate looks, for each unknown, for an integer solution in which it differs
// from the truth. It gives up (false) after budget search steps.
func (a *attack) enumerate(budget int) ([]int, bool) {
	cons := append(slices.Clone(a.eqs), a.les...)
	byVar := make([][]int, len(a.hidden))
	for ci, c := range cons {
		for _, v := range c.vars {
			byVar[v] = append(byVar[v], ci)
		}
	}
	top := func(v int) int {
		if a.hi[v] >= 0 {
			return min(a.hi[v], a.cap)
		}
		return a.cap
	}
	assigned := make([]bool, len(a.hidden))
	val := make([]int, len(a.hidden))
	// possible reports whether constraint ci can still hold given the assignment.
	possible := func(ci int) bool {
		c := cons[ci]
		var lo, hi int
		for j, v := range c.vars {
			k := c.coefs[j]
			switch {
			case assigned[v]:
				lo, hi = lo+k*val[v], hi+k*val[v]
			case k > 0:
				lo, hi = lo+k*a.lo[v], hi+k*top(v)
			default:
				lo, hi = lo+k*top(v), hi+k*a.lo[v]
			}
		}
		if ci < len(a.eqs) {
			return lo <= c.rhs && c.rhs <= hi
		}
		return lo <= c.rhs
	}
	var pinned []int
	for target := range a.hidden {
		order := []int{target}
		for v := range a.hidden {
			if v != target {
				order = append(order, v)
			}
		}
		clear(assigned)
		var search func(depth int) bool
		search = func(depth int) bool {
			if depth == len(order) {
				return true
			}
			v := order[depth]
			// Values nearest the truth first: a protecting shift is ±1.
			for step := 0; step <= 2*a.cap+1; step++ {
				x := a.truth[v] + (step+1)/2*(1-2*(step%2))
				if x < a.lo[v] || x > top(v) || (v == target && x == a.truth[v]) {
					continue
				}
				if budget--; budget < 0 {
					return false
				}
				assigned[v], val[v] = true, x
				ok := true
				for _, ci := range byVar[v] {
					if !possible(ci) {
						ok = false
						break
					}
				}
				if ok && search(depth+1) {
					return true
				}
				assigned[v] = false
			}
			return false
		}
		if !search(0) {
			if budget < 0 {
				return nil, false
			}
			pinned = append(pinned, a.hidden[target])
		}
	}
	return pinned, true
}
