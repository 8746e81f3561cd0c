package stats_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"registro/stats"
)

// grid enumerates a table's positions independently of the package, in mixed radix
// with Total first along every dimension.
type grid struct {
	dims    []stats.Dimension
	strides []int
	size    int
}

func newGrid(dims []stats.Dimension) grid {
	g := grid{dims: dims, strides: make([]int, len(dims)), size: 1}
	for d := len(dims) - 1; d >= 0; d-- {
		g.strides[d] = g.size
		g.size *= len(dims[d].Values) + 1
	}
	return g
}

func (g grid) index(pos []int) int {
	i := 0
	for d, p := range pos {
		i += (p + 1) * g.strides[d]
	}
	return i
}

func (g grid) pos(i int) []int {
	pos := make([]int, len(g.dims))
	for d, s := range g.strides {
		pos[d] = i/s - 1
		i %= s
	}
	return pos
}

// line is one line of a table: the cells along one dimension with the others fixed,
// and their total.
type line struct {
	dim   int
	total int
	cells []int
}

func (g grid) lines() []line {
	var ls []line
	for d := range g.dims {
		for i := range g.size {
			p := g.pos(i)
			if p[d] != stats.Total {
				continue
			}
			l := line{dim: d, total: i}
			for v := range g.dims[d].Values {
				l.cells = append(l.cells, i+(v+1)*g.strides[d])
			}
			ls = append(ls, l)
		}
	}
	return ls
}

// mustTable builds a table from counts in grid order.
func mustTable(tb testing.TB, g grid, counts []stats.Counts) *stats.Table {
	tb.Helper()
	if len(counts) != g.size {
		tb.Fatalf("got %d counts for %d positions", len(counts), g.size)
	}
	t := stats.NewTable(g.dims)
	for i, c := range counts {
		t.Set(g.pos(i), c)
	}
	return t
}

// mustSuppress runs Suppress and returns every position's status in grid order.
func mustSuppress(tb testing.TB, g grid, t *stats.Table, k int) []stats.Status {
	tb.Helper()
	if err := stats.Suppress(t, k); err != nil {
		tb.Fatalf("Suppress(k=%d): %v", k, err)
	}
	status := make([]stats.Status, g.size)
	for i := range status {
		_, status[i] = t.Get(g.pos(i))
	}
	return status
}

// dims returns n dimensions of the given sizes; multi marks which are multi-valued.
func dims(sizes []int, multi []bool) []stats.Dimension {
	ds := make([]stats.Dimension, len(sizes))
	for d, n := range sizes {
		ds[d] = stats.Dimension{Name: fmt.Sprintf("d%d", d), MultiValued: multi[d]}
		for v := range n {
			ds[d].Values = append(ds[d].Values, fmt.Sprintf("v%d", v))
		}
	}
	return ds
}

// skewed returns a value index in [0, n) from a random, heavily uneven distribution,
// so that some values are rare and cells with 1 to k−1 survivors are common.
func skewed(rng *rand.Rand, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	r := rng.Float64() * sum
	for i, w := range weights {
		if r -= w; r < 0 {
			return i
		}
	}
	return len(weights) - 1
}

// recordTable counts random survivors' incidents the way the server does: incidents
// and distinct survivors per position, a multi-valued dimension counting an incident
// under each of its values and once in the total. Unless moving, all of a survivor's
// incidents share their values (so survivors add up along single-valued dimensions);
// moving survivors may have incidents in several districts or months, say.
func recordTable(rng *rand.Rand, ds []stats.Dimension, survivors int, moving bool) []stats.Counts {
	g := newGrid(ds)
	weights := make([][]float64, len(ds))
	for d, dim := range ds {
		for range dim.Values {
			weights[d] = append(weights[d], rng.ExpFloat64()*rng.ExpFloat64())
		}
	}
	// draw returns an incident's values, Total included, per dimension.
	draw := func() [][]int {
		values := make([][]int, len(ds))
		for d, dim := range ds {
			values[d] = []int{stats.Total, skewed(rng, weights[d])}
			for dim.MultiValued && rng.IntN(3) == 0 {
				if v := skewed(rng, weights[d]); !slices.Contains(values[d], v) {
					values[d] = append(values[d], v)
				}
			}
		}
		return values
	}
	counts := make([]stats.Counts, g.size)
	for range survivors {
		first := draw()
		seen := map[int]bool{}
		for n := 0; n == 0 || rng.IntN(3) == 0; n++ {
			values := first
			if moving && n > 0 && rng.IntN(2) == 0 {
				values = draw()
			}
			// Every position this incident falls in: one choice per dimension.
			pos := make([]int, len(ds))
			var walk func(d int)
			walk = func(d int) {
				if d == len(ds) {
					i := g.index(pos)
					counts[i].Incidents++
					if !seen[i] {
						seen[i] = true
						counts[i].Survivors++
					}
					return
				}
				for _, v := range values[d] {
					pos[d] = v
					walk(d + 1)
				}
			}
			walk(0)
		}
	}
	return counts
}

// additiveTable draws cells with many zeros and small counts and sums them into
// every total, so that each line's cells add up exactly to its total.
func additiveTable(rng *rand.Rand, ds []stats.Dimension) []stats.Counts {
	g := newGrid(ds)
	counts := make([]stats.Counts, g.size)
	for i := range g.size {
		pos := g.pos(i)
		if slices.Contains(pos, stats.Total) {
			continue
		}
		var s int
		switch r := rng.IntN(20); {
		case r < 7:
			s = 0
		case r < 15:
			s = 1 + rng.IntN(4)
		case r < 19:
			s = 5 + rng.IntN(10)
		default:
			s = 15 + rng.IntN(60)
		}
		c := stats.Counts{Survivors: s, Incidents: s}
		if s > 0 {
			c.Incidents += rng.IntN(s + 2)
		}
		// Add the cell into itself and every total above it.
		for m := range 1 << len(ds) {
			q := slices.Clone(pos)
			for d := range ds {
				if m&(1<<d) != 0 {
					q[d] = stats.Total
				}
			}
			j := g.index(q)
			counts[j].Survivors += c.Survivors
			counts[j].Incidents += c.Incidents
		}
	}
	return counts
}

// pattern draws a table's statuses compactly: "." published, "P" primary, "C"
// complementary, positions in grid order, a space between lines of the last dimension.
func pattern(g grid, status []stats.Status) string {
	var b strings.Builder
	last := len(g.dims) - 1
	for i, s := range status {
		if last >= 0 && i > 0 && i%(len(g.dims[last].Values)+1) == 0 {
			b.WriteByte(' ')
		}
		switch {
		case !s.Suppressed:
			b.WriteByte('.')
		case s.Reason == stats.ReasonPrimary:
			b.WriteByte('P')
		default:
			b.WriteByte('C')
		}
	}
	return b.String()
}
