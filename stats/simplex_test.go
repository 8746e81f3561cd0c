package stats_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// interval computes each unknown's range by linear programming (minimum and maximum
// subject to every constraint and bound) and returns those whose range is narrower
// than 1, that is, which cannot take two integer values. Unknowns that share no
// constraint are solved apart, and a few programs with random objectives widen many
// ranges at once before each remaining unknown gets its own minimum and maximum.
func (a *attack) interval(tb testing.TB) []int {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(a.hidden)), 7))
	wide := a.wide
	var pinned []int
	for _, comp := range a.components() {
		if !slices.ContainsFunc(comp.vars, func(v int) bool { return !wide(v) }) {
			continue
		}
		p := a.program(comp)
		// Every optimum is a feasible table, so it widens every unknown's known range.
		solve := func(c []float64) (unbounded bool) {
			_, y, err := lp.Simplex(c, p.A, p.b, 1e-10, nil)
			switch {
			case errors.Is(err, lp.ErrUnbounded):
				return true
			case err != nil:
				tb.Fatalf("lp.Simplex over %d unknowns (%d rows, %d columns): %v", len(comp.vars), len(p.b), len(c), err)
			}
			for j, v := range comp.vars {
				a.see(v, y[j]+float64(a.lo[v]))
			}
			return false
		}
		for range 4 {
			c := make([]float64, p.cols)
			for j, v := range comp.vars {
				if !wide(v) {
					c[j] = rng.NormFloat64()
				}
			}
			if !slices.ContainsFunc(c, func(x float64) bool { return x != 0 }) {
				break
			}
			solve(c)
		}
		for j, v := range comp.vars {
			for _, sign := range []float64{1, -1} {
				if wide(v) {
					break
				}
				c := make([]float64, p.cols)
				c[j] = sign
				if solve(c) && sign < 0 {
					a.see(v, math.Inf(1))
				}
			}
			if !wide(v) {
				pinned = append(pinned, a.hidden[v])
			}
		}
	}
	return pinned
}

// component is a set of unknowns and the constraints among them.
type component struct {
	vars     []int
	eqs, les []constraint
}

// components splits the unknowns into groups that share no constraint.
func (a *attack) components() []component {
	parent := make([]int, len(a.hidden))
	for v := range parent {
		parent[v] = v
	}
	var find func(v int) int
	find = func(v int) int {
		if parent[v] != v {
			parent[v] = find(parent[v])
		}
		return parent[v]
	}
	for _, c := range slices.Concat(a.eqs, a.les) {
		for _, v := range c.vars[1:] {
			parent[find(v)] = find(c.vars[0])
		}
	}
	byRoot := map[int]*component{}
	var comps []*component
	for v := range a.hidden {
		r := find(v)
		if byRoot[r] == nil {
			byRoot[r] = &component{}
			comps = append(comps, byRoot[r])
		}
		byRoot[r].vars = append(byRoot[r].vars, v)
	}
	for _, c := range a.eqs {
		byRoot[find(c.vars[0])].eqs = append(byRoot[find(c.vars[0])].eqs, c)
	}
	for _, c := range a.les {
		byRoot[find(c.vars[0])].les = append(byRoot[find(c.vars[0])].les, c)
	}
	out := make([]component, len(comps))
	for i, c := range comps {
		out[i] = *c
	}
	return out
}

// program is a component in the simplex's standard form, A·y = b with y ≥ 0: y
// starts with the unknowns less their lower bounds, then one slack per inequality
// and per upper bound.
type program struct {
	A    *mat.Dense
	b    []float64
	cols int
}

func (a *attack) program(comp component) program {
	local := make(map[int]int, len(comp.vars))
	cols := len(comp.vars) + len(comp.les)
	for j, v := range comp.vars {
		local[v] = j
		if a.hi[v] >= 0 {
			cols++
		}
	}
	var rows [][]float64
	var rhs []float64
	add := func(c constraint, slack int) {
		row := make([]float64, cols)
		b := float64(c.rhs)
		for j, v := range c.vars {
			row[local[v]] += float64(c.coefs[j])
			b -= float64(c.coefs[j] * a.lo[v])
		}
		if slack >= 0 {
			row[slack] = 1
		}
		rows, rhs = append(rows, row), append(rhs, b)
	}
	for _, c := range comp.eqs {
		add(c, -1)
	}
	slack := len(comp.vars)
	for _, c := range comp.les {
		add(c, slack)
		slack++
	}
	for _, v := range comp.vars {
		if a.hi[v] >= 0 {
			add(constraint{vars: []int{v}, coefs: []int{1}, rhs: a.hi[v]}, slack)
			slack++
		}
	}
	rows, rhs = independentRows(rows, rhs)
	if len(rows) == 0 {
		// Nothing but y ≥ 0: a harmless row keeps the simplex's input well formed.
		rows = [][]float64{make([]float64, cols+1)}
		rows[0][0], rows[0][cols] = 1, -1
		rhs = []float64{0}
		cols++
	}
	return program{A: mat.NewDense(len(rows), cols, slices.Concat(rows...)), b: rhs, cols: cols}
}

// independentRows drops rows that are linear combinations of earlier ones, as the
// simplex needs full row rank; the system is consistent, so they add nothing.
func independentRows(rows [][]float64, rhs []float64) ([][]float64, []float64) {
	var basis [][]float64 // reduced copies of kept rows
	var pivots []int
	var keptRows [][]float64
	var keptRHS []float64
	for r, row := range rows {
		red := slices.Clone(row)
		for j, b := range basis {
			if f := red[pivots[j]]; f != 0 {
				for c := range red {
					red[c] -= f * b[c]
				}
			}
		}
		p, best := -1, 1e-9
		for c, x := range red {
			if math.Abs(x) > best {
				p, best = c, math.Abs(x)
			}
		}
		if p < 0 {
			continue
		}
		f := red[p]
		for c := range red {
			red[c] /= f
		}
		// Keep the basis reduced against the new pivot, so later rows reduce in one pass.
		for _, b := range basis {
			if g := b[p]; g != 0 {
				for c := range b {
					b[c] -= g * red[c]
				}
			}
		}
		basis, pivots = append(basis, red), append(pivots, p)
		keptRows, keptRHS = append(keptRows, row), append(keptRHS, rhs[r])
	}
	return keptRows, keptRHS
}
