package stats

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// DefaultK is the smallest number of survivors a published count may show unless an
// organization chooses a larger one.
const DefaultK = 5

// MinK is the smallest k an organization may choose.
const MinK = 3

var (
	// ErrKTooSmall is returned when k is below MinK.
	ErrKTooSmall = fmt.Errorf("stats: k must be at least %d", MinK)
	// ErrInconsistent is returned when a table's counts cannot come from real cases.
	ErrInconsistent = errors.New("stats: inconsistent counts")
)

// Suppress applies disclosure control to t in place with threshold k: every position
// counting 1 to k−1 survivors is suppressed (primary), then further positions are
// suppressed (complementary) until no hidden value can be worked out from the
// published ones. Any earlier suppression is discarded first, so the outcome depends
// only on the counts and k. It returns ErrKTooSmall, or ErrInconsistent when a count
// is negative, counts more survivors than incidents, exceeds a total it belongs to,
// or when a total counts more than all the cells of one of its lines together (give
// the dimension a "not recorded" value instead). On error every position of t is
// suppressed, with no reason.
func Suppress(t *Table, k int) (err error) {
	defer func() {
		if err != nil { // fail closed: nothing of t may be published
			for i := range t.status {
				t.status[i] = Status{Suppressed: true}
			}
		}
	}()
	if k < MinK {
		return fmt.Errorf("%w (got %d)", ErrKTooSmall, k)
	}
	s := newSuppressor(t, k)
	if err := s.validate(); err != nil {
		return err
	}
	clear(t.status)
	var primary []int
	for i, c := range t.counts {
		if c.Survivors >= 1 && c.Survivors < k {
			t.status[i] = Status{Suppressed: true, Reason: ReasonPrimary}
			primary = append(primary, i)
		}
	}
	// Cells first, totals last: a cell's hypercube often hides the small totals
	// above it on the way, and a hypercube is found more cheaply among cells.
	slices.SortFunc(primary, func(a, b int) int {
		return cmp.Or(cmp.Compare(s.levels[a], s.levels[b]), cmp.Compare(a, b))
	})
	for _, p := range primary {
		if s.covered[p] {
			continue
		}
		corners, ok := s.bestHypercube(p)
		if !ok {
			// validate guarantees a hypercube of a position and its totals exists.
			return fmt.Errorf("stats: position %v: no protecting hypercube (bug)", t.position(p))
		}
		for _, q := range corners {
			if !t.status[q].Suppressed {
				t.status[q] = Status{Suppressed: true, Reason: ReasonComplementary}
			}
			s.covered[q] = true
		}
	}
	return nil
}

// validate checks the relations every real table satisfies and the protection
// argument relies on.
func (s *suppressor) validate() error {
	t := s.t
	for i, c := range t.counts {
		if c.Survivors < 0 || c.Incidents < 0 || c.Survivors > c.Incidents {
			return fmt.Errorf("%w: position %v has %d survivors and %d incidents",
				ErrInconsistent, t.position(i), c.Survivors, c.Incidents)
		}
	}
	for d := range t.dims {
		for total := range t.counts {
			if s.coord(total, d) != 0 {
				continue
			}
			tc := t.counts[total]
			var sum Counts
			for cell := range s.cells(total, d) {
				c := t.counts[cell]
				if c.Survivors > tc.Survivors || c.Incidents > tc.Incidents {
					return fmt.Errorf("%w: position %v counts more than its total %v",
						ErrInconsistent, t.position(cell), t.position(total))
				}
				sum.Survivors += c.Survivors
				sum.Incidents += c.Incidents
			}
			if sum.Survivors < tc.Survivors || sum.Incidents < tc.Incidents {
				return fmt.Errorf("%w: total %v counts more than its %s cells together",
					ErrInconsistent, t.position(total), t.dims[d].Name)
			}
		}
	}
	return nil
}
