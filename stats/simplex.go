package stats

import (
	"errors"
	"math"
)

// A small dense two-phase simplex for the audit. Gonum's lp.Simplex (which the tests
// use as an independent check) solves a linear system at every step and restarts
// from nothing for every objective; the audit asks many objectives of one feasible
// region of a few hundred rows, so it keeps one tableau, finds a feasible basis once
// and moves from optimum to optimum.

// lpRow is Σ coef·y[idx] (= or ≤) rhs.
type lpRow struct {
	idx  []int
	coef []float64
	rhs  float64
	eq   bool
}

// lp is a program over n unknowns y ≥ 0.
type lp struct {
	n    int
	rows []lpRow
}

var (
	errInfeasible = errors.New("simplex: no table fits the published numbers")
	errUnbounded  = errors.New("simplex: unbounded")
	errStalled    = errors.New("simplex: too many steps")
)

type simplex struct {
	n     int       // structural unknowns
	cols  int       // structural, slack and (in phase 1) artificial columns
	w     int       // row width: cols + 1 (right-hand side last)
	t     []float64 // m rows
	basis []int
	nz    []int // scratch: the pivot row's nonzero columns
	stop  func() bool
}

func (s *simplex) m() int               { return len(s.basis) }
func (s *simplex) at(i, j int) *float64 { return &s.t[i*s.w+j] }
func (s *simplex) row(i int) []float64  { return s.t[i*s.w : (i+1)*s.w] }

// newSimplex sets up p and finds a feasible basis.
func newSimplex(p *lp) (*simplex, error) {
	slacks := 0
	for _, r := range p.rows {
		if !r.eq {
			slacks++
		}
	}
	// Rows that need an artificial unknown to start: equalities, and inequalities
	// whose right-hand side is negative.
	arts := 0
	for _, r := range p.rows {
		if r.eq || r.rhs < 0 {
			arts++
		}
	}
	s := &simplex{n: p.n, cols: p.n + slacks + arts}
	s.w = s.cols + 1
	m := len(p.rows)
	s.t = make([]float64, m*s.w)
	s.basis = make([]int, m)
	slack, art := p.n, p.n+slacks
	for i, r := range p.rows {
		sign := 1.0
		if r.rhs < 0 {
			sign = -1
		}
		for k, j := range r.idx {
			*s.at(i, j) += sign * r.coef[k]
		}
		*s.at(i, s.cols) = sign * r.rhs
		if !r.eq {
			*s.at(i, slack) = sign
			if sign > 0 {
				s.basis[i] = slack
			}
			slack++
		}
		if r.eq || r.rhs < 0 {
			*s.at(i, art) = 1
			s.basis[i] = art
			art++
		}
	}
	if arts == 0 {
		return s, nil
	}
	first := p.n + slacks
	cost := make([]float64, s.cols)
	for j := first; j < s.cols; j++ {
		cost[j] = 1
	}
	if err := s.optimize(cost); err != nil {
		return nil, err
	}
	if s.value(cost) > 1e-6 {
		return nil, errInfeasible
	}
	// Drive the artificial unknowns out of the basis, dropping rows that say nothing.
	for i := 0; i < s.m(); i++ {
		if s.basis[i] < first {
			continue
		}
		e := -1
		for j := 0; j < first; j++ {
			if math.Abs(*s.at(i, j)) > 1e-9 {
				e = j
				break
			}
		}
		if e >= 0 {
			s.pivot(i, e)
			continue
		}
		s.dropRow(i)
		i--
	}
	s.dropColumns(first)
	return s, nil
}

// dropRow removes row i.
func (s *simplex) dropRow(i int) {
	s.t = append(s.t[:i*s.w], s.t[(i+1)*s.w:]...)
	s.basis = append(s.basis[:i], s.basis[i+1:]...)
}

// dropColumns removes the columns from first on (the artificial ones).
func (s *simplex) dropColumns(first int) {
	w := first + 1
	t := make([]float64, s.m()*w)
	for i := range s.m() {
		copy(t[i*w:], s.row(i)[:first])
		t[i*w+first] = *s.at(i, s.cols)
	}
	s.t, s.cols, s.w = t, first, w
}

// value is cost·x at the current basis.
func (s *simplex) value(cost []float64) float64 {
	v := 0.0
	for i, b := range s.basis {
		v += cost[b] * *s.at(i, s.cols)
	}
	return v
}

// solution returns the structural unknowns at the current basis.
func (s *simplex) solution() []float64 {
	x := make([]float64, s.n)
	for i, b := range s.basis {
		if b < s.n {
			x[b] = *s.at(i, s.cols)
		}
	}
	return x
}

// maximizeUntil moves towards a basis maximizing obj·y over the structural
// unknowns, stopping early once unknown j reaches goal.
func (s *simplex) maximizeUntil(obj []float64, j int, goal float64) error {
	cost := make([]float64, s.cols)
	for j, c := range obj {
		cost[j] = -c
	}
	s.stop = func() bool {
		for i, b := range s.basis {
			if b == j {
				return *s.at(i, s.cols) >= goal
			}
		}
		return false
	}
	defer func() { s.stop = nil }()
	return s.optimize(cost)
}

// optimize minimizes cost·x from the current feasible basis: Dantzig's rule, and
// Bland's after a run of steps that do not improve (degenerate), which cannot cycle.
func (s *simplex) optimize(cost []float64) error {
	d := make([]float64, s.cols+1) // reduced costs; d[cols] = −objective
	copy(d, cost)
	for i, b := range s.basis {
		if cb := cost[b]; cb != 0 {
			for j, x := range s.row(i) {
				d[j] -= cb * x
			}
		}
	}
	stall := 0
	limit := 50 * (s.m() + s.cols)
	for step := 0; ; step++ {
		if step > limit {
			return errStalled
		}
		if s.stop != nil && s.stop() {
			return nil
		}
		e := -1
		if stall < 30 {
			best := -1e-9
			for j := range s.cols {
				if d[j] < best {
					best, e = d[j], j
				}
			}
		} else {
			for j := range s.cols {
				if d[j] < -1e-9 {
					e = j
					break
				}
			}
		}
		if e < 0 {
			return nil
		}
		r := -1
		var ratio float64
		for i := range s.m() {
			a := *s.at(i, e)
			if a <= 1e-9 {
				continue
			}
			q := *s.at(i, s.cols) / a
			if r < 0 || q < ratio-1e-12 || (q < ratio+1e-12 && s.basis[i] < s.basis[r]) {
				r, ratio = i, q
			}
		}
		if r < 0 {
			return errUnbounded
		}
		if ratio < 1e-12 {
			stall++
		} else {
			stall = 0
		}
		s.pivot(r, e)
		if f := d[e]; f != 0 {
			pr := s.row(r)
			for _, j := range s.nz {
				d[j] -= f * pr[j]
			}
			d[e] = 0
		}
	}
}

// pivot makes column e basic in row r. Rows are mostly zeros, so only the pivot
// row's nonzero columns are updated.
func (s *simplex) pivot(r, e int) {
	pr := s.row(r)
	inv := 1 / pr[e]
	nz := s.nz[:0]
	for j := range pr {
		if pr[j] != 0 {
			pr[j] *= inv
			nz = append(nz, j)
		}
	}
	pr[e] = 1
	s.nz = nz
	for i := range s.m() {
		if i == r {
			continue
		}
		ri := s.row(i)
		f := ri[e]
		if f == 0 {
			continue
		}
		for _, j := range nz {
			ri[j] -= f * pr[j]
		}
		ri[e] = 0
	}
	s.basis[r] = e
}
