package stats_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"registro/stats"
)

// summed builds a table whose cells, listed in order with the last dimension
// varying fastest, are survivors (incidents one more each, none for zero cells),
// with every total their sum.
func summed(sizes []int, cells ...int) (grid, []stats.Counts) {
	g := newGrid(dims(sizes, make([]bool, len(sizes))))
	counts := make([]stats.Counts, g.size)
	next := 0
	for i := range g.size {
		pos := g.pos(i)
		if slices.Contains(pos, stats.Total) {
			continue
		}
		c := stats.Counts{Survivors: cells[next]}
		if c.Survivors > 0 {
			c.Incidents = c.Survivors + 1
		}
		next++
		for m := range 1 << len(sizes) {
			q := slices.Clone(pos)
			for d := range q {
				if m&(1<<d) != 0 {
					q[d] = stats.Total
				}
			}
			j := g.index(q)
			counts[j].Survivors += c.Survivors
			counts[j].Incidents += c.Incidents
		}
	}
	return g, counts
}

func TestSuppressPatterns(t *testing.T) {
	// Patterns list positions with Total first along each dimension, a space between
	// lines of the last dimension: "." published, "P" primary, "C" complementary.
	given := func(g grid, counts ...stats.Counts) func() (grid, []stats.Counts) {
		return func() (grid, []stats.Counts) { return g, counts }
	}
	sum := func(sizes []int, cells ...int) func() (grid, []stats.Counts) {
		return func() (grid, []stats.Counts) { return summed(sizes, cells...) }
	}
	tests := []struct {
		name  string
		table func() (grid, []stats.Counts)
		want  string
	}{
		{"GrandTotalSmall", given(newGrid(nil), stats.Counts{Incidents: 4, Survivors: 3}), "P"},
		{"GrandTotalZero", given(newGrid(nil), stats.Counts{}), "."},
		{"GrandTotalLarge", given(newGrid(nil), stats.Counts{Incidents: 9, Survivors: 7}), "."},
		{"NothingSmall", sum([]int{3}, 10, 0, 7), "...."},
		{"SmallCellHidesSmallestOtherCell", sum([]int{4}, 3, 12, 8, 20), ".P.C."},
		// Hiding the 5 with the 1 would give both away to anyone who knows the
		// reasons: the 5 is at least k = 5, the 1 at least 1, and they add up to 6.
		{"PartnerAtKAvoided", sum([]int{3}, 1, 5, 9), ".P.C"},
		{"ZerosNeverHidden", sum([]int{4}, 2, 0, 0, 30), ".P..C"},
		{"SmallTotalHiddenWithItsCells", sum([]int{3}, 1, 2, 0), "PPP."},
		// Perpetrators: 8 survivors, some under two perpetrators, so cells add to more.
		{"MultiValuedOverlap", given(newGrid(dims([]int{3}, []bool{true})),
			stats.Counts{Incidents: 9, Survivors: 8}, stats.Counts{Incidents: 2, Survivors: 2},
			stats.Counts{Incidents: 6, Survivors: 6}, stats.Counts{Incidents: 7, Survivors: 7}), ".PC."},
		{"TwoDimensionsHideABox", sum([]int{3, 3}, 1, 8, 9, 7, 6, 12, 10, 11, 15), ".... .PC. .CC. ...."},
		// Every other way through the 2 meets a zero, so the only box uses totals; and
		// published, the grand total minus 9 would give the hidden 2s away.
		{"DiagonalZerosHideGrandTotal", sum([]int{2, 2}, 2, 0, 0, 9), "CP. PP. ..."},
		// All eight cells: with every two-way total published, a 2×2×2 table has one
		// degree of freedom, which the box uses.
		{"ThreeDimensionsHideACube", sum([]int{2, 2, 2}, 1, 10, 11, 12, 13, 14, 15, 16),
			"... ... ... ... .PC .CC ... .CC .CC"},
		// The box goes through the slice of 8s, cheaper than the slice of 30s.
		{"ThreeDimensionsCheapestSlice", sum([]int{3, 2, 2}, 2, 20, 20, 20, 30, 30, 30, 30, 8, 8, 8, 8),
			"... ... ... ... .PC .CC ... ... ... ... .CC .CC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, counts := tt.table()
			status := mustSuppress(t, g, mustTable(t, g, counts), stats.DefaultK)
			if diff := cmp.Diff(tt.want, pattern(g, status)); diff != "" {
				t.Errorf("pattern (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSuppressK(t *testing.T) {
	tests := []struct {
		name string
		k    int
		want error
	}{
		{name: "ErrKTooSmall", k: 2, want: stats.ErrKTooSmall},
		{name: "ErrKTooSmallZero", k: 0, want: stats.ErrKTooSmall},
		{name: "OK", k: stats.MinK},
		{name: "OKDefault", k: stats.DefaultK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, counts := summed([]int{3}, 1, 2, 9)
			if err := stats.Suppress(mustTable(t, g, counts), tt.k); !errors.Is(err, tt.want) {
				t.Errorf("Suppress(k=%d) = %v, want %v", tt.k, err, tt.want)
			}
		})
	}
}

func TestSuppressInconsistent(t *testing.T) {
	tests := []struct {
		name   string
		counts []stats.Counts // total first, then three cells
	}{
		{name: "ErrInconsistentNegative", counts: []stats.Counts{{9, 9}, {-1, -1}, {5, 5}, {5, 5}}},
		{name: "ErrInconsistentMoreSurvivorsThanIncidents", counts: []stats.Counts{{9, 9}, {2, 3}, {3, 3}, {4, 4}}},
		{name: "ErrInconsistentCellAboveTotal", counts: []stats.Counts{{9, 9}, {10, 10}, {0, 0}, {0, 0}}},
		{name: "ErrInconsistentTotalAboveCells", counts: []stats.Counts{{9, 9}, {1, 1}, {2, 2}, {3, 3}}},
	}
	g := newGrid(dims([]int{3}, []bool{false}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := mustTable(t, g, tt.counts)
			if err := stats.Suppress(table, stats.DefaultK); !errors.Is(err, stats.ErrInconsistent) {
				t.Errorf("Suppress = %v, want ErrInconsistent", err)
			}
			for i := range g.size {
				if c, s := table.Get(g.pos(i)); !s.Suppressed || c != (stats.Counts{}) {
					t.Errorf("after the error, Get(%v) = %v, %v; want all withheld", g.pos(i), c, s)
				}
			}
		})
	}
}

func TestGetWithholdsSuppressed(t *testing.T) {
	g, counts := summed([]int{3}, 3, 12, 8)
	table := mustTable(t, g, counts)
	if err := stats.Suppress(table, stats.DefaultK); err != nil {
		t.Fatal(err)
	}
	type got struct {
		Counts stats.Counts
		Status stats.Status
	}
	want := []got{
		{stats.Counts{Incidents: 26, Survivors: 23}, stats.Status{}},
		{stats.Counts{}, stats.Status{Suppressed: true, Reason: stats.ReasonPrimary}},
		{stats.Counts{Incidents: 13, Survivors: 12}, stats.Status{}},
		{stats.Counts{}, stats.Status{Suppressed: true, Reason: stats.ReasonComplementary}},
	}
	var gots []got
	for i := range g.size {
		c, s := table.Get(g.pos(i))
		gots = append(gots, got{c, s})
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	// Suppressing again starts afresh: with k = 3 the 3 is safe.
	if err := stats.Suppress(table, 3); err != nil {
		t.Fatal(err)
	}
	if c, s := table.Get([]int{0}); s.Suppressed || c.Survivors != 3 {
		t.Errorf("after Suppress(k=3), Get([0]) = %v, %v; want 3 survivors published", c, s)
	}
}

func TestTablePositions(t *testing.T) {
	ds := dims([]int{2, 3}, []bool{true, false})
	table := stats.NewTable(ds)
	table.Set([]int{stats.Total, 2}, stats.Counts{Incidents: 5, Survivors: 4})
	if c, _ := table.Get([]int{stats.Total, 2}); c.Survivors != 4 {
		t.Errorf("Get after Set = %v", c)
	}
	got := table.Dims()
	got[0].Values[0] = "changed"
	if diff := cmp.Diff(ds, table.Dims()); diff != "" {
		t.Errorf("Dims changed through its result (-want +got):\n%s", diff)
	}
	for _, pos := range [][]int{{0}, {0, 3}, {-2, 0}, {0, 0, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Get(%v) did not panic", pos)
				}
			}()
			table.Get(pos)
		}()
	}
}
