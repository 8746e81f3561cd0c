package stats_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"registro/stats"
)

// BenchmarkSuppress runs disclosure control on a 12×14×10 table (perpetrator ×
// district × month, say) counted from 300 to 10,000 survivors, many cells small.
func BenchmarkSuppress(b *testing.B) {
	for _, survivors := range []int{300, 3000, 10000} {
		b.Run(fmt.Sprint(survivors, "survivors"), func(b *testing.B) {
			g := newGrid(dims([]int{12, 14, 10}, []bool{true, false, false}))
			counts := recordTable(rand.New(rand.NewPCG(12, 14)), g.dims, survivors, true)
			table := mustTable(b, g, counts)
			for b.Loop() {
				if err := stats.Suppress(table, stats.DefaultK); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
