package stats

import "iter"

// Complementary suppression uses the hypercube method. For a hidden position p it
// picks, along every dimension, a partner: another value of that dimension or its
// total (or, where p is itself a total, one of its cells). The 2^d positions made
// of p's and the partners' indexes are the corners of a hypercube. Adding +1 and −1
// to the corners in a checkerboard pattern (a cell paired with its total gets the
// same sign as the cell) changes no line's balance: every line through a corner
// meets exactly two corners, whose changes cancel against each other or against
// the line's total. If all corners are hidden and the shifted table still satisfies
// everything an attacker knows (hidden values are at least 1, no cell exceeds its
// total, each line's cells minus its total stay as they were), the attacker cannot
// tell the real table from the shifted one, so no corner's value can be derived,
// whatever else is hidden. Every hidden position is made a corner of such a
// hypercube, for survivors and incidents alike (each may shift its own way), and
// preferably one that also holds for an attacker who knows the reasons.

// suppressor holds what the search needs about one table.
type suppressor struct {
	t       *Table
	k       int
	sizes   []int    // values per dimension, plus one for the total
	levels  []int    // how many of a position's indexes are Total
	vals    [2][]int // survivors and incidents by position
	tops    [2][][]top2
	covered []bool // corner of a chosen hypercube: protected
}

// top2 holds the largest two cell values of a line and where the largest is.
type top2 struct{ first, second, at int }

func newSuppressor(t *Table, k int) *suppressor {
	s := &suppressor{
		t:       t,
		k:       k,
		sizes:   make([]int, len(t.dims)),
		levels:  make([]int, len(t.counts)),
		covered: make([]bool, len(t.counts)),
	}
	for d, dim := range t.dims {
		s.sizes[d] = len(dim.Values) + 1
	}
	for m := range s.vals {
		s.vals[m] = make([]int, len(t.counts))
		s.tops[m] = make([][]top2, len(t.dims))
	}
	for i, c := range t.counts {
		s.vals[0][i], s.vals[1][i] = c.Survivors, c.Incidents
		for d := range t.dims {
			if s.coord(i, d) == 0 {
				s.levels[i]++
			}
		}
	}
	for m, x := range s.vals {
		for d := range t.dims {
			tops := make([]top2, len(t.counts))
			for total := range t.counts {
				if s.coord(total, d) != 0 {
					continue
				}
				tp := top2{at: -1}
				for cell := range s.cells(total, d) {
					switch v := x[cell]; {
					case tp.at < 0 || v > tp.first:
						tp = top2{first: v, second: tp.first, at: cell}
					case v > tp.second:
						tp.second = v
					}
				}
				tops[total] = tp
			}
			s.tops[m][d] = tops
		}
	}
	return s
}

// coord returns i's storage index along dimension d: 0 for Total, value index + 1.
func (s *suppressor) coord(i, d int) int {
	return i / s.t.strides[d] % s.sizes[d]
}

// cells yields the cells of the line along dimension d whose total is total.
func (s *suppressor) cells(total, d int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for c := 1; c < s.sizes[d]; c++ {
			if !yield(total + c*s.t.strides[d]) {
				return
			}
		}
	}
}

// maxOther returns the largest value of measure m among the cells of the line along
// d with total total, leaving out cell.
func (s *suppressor) maxOther(m, d, total, cell int) int {
	tp := s.tops[m][d][total]
	if tp.at == cell {
		return tp.second
	}
	return tp.first
}
