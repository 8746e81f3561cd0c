package stats

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"registro/cases"
	"registro/vocabulary"
)

// benchFacts are n facts of a registry like Lima's: a few common perpetrators and
// violations, 50 districts, repeat survivors, a few ages, genders and nationalities,
// spread over the months given ("" for incidents known only to the year).
func benchFacts(seed uint64, n int, year string, months []string) []cases.Fact {
	rng := rand.New(rand.NewPCG(seed, 2))
	v, _ := vocabulary.Baseline()
	perps, viols, districts := v.Terms(vocabulary.Perpetrators), v.Terms(vocabulary.Violations), v.Terms(vocabulary.Districts)[:50]
	pick := func(ts []vocabulary.Term) string { return ts[min(rng.IntN(len(ts)), rng.IntN(len(ts)))].Code }
	places, ages := v.Terms(vocabulary.Places), v.Terms(vocabulary.AgeBands)
	nats := []string{"PE", "PE", "PE", "VE", "VE", "CO", "EC", ""}
	fs := make([]cases.Fact, n)
	for i := range fs {
		fs[i] = cases.Fact{Case: fmt.Sprint(seed, "-", i), Subject: fmt.Sprint("S", rng.IntN(n*2/3+1)),
			Perpetrators: dedupe([]string{pick(perps), pick(perps)}), Violations: dedupe([]string{pick(viols), pick(viols)}),
			District: pick(districts), Place: pick(places), AgeBand: pick(ages), Gender: []string{"cis_woman", "trans_woman", ""}[rng.IntN(3)],
			Nationality: nats[rng.IntN(len(nats))], Month: months[rng.IntN(len(months))], Year: year}
		if fs[i].Month != "" {
			fs[i].Quarter = cases.QuarterOf(fs[i].Month)
		}
	}
	return fs
}

// BenchmarkRelease builds the release of a quarter (830 and 10,000 cases), and of a
// year over its four quarters' releases with 5 % of incidents known only to the year.
func BenchmarkRelease(b *testing.B) {
	for _, n := range []int{830, 10000} {
		b.Run(fmt.Sprint("quarter_", n), func(b *testing.B) {
			facts := benchFacts(1, n, "2026", []string{"2026-04", "2026-05", "2026-06"})
			for b.Loop() {
				if _, err := BuildRelease(ReleaseInput{Org: "LIM", Period: "2026-Q2", K: DefaultK, Facts: facts}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, n := range []int{830, 3000} {
		b.Run(fmt.Sprint("year_", 4*n), func(b *testing.B) {
			var all []cases.Fact
			var quarters []*Release
			for q := 1; q <= 4; q++ {
				var months []string
				for m := 3*q - 2; m <= 3*q; m++ {
					months = append(months, fmt.Sprintf("2026-%02d", m))
				}
				facts := benchFacts(uint64(q), n, "2026", months)
				rel, err := BuildRelease(ReleaseInput{Org: "LIM", Period: fmt.Sprint("2026-Q", q), K: DefaultK, Facts: facts})
				if err != nil {
					b.Fatal(err)
				}
				quarters, all = append(quarters, rel), append(all, facts...)
			}
			all = append(all, benchFacts(9, n/5, "2026", []string{""})...)
			for b.Loop() {
				if _, err := BuildRelease(ReleaseInput{Org: "LIM", Period: "2026", K: DefaultK, Facts: all, Quarters: quarters}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
