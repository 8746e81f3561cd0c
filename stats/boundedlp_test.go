package stats_test

import (
	"math"
)

// A small dense simplex with bounded variables, for the attacker to look for tables
// quickly. Nothing it says is taken on trust: a table it finds is checked against
// every relation before it counts (see attacklp_test.go), and a value it says
// cannot reach k is confirmed with gonum's simplex before it counts as a leak.

const (
	rowLE = -1
	rowEQ = 0
	rowGE = 1
)

type lpRow struct {
	idx  []int
	coef []float64
	rhs  float64
	kind int
}

type blpStatus int

const (
	blpOptimal blpStatus = iota
	blpInfeasible
	blpUnbounded
	blpStalled
)

// blp is min c·x subject to rows, lo ≤ x ≤ hi, as a tableau T = B⁻¹A over the
// structural columns, one slack per inequality and one artificial per row that
// needs one to start.
type blp struct {
	m, n   int
	ns     int // structural columns
	T      [][]float64
	basis  []int
	isBas  []bool
	x      []float64
	lo, hi []float64
	d      []float64
	arts   []int
}

const (
	blpPivotTol = 1e-9
	blpCostTol  = 1e-9
)

// newBLP sets up the program and finds a feasible point; false if there is none.
func newBLP(ns int, lo, hi []float64, rows []lpRow) (*blp, blpStatus) {
	m := len(rows)
	slacks := 0
	for _, r := range rows {
		if r.kind != rowEQ {
			slacks++
		}
	}
	n := ns + slacks + m // room for an artificial per row
	s := &blp{m: m, ns: ns, T: make([][]float64, m), basis: make([]int, m)}
	s.lo, s.hi, s.x = make([]float64, n), make([]float64, n), make([]float64, n)
	copy(s.lo, lo)
	copy(s.hi, hi)
	for j := range ns {
		s.x[j] = s.lo[j]
		if math.IsInf(s.lo[j], -1) {
			s.x[j] = 0
		}
	}
	col := ns
	for i, r := range rows {
		row := make([]float64, n)
		for k, j := range r.idx {
			row[j] += r.coef[k]
		}
		resid := r.rhs
		for j := range ns {
			resid -= row[j] * s.x[j]
		}
		s.T[i] = row
		if r.kind != rowEQ {
			sc := 1.0 // a·x + s = b for ≤
			if r.kind == rowGE {
				sc = -1 // a·x − s = b for ≥
			}
			row[col] = sc
			s.hi[col] = math.Inf(1)
			if resid*sc >= 0 { // the slack can start in the basis
				s.basis[i] = col
				s.x[col] = resid * sc
				col++
				continue
			}
			col++
		}
		s.basis[i] = -1
		_ = resid
	}
	// Artificials for the rows that have no slack in the basis.
	for i := range rows {
		if s.basis[i] >= 0 {
			continue
		}
		resid := rows[i].rhs
		for j := 0; j < col; j++ {
			if j < ns || s.x[j] != 0 {
				resid -= s.T[i][j] * s.x[j]
			}
		}
		sg := 1.0
		if resid < 0 {
			sg = -1
		}
		s.T[i][col] = sg
		s.hi[col] = math.Inf(1)
		s.x[col] = resid * sg
		s.basis[i] = col
		s.arts = append(s.arts, col)
		col++
	}
	s.n = col
	for i := range s.T {
		s.T[i] = s.T[i][:col]
	}
	s.lo, s.hi, s.x = s.lo[:col], s.hi[:col], s.x[:col]
	s.isBas = make([]bool, col)
	// B is diagonal (±1): T = B⁻¹A.
	for i, b := range s.basis {
		s.isBas[b] = true
		if f := s.T[i][b]; f != 1 {
			for j := range s.T[i] {
				s.T[i][j] /= f
			}
		}
	}
	if len(s.arts) == 0 {
		return s, blpOptimal
	}
	c := make([]float64, col)
	for _, a := range s.arts {
		c[a] = 1
	}
	if st := s.run(c); st != blpOptimal {
		return nil, st
	}
	left := 0.0
	for _, a := range s.arts {
		left += s.x[a]
	}
	if left > 1e-7 {
		return nil, blpInfeasible
	}
	for _, a := range s.arts {
		s.hi[a] = 0 // artificials stay at zero from now on
		s.x[a] = 0
	}
	return s, blpOptimal
}

// minimize c (over the structural columns) from the current point.
func (s *blp) minimize(c []float64) (float64, blpStatus) {
	full := make([]float64, s.n)
	copy(full, c)
	st := s.run(full)
	v := 0.0
	for j := range s.ns {
		v += c[j] * s.x[j]
	}
	return v, st
}

func (s *blp) run(c []float64) blpStatus {
	s.d = make([]float64, s.n)
	copy(s.d, c)
	for i, b := range s.basis {
		if cb := c[b]; cb != 0 {
			for j, t := range s.T[i] {
				s.d[j] -= cb * t
			}
		}
	}
	degenerate := 0
	bland := false
	for iter := 0; iter < 50*(s.m+s.n)+1000; iter++ {
		// Entering column: a nonbasic one whose move lowers the cost.
		enter, dir, best := -1, 0.0, blpCostTol
		for j := range s.n {
			if s.isBas[j] || s.hi[j]-s.lo[j] < 1e-12 {
				continue
			}
			dj := s.d[j]
			var gain, dr float64
			switch {
			case dj < -blpCostTol && s.x[j] < s.hi[j]-1e-12:
				gain, dr = -dj, 1
			case dj > blpCostTol && s.x[j] > s.lo[j]+1e-12:
				gain, dr = dj, -1
			default:
				continue
			}
			if bland {
				enter, dir = j, dr
				break
			}
			if gain > best {
				enter, dir, best = j, dr, gain
			}
		}
		if enter < 0 {
			return blpOptimal
		}
		// Ratio test.
		theta := s.hi[enter] - s.lo[enter]
		leave := -1
		toUpper := false
		for i, b := range s.basis {
			delta := -dir * s.T[i][enter] // change of x_b per unit step
			var lim float64
			up := false
			switch {
			case delta < -blpPivotTol:
				lim = (s.x[b] - s.lo[b]) / -delta
			case delta > blpPivotTol && !math.IsInf(s.hi[b], 1):
				lim, up = (s.hi[b]-s.x[b])/delta, true
			default:
				continue
			}
			if lim < 0 {
				lim = 0
			}
			if lim < theta-1e-12 || (lim < theta+1e-12 && leave >= 0 && bland && b < s.basis[leave]) {
				theta, leave, toUpper = lim, i, up
			}
		}
		if math.IsInf(theta, 1) {
			return blpUnbounded
		}
		for i, b := range s.basis {
			s.x[b] += -dir * s.T[i][enter] * theta
		}
		s.x[enter] += dir * theta
		if theta < 1e-12 {
			if degenerate++; degenerate > 2*s.m+20 {
				bland = true
			}
		} else {
			degenerate = 0
		}
		if leave < 0 {
			continue // the entering column went from one bound to the other
		}
		out := s.basis[leave]
		if toUpper {
			s.x[out] = s.hi[out]
		} else {
			s.x[out] = s.lo[out]
		}
		s.pivot(leave, enter)
	}
	return blpStalled
}

func (s *blp) pivot(r, j int) {
	pr := s.T[r]
	f := pr[j]
	for k := range pr {
		pr[k] /= f
	}
	pr[j] = 1
	for i, row := range s.T {
		if i == r {
			continue
		}
		if g := row[j]; g != 0 {
			for k, v := range pr {
				if v != 0 {
					row[k] -= g * v
				}
			}
			row[j] = 0
		}
	}
	if g := s.d[j]; g != 0 {
		for k, v := range pr {
			if v != 0 {
				s.d[k] -= g * v
			}
		}
		s.d[j] = 0
	}
	s.isBas[s.basis[r]] = false
	s.basis[r] = j
	s.isBas[j] = true
}
