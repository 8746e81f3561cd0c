package stats_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"registro/cases"
	"registro/stats"
	"registro/vocabulary"
)

// A small organization for the attacker tests: few cases per quarter, skewed
// distributions (so most two-grouping cells count one or two survivors), survivors
// who come back within and across quarters, and a few incidents known only to the
// year.

// orgGen draws the facts of one organization.
type orgGen struct {
	rng  *rand.Rand
	year string
	// pools of codes, most common first
	perps, viols, districts, places, ages []string
	subjects                              int // pseudonyms S0 … S(subjects−1)
	next                                  int // next case number
}

func newOrgGen(seed uint64, year string, casesPerQuarter int) *orgGen {
	v, err := vocabulary.Baseline()
	if err != nil {
		panic(err)
	}
	codes := func(l vocabulary.List, n int) []string {
		var out []string
		for _, t := range v.Terms(l) {
			out = append(out, t.Code)
		}
		return out[:min(n, len(out))]
	}
	return &orgGen{rng: rand.New(rand.NewPCG(seed, 0x5eed)), year: year,
		perps: codes(vocabulary.Perpetrators, 7), viols: codes(vocabulary.Violations, 8),
		districts: codes(vocabulary.Districts, 10), places: codes(vocabulary.Places, 6),
		ages: codes(vocabulary.AgeBands, 5), subjects: max(4, casesPerQuarter*3/4)}
}

// skewed picks from a list, the first values far more often than the last.
func (g *orgGen) skewed(list []string) string {
	n := len(list)
	return list[min(g.rng.IntN(n), g.rng.IntN(n), g.rng.IntN(n))]
}

// sometimesEmpty leaves an optional field empty one time in ten.
func (g *orgGen) sometimesEmpty(v string) string {
	if g.rng.IntN(10) == 0 {
		return ""
	}
	return v
}

// fact draws one case in month ("" when known only to the year).
func (g *orgGen) fact(month string) cases.Fact {
	g.next++
	perps := []string{g.skewed(g.perps)}
	if g.rng.IntN(5) == 0 {
		perps = append(perps, g.skewed(g.perps))
	}
	viols := []string{g.skewed(g.viols)}
	for g.rng.IntN(3) == 0 && len(viols) < 3 {
		viols = append(viols, g.skewed(g.viols))
	}
	f := cases.Fact{
		Case: fmt.Sprintf("c%04d", g.next),
		// Repeat survivors: the lower pseudonyms come back more often.
		Subject:      fmt.Sprintf("S%d", min(g.rng.IntN(g.subjects), g.rng.IntN(g.subjects))),
		Perpetrators: uniq(perps), Violations: uniq(viols),
		District: g.skewed(g.districts), Place: g.skewed(g.places),
		AgeBand:     g.sometimesEmpty(g.skewed(g.ages)),
		Gender:      g.sometimesEmpty([]string{"cis_woman", "cis_woman", "trans_woman", "other"}[g.rng.IntN(4)]),
		Nationality: g.sometimesEmpty([]string{"PE", "PE", "PE", "PE", "VE", "VE", "CO", "EC"}[g.rng.IntN(8)]),
		WorkSetting: g.sometimesEmpty([]string{"street", "street", "venue", "independent"}[g.rng.IntN(4)]),
		Month:       month, Year: g.year,
	}
	if month != "" {
		f.Quarter = cases.QuarterOf(month)
	}
	return f
}

// quarter draws n cases of quarter q (1–4), months skewed towards the first.
func (g *orgGen) quarter(q, n int) []cases.Fact {
	months := monthsOf(g.year, q)
	out := make([]cases.Fact, n)
	for i := range out {
		out[i] = g.fact(g.skewed(months))
	}
	return out
}

// yearOnly draws n cases known only to the year.
func (g *orgGen) yearOnly(n int) []cases.Fact {
	out := make([]cases.Fact, n)
	for i := range out {
		out[i] = g.fact("")
	}
	return out
}

// revise changes the cases of at least want distinct survivors: some cases are
// edited (another district, violation or month of the quarter), some erased, and
// some new ones recorded, until stats.Changes counts at least want survivors.
func (g *orgGen) revise(facts []cases.Fact, q, want int) []cases.Fact {
	out := slices.Clone(facts)
	months := monthsOf(g.year, q)
	for stats.Changes(facts, out) < want {
		switch op := g.rng.IntN(4); {
		case op == 0 && len(out) > want: // erased or withdrawn
			i := g.rng.IntN(len(out))
			out = slices.Delete(out, i, i+1)
		case op == 1: // new case
			out = append(out, g.fact(g.skewed(months)))
		default: // edited
			i := g.rng.IntN(len(out))
			f := out[i]
			f.Perpetrators, f.Violations = slices.Clone(f.Perpetrators), slices.Clone(f.Violations)
			switch g.rng.IntN(3) {
			case 0:
				f.District = g.skewed(g.districts)
			case 1:
				f.Violations = uniq(append(f.Violations, g.skewed(g.viols)))
			case 2:
				f.Month = months[g.rng.IntN(3)]
			}
			out[i] = f
		}
	}
	return out
}

func monthsOf(year string, q int) []string {
	var out []string
	for m := 3*q - 2; m <= 3*q; m++ {
		out = append(out, fmt.Sprintf("%s-%02d", year, m))
	}
	return out
}

func uniq(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
