package stats

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"registro/cases"
	"registro/vocabulary"
)

// benchFacts are n facts of a registry like Lima's: a few common perpetrators and
// violations, 50 districts, repeat survivors, spread over the months given.
func benchFacts(n int, months []string) []cases.Fact {
	rng := rand.New(rand.NewPCG(1, 2))
	v, _ := vocabulary.Baseline()
	perps, viols, districts := v.Terms(vocabulary.Perpetrators), v.Terms(vocabulary.Violations), v.Terms(vocabulary.Districts)[:50]
	pick := func(ts []vocabulary.Term) string { return ts[min(rng.IntN(len(ts)), rng.IntN(len(ts)))].Code }
	fs := make([]cases.Fact, n)
	for i := range fs {
		fs[i] = cases.Fact{Case: fmt.Sprint(i), Subject: fmt.Sprint("S", rng.IntN(n*2/3+1)),
			Perpetrators: dedupe([]string{pick(perps), pick(perps)}), Violations: dedupe([]string{pick(viols), pick(viols)}),
			District: pick(districts), Place: "street", Month: months[rng.IntN(len(months))]}
		fs[i].Quarter = cases.QuarterOf(fs[i].Month)
	}
	return fs
}

// BenchmarkBuild counts and suppresses the tables advocates ask for most: a quarter
// by perpetrator and district, and an eight-quarter trend by perpetrator.
func BenchmarkBuild(b *testing.B) {
	v, _ := vocabulary.Baseline()
	quarter := []string{"2026-04", "2026-05", "2026-06"}
	var twoYears []string
	for y := 2024; y <= 2026; y++ {
		for m := 1; m <= 12; m++ {
			if s := fmt.Sprintf("%d-%02d", y, m); s >= "2024-07" && s <= "2026-06" {
				twoYears = append(twoYears, s)
			}
		}
	}
	for _, bc := range []struct {
		name   string
		facts  []cases.Fact
		dims   []string
		period Period
	}{
		{"quarter_830_by_perpetrator_district", benchFacts(830, quarter), []string{"perpetrator", "district"}, Period{"2026-04", "2026-06"}},
		{"quarter_8300_by_perpetrator_district", benchFacts(8300, quarter), []string{"perpetrator", "district"}, Period{"2026-04", "2026-06"}},
		{"trend_6640_by_perpetrator_quarter", benchFacts(6640, twoYears), []string{"perpetrator", "quarter"}, Period{"2024-07", "2026-06"}},
		{"trend_66400_by_perpetrator_quarter", benchFacts(66400, twoYears), []string{"perpetrator", "quarter"}, Period{"2024-07", "2026-06"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Build("LIM", bc.period, bc.facts, bc.dims, v, DefaultK, "es"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
