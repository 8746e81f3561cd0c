package stats

import (
	"math"
	"math/bits"
)

// hideCost orders hypercubes by what they newly hide: first as few totals as
// possible (weighted by how many dimensions each sums over), then as few survivors,
// then as few positions.
type hideCost struct{ levels, survivors, positions int }

func (c hideCost) less(o hideCost) bool {
	if c.levels != o.levels {
		return c.levels < o.levels
	}
	if c.survivors != o.survivors {
		return c.survivors < o.survivors
	}
	return c.positions < o.positions
}

// hypercube is a candidate: its corners by bit mask (bit d set: the partner's index
// along d), and per dimension whether the pair is two cells or a cell and its total.
type hypercube struct {
	corners   []int
	cellPairs uint // bit d: both indexes along d are values, not Total
}

// sign returns the checkerboard sign of corner m: a cell paired with its total moves
// with it, two cells of a line move against each other.
func (h *hypercube) sign(m int) int {
	if bits.OnesCount(uint(m)&h.cellPairs)%2 == 1 {
		return -1
	}
	return 1
}

// partner is a choice of partner along one dimension.
type partner struct {
	offset   int  // from p's place to the partner's
	cellPair bool // p and the partner are both values, not Total
}

// bestHypercube returns the corners of the cheapest hypercube through p that
// protects all its corners even from someone who knows why each is hidden, or
// failing that the cheapest that protects them from someone who knows only that
// they are hidden; false if there is none.
func (s *suppressor) bestHypercube(p int) ([]int, bool) {
	dims := len(s.t.dims)
	// A partner counting no one is never hidden: an attacker may know a zero
	// anyway, so it would protect nothing.
	partners := make([][]partner, dims)
	for d := range dims {
		pc := s.coord(p, d)
		for c := range s.sizes[d] {
			off := (c - pc) * s.t.strides[d]
			if c != pc && s.vals[0][p+off] >= 1 {
				partners[d] = append(partners[d], partner{offset: off, cellPair: pc != 0 && c != 0})
			}
		}
		if len(partners[d]) == 0 {
			return nil, false
		}
	}
	h := hypercube{corners: make([]int, 1<<dims)}
	h.corners[0] = p
	var strict, loose []int
	var strictCost, looseCost hideCost
	choice := make([]int, dims)
	for {
		h.cellPairs = 0
		for d, i := range choice {
			if partners[d][i].cellPair {
				h.cellPairs |= 1 << d
			}
		}
		// Once a hypercube protects even from reasons, only cheaper ones matter.
		bound := hideCost{levels: math.MaxInt}
		if strict != nil {
			bound = strictCost
		}
		c, ok := s.place(&h, partners, choice, bound)
		switch {
		case !ok:
		case (strict == nil || c.less(strictCost)) && s.protects(&h, true):
			strict, strictCost = append(strict[:0], h.corners...), c
		case strict == nil && (loose == nil || c.less(looseCost)) && s.protects(&h, false):
			loose, looseCost = append(loose[:0], h.corners...), c
		}
		// Advance the odometer over partner choices.
		d := 0
		for ; d < dims; d++ {
			if choice[d]++; choice[d] < len(partners[d]) {
				break
			}
			choice[d] = 0
		}
		if d == dims {
			break
		}
	}
	if strict != nil {
		return strict, true
	}
	return loose, loose != nil
}

// place fills h's corners after the first (p) for the given partner choices and
// returns what hiding them costs, or false if a corner counts no one or the cost
// already exceeds bound.
func (s *suppressor) place(h *hypercube, partners [][]partner, choice []int, bound hideCost) (hideCost, bool) {
	var c hideCost
	for m := 1; m < len(h.corners); m++ {
		// Corner m is corner m without its lowest bit, moved to that bit's partner.
		low := bits.TrailingZeros(uint(m))
		q := h.corners[m&^(1<<low)] + partners[low][choice[low]].offset
		h.corners[m] = q
		if s.vals[0][q] < 1 {
			return c, false
		}
		if !s.t.status[q].Suppressed {
			c.levels += s.levels[q]
			c.survivors += s.vals[0][q]
			c.positions++
			if c.levels > bound.levels || (c.levels == bound.levels && c.survivors > bound.survivors) {
				return c, false
			}
		}
	}
	return c, true
}

// protects reports whether shifting h's corners by +1 or by −1 (each measure may use
// its own direction) keeps everything an attacker knows true. With reasons, the
// attacker also knows that a primary position counts 1 to k−1 survivors and a
// complementary one at least k survivors and incidents.
func (s *suppressor) protects(h *hypercube, reasons bool) bool {
	for m := range s.vals {
		if !s.shiftable(h, m, 1, reasons) && !s.shiftable(h, m, -1, reasons) {
			return false
		}
	}
	return true
}

// bounds returns what an attacker knows of hidden position q's measure m; hi < 0
// means no upper bound.
func (s *suppressor) bounds(q, m int, reasons bool) (lo, hi int) {
	switch {
	case !reasons:
		return 1, -1
	case s.t.status[q].Reason == ReasonPrimary && m == 0:
		return 1, s.k - 1
	case s.t.status[q].Reason == ReasonPrimary:
		return 1, -1
	default: // complementary, or about to be
		return s.k, -1
	}
}

// shiftable reports whether measure m stays consistent after moving every corner of
// h by dir times its sign: hidden values stay within what an attacker knows of them
// (at least 1, as zeros are never hidden; see bounds), and no cell of a line through
// a corner exceeds the line's total. Line balances need no check: the checkerboard
// preserves them.
func (s *suppressor) shiftable(h *hypercube, m, dir int, reasons bool) bool {
	x := s.vals[m]
	for i, q := range h.corners {
		lo, hi := s.bounds(q, m, reasons)
		if v := x[q] + dir*h.sign(i); v < lo || (hi >= 0 && v > hi) {
			return false
		}
	}
	for d := range s.t.dims {
		bit := 1 << d
		for i, a := range h.corners {
			if i&bit != 0 {
				continue
			}
			b := h.corners[i|bit]
			da, db := dir*h.sign(i), dir*h.sign(i|bit)
			switch {
			case h.cellPairs&uint(bit) != 0:
				// Two cells of one line: the one that grows must stay within the total.
				total := a - s.coord(a, d)*s.t.strides[d]
				grow := a
				if db > 0 {
					grow = b
				}
				if x[grow]+1 > x[total] {
					return false
				}
			case da < 0:
				// A cell and its total shrink together: the line's other cells must
				// still fit under the smaller total.
				total, cell := a, b
				if s.coord(a, d) != 0 {
					total, cell = b, a
				}
				if s.maxOther(m, d, total, cell) > x[total]+da {
					return false
				}
			}
		}
	}
	return true
}
