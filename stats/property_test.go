package stats_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"registro/stats"
)

// randomCase is one randomized table and how it was made, for failure messages.
type randomCase struct {
	name   string
	g      grid
	counts []stats.Counts
	k      int
	models [2]model // the attacker's model for survivors and incidents (see measures)
}

// randomCases draws n tables of 0 to 3 dimensions with 2 to 6 values each: a third
// with all cells summed into totals, a third counted from survivors whose incidents
// share their values, a third from survivors who move (multi-valued dimensions
// included in the latter two).
func randomCases(seed uint64, n int) []randomCase {
	rng := rand.New(rand.NewPCG(seed, 2026))
	cases := make([]randomCase, n)
	for i := range cases {
		nd := 1 + rng.IntN(3)
		if i%50 == 0 {
			nd = 0
		}
		sizes, multi := make([]int, nd), make([]bool, nd)
		cells := 1
		for d := range nd {
			sizes[d], multi[d] = 2+rng.IntN(5), i%3 != 0 && rng.IntN(3) == 0
			cells *= sizes[d]
		}
		rc := randomCase{g: newGrid(dims(sizes, multi)), k: []int{3, 5, 10}[rng.IntN(3)]}
		var kind string
		switch i % 3 {
		case 0:
			kind, rc.models = "additive", [2]model{additive, additive}
			rc.counts = additiveTable(rng, rc.g.dims)
		case 1:
			kind, rc.models = "records", [2]model{byDimension, byDimension}
			rc.counts = recordTable(rng, rc.g.dims, rng.IntN(3*cells+10), false)
		default:
			kind, rc.models = "moving", [2]model{distinct, byDimension}
			rc.counts = recordTable(rng, rc.g.dims, rng.IntN(3*cells+10), true)
		}
		rc.name = fmt.Sprintf("seed%d/%d/%s/sizes%v/multi%v/k%d", seed, i, kind, sizes, multi, rc.k)
		cases[i] = rc
	}
	return cases
}

func TestSuppressRandomTables(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			var hidden, reasonLeaks int
			methods := map[string]int{}
			for _, rc := range randomCases(seed, 200) {
				status := mustSuppress(t, rc.g, mustTable(t, rc.g, rc.counts), rc.k)
				checkPublished(t, rc, status)
				hidden += checkUnrecoverable(t, rc, status, methods)
				reasonLeaks += countReasonLeaks(t, rc, status)
			}
			t.Logf("%d hidden values, none recoverable (attacks decided by %v); in small tables, %d recoverable if reasons are published",
				hidden, methods, reasonLeaks)
		})
	}
}

// checkPublished asserts that nothing published counts 1 to k−1 survivors, that
// hidden positions are never zeros and that reasons match the counts.
func checkPublished(t *testing.T, rc randomCase, status []stats.Status) {
	t.Helper()
	for i, s := range status {
		c := rc.counts[i]
		small := c.Survivors >= 1 && c.Survivors < rc.k
		switch {
		case !s.Suppressed && small:
			t.Errorf("%s: %v published with %d survivors", rc.name, rc.g.pos(i), c.Survivors)
		case s.Suppressed && c.Survivors == 0:
			t.Errorf("%s: %v hides a zero", rc.name, rc.g.pos(i))
		case s.Suppressed && (s.Reason == stats.ReasonPrimary) != small:
			t.Errorf("%s: %v with %d survivors suppressed as %q", rc.name, rc.g.pos(i), c.Survivors, s.Reason)
		}
	}
}

// checkUnrecoverable asserts that no hidden survivor or incident count can be worked
// out from the published ones by an attacker who also knows that hidden values are
// at least 1 (zeros are never hidden); that covers the attacker who knows only that
// they are at least 0. It returns how many values are hidden and counts how each
// attack was decided in methods.
func checkUnrecoverable(t *testing.T, rc randomCase, status []stats.Status, methods map[string]int) int {
	t.Helper()
	hidden := make([]bool, rc.g.size)
	var n int
	for i, s := range status {
		hidden[i] = s.Suppressed
		if s.Suppressed {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	atLeastOne := func(int) (int, int) { return 1, -1 }
	for j, m := range measures {
		a := newAttack(rc.g, m.values(rc.counts), hidden, rc.models[j], atLeastOne)
		pinned, method := a.pinned(t)
		methods[method]++
		if len(pinned) > 0 {
			t.Errorf("%s: %s recoverable at %v\npattern %s\ncounts %v", rc.name, m.name,
				positions(rc.g, pinned), pattern(rc.g, status), rc.counts)
		}
	}
	return 2 * n
}

// countReasonLeaks counts, in tables small enough to enumerate, hidden values an
// attacker could work out if the reasons were published too: a primary position
// then counts 1 to k−1 survivors and a complementary one at least k. Suppress avoids
// such leaks where one hypercube can, but some are unavoidable (two primary cells of
// 1 under a primary total of 2 with k = 3), so this is measured, not asserted.
func countReasonLeaks(t *testing.T, rc randomCase, status []stats.Status) int {
	t.Helper()
	hidden := make([]bool, rc.g.size)
	for i, s := range status {
		hidden[i] = s.Suppressed
	}
	var leaks int
	for j, m := range measures {
		bounds := func(i int) (int, int) {
			switch {
			case status[i].Reason == stats.ReasonComplementary:
				return rc.k, -1
			case m.name == "survivors":
				return 1, rc.k - 1
			default:
				return 1, -1
			}
		}
		a := newAttack(rc.g, m.values(rc.counts), hidden, rc.models[j], bounds)
		if !a.small() {
			return 0 // measured on small tables only: a pinned value makes the simplex run
		}
		pinned, _ := a.pinned(t)
		leaks += len(pinned)
	}
	return leaks
}

var measures = []struct {
	name   string
	values func([]stats.Counts) []int
}{
	{"survivors", func(cs []stats.Counts) []int {
		v := make([]int, len(cs))
		for i, c := range cs {
			v[i] = c.Survivors
		}
		return v
	}},
	{"incidents", func(cs []stats.Counts) []int {
		v := make([]int, len(cs))
		for i, c := range cs {
			v[i] = c.Incidents
		}
		return v
	}},
}

func positions(g grid, is []int) [][]int {
	ps := make([][]int, len(is))
	for j, i := range is {
		ps[j] = g.pos(i)
	}
	return ps
}
