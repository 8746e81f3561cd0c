package stats_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// gonum's simplex, on which every leak the attacker reports rests: the interval of a
// value over a set of relations (a relaxation of the attacker's model, so what it
// allows the full model allows at most), computed as gonum needs it, in standard
// form A·y = b, y ≥ 0 with full row rank.

// maxGonumRows bounds what is given to gonum's dense simplex (it factorizes the
// basis at every step).
const maxGonumRows = 600

// gonumProgram is a set of relations over their unknowns in standard form. The
// columns are the unknowns less their lower bounds, then for each value asked about,
// z = min(x, k) (rows z ≤ x and z ≤ k, so that a maximum is never unbounded), then one
// slack per inequality (relations, upper bounds and those rows).
type gonumProgram struct {
	tb     testing.TB
	col    map[int]int
	lb     []float64
	z      map[int]int // target → its column z
	A      *mat.Dense
	b      []float64
	cols   int
	basis  []int
	rels   []arel
	size   string
	solves int
}

// newGonumProgram sets up the relations rels with the bounds lb, ub (by unknown),
// for the intervals of the unknowns targets, capped at k. It returns nil if it is
// too big.
func newGonumProgram(tb testing.TB, rels []arel, lb, ub []float64, targets []int, k float64) *gonumProgram {
	p := &gonumProgram{tb: tb, col: map[int]int{}, lb: lb, rels: rels, z: map[int]int{}}
	var vars []int
	for _, v := range append(slices.Clone(targets), relVars(rels)...) {
		if _, ok := p.col[v]; !ok {
			p.col[v] = len(vars)
			vars = append(vars, v)
		}
	}
	n0 := len(vars)
	var eqs, les []sparseRow
	for _, r := range rels {
		row := sparseRow{rhs: r.rhs, eq: r.eq}
		for j, v := range r.vars {
			row.idx, row.coef = append(row.idx, p.col[v]), append(row.coef, r.coefs[j])
			row.rhs -= r.coefs[j] * lb[v]
		}
		if r.eq {
			eqs = append(eqs, row)
		} else {
			les = append(les, row)
		}
	}
	eqs = independent(eqs, n0)
	for _, v := range vars {
		if !math.IsInf(ub[v], 1) {
			les = append(les, sparseRow{idx: []int{p.col[v]}, coef: []float64{1}, rhs: ub[v] - lb[v]})
		}
	}
	for i, t := range targets {
		p.z[t] = n0 + i
		les = append(les, sparseRow{idx: []int{p.z[t], p.col[t]}, coef: []float64{1, -1}, rhs: lb[t]},
			sparseRow{idx: []int{p.z[t]}, coef: []float64{1}, rhs: k})
	}
	rows := len(eqs) + len(les)
	p.cols = n0 + len(targets) + len(les)
	p.size = fmt.Sprintf("%d unknowns, %d rows", n0, rows)
	if rows > maxGonumRows {
		return nil
	}
	p.A = mat.NewDense(rows, p.cols, nil)
	p.b = make([]float64, rows)
	slack := n0 + len(targets)
	slackOf := make([]int, 0, rows) // by row: a slack that can start in the basis, or −1
	for i, r := range slices.Concat(eqs, les) {
		sign := 1.0
		if r.rhs < 0 {
			sign = -1
		}
		for j, c := range r.idx {
			p.A.Set(i, c, p.A.At(i, c)+sign*r.coef[j])
		}
		p.b[i] = sign * r.rhs
		if r.eq {
			slackOf = append(slackOf, -1)
			continue
		}
		p.A.Set(i, slack, sign)
		if sign > 0 {
			slackOf = append(slackOf, slack)
		} else {
			slackOf = append(slackOf, -1)
		}
		slack++
	}
	p.phase1(slackOf)
	return p
}

func relVars(rels []arel) []int {
	var out []int
	for _, r := range rels {
		out = append(out, r.vars...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type sparseRow struct {
	idx  []int
	coef []float64
	rhs  float64
	eq   bool
}

// independent drops equalities that are combinations of others (the simplex needs
// full row rank; the system holds for the truth, so they add nothing).
func independent(rows []sparseRow, n int) []sparseRow {
	var basis [][]float64
	var pivots []int
	var kept []sparseRow
	for _, r := range rows {
		red := make([]float64, n)
		for j, c := range r.idx {
			red[c] += r.coef[j]
		}
		if piv := reduce(red, basis, pivots); piv >= 0 {
			basis, pivots, kept = append(basis, red), append(pivots, piv), append(kept, r)
		}
	}
	return kept
}

// reduce reduces vec against the reduced vectors basis (with their pivots) and, if
// anything is left, normalizes it, reduces basis against it and returns its pivot;
// otherwise −1.
func reduce(vec []float64, basis [][]float64, pivots []int) int {
	for j, b := range basis {
		if f := vec[pivots[j]]; f != 0 {
			for c := range vec {
				vec[c] -= f * b[c]
			}
		}
	}
	p, best := -1, 1e-9
	for c, x := range vec {
		if math.Abs(x) > best {
			p, best = c, math.Abs(x)
		}
	}
	if p < 0 {
		return p
	}
	f := vec[p]
	for c := range vec {
		vec[c] /= f
	}
	for _, b := range basis {
		if g := b[p]; g != 0 {
			for c := range b {
				b[c] -= g * vec[c]
			}
		}
	}
	return p
}

// phase1 finds a feasible basis: rows whose slack cannot start in the basis get an
// artificial column, whose sum a first program brings to zero.
func (p *gonumProgram) phase1(slackOf []int) {
	rows, _ := p.A.Dims()
	arts := 0
	for _, sl := range slackOf {
		if sl < 0 {
			arts++
		}
	}
	start := make([]int, rows)
	if arts == 0 {
		copy(start, slackOf)
		p.basis = start
		return
	}
	ext := mat.NewDense(rows, p.cols+arts, nil)
	for i := range rows {
		copy(ext.RawRowView(i)[:p.cols], p.A.RawRowView(i))
	}
	c := make([]float64, p.cols+arts)
	n := p.cols
	for i, sl := range slackOf {
		if sl >= 0 {
			start[i] = sl
			continue
		}
		ext.Set(i, n, 1)
		c[n], start[i] = 1, n
		n++
	}
	f, x, err := simplexFrom(c, ext, p.b, start)
	p.solves++
	if err != nil || f > 1e-7 {
		p.tb.Fatalf("gonum: no table fits the relations (%s): %v, artificial sum %g", p.size, err, f)
	}
	p.basis = p.basisOf(x[:p.cols])
}

// basisOf completes the support of a vertex x (independent columns) to a basis,
// with the slacks first, then the other columns.
func (p *gonumProgram) basisOf(x []float64) []int {
	rows, _ := p.A.Dims()
	var cand []int
	for j, v := range x {
		if v != 0 {
			cand = append(cand, j)
		}
	}
	for j := p.cols - 1; j >= 0; j-- {
		cand = append(cand, j)
	}
	var chosen, pivots []int
	var vecs [][]float64
	used := map[int]bool{}
	for _, j := range cand {
		if len(chosen) == rows {
			break
		}
		if used[j] {
			continue
		}
		used[j] = true
		vec := mat.Col(nil, j, p.A)
		if piv := reduce(vec, vecs, pivots); piv >= 0 {
			vecs, pivots, chosen = append(vecs, vec), append(pivots, piv), append(chosen, j)
		}
	}
	if len(chosen) != rows {
		p.tb.Fatalf("gonum: no basis (%d of %d rows; %s)", len(chosen), rows, p.size)
	}
	return chosen
}

// simplexFrom runs gonum's simplex from a basis, and from scratch if the basis is
// refused.
func simplexFrom(c []float64, A *mat.Dense, b []float64, basis []int) (f float64, x []float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, x, err = lp.Simplex(c, A, b, 1e-10, nil)
		}
	}()
	return lp.Simplex(c, A, b, 1e-10, basis)
}

func (p *gonumProgram) solve(c []float64) (float64, []float64) {
	p.solves++
	f, y, err := simplexFrom(c, p.A, p.b, p.basis)
	if err != nil {
		p.tb.Fatalf("gonum: lp.Simplex (%s): %v", p.size, err)
	}
	return f, y
}

// interval is the smallest value of t and its largest capped at k, with a table at
// the largest.
func (p *gonumProgram) interval(t int) (lo, hi float64, yHi []float64) {
	c := make([]float64, p.cols)
	c[p.z[t]] = -1
	f, yHi := p.solve(c)
	hi = -f
	c = make([]float64, p.cols)
	c[p.col[t]] = 1
	f, _ = p.solve(c)
	return f + p.lb[t], hi, yHi
}

// tight lists the relations through t that hold with equality at y.
func (p *gonumProgram) tight(t int, y []float64) []string {
	var out []string
	for _, r := range p.rels {
		if !slices.Contains(r.vars, t) {
			continue
		}
		sum := 0.0
		for j, v := range r.vars {
			sum += r.coefs[j] * (y[p.col[v]] + p.lb[v])
		}
		if math.Abs(sum-r.rhs) < tol {
			out = append(out, r.why)
		}
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("… and %d more", len(out)-12))
	}
	return out
}
