package stats_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"registro/cases"
	"registro/stats"
	"registro/vocabulary"
)

// orgScenario is one random organization's releases of a year.
type orgScenario struct {
	seed     uint64
	k        int
	sizes    [4]int // cases per quarter
	yearOnly int    // incidents known only to the year
	revise   int    // the quarter (0–3) revised
	// reviseFirst: the quarter is revised before the year is released, so the year
	// counts the revision; otherwise it counts the first version.
	reviseFirst bool
}

// attacker builds the scenario's releases (the four quarters, a revision of one of
// them, the year over its quarters) and gives every table of every one of them, as an
// advocate gets it, to a fresh attacker.
func (s orgScenario) attacker(tb testing.TB) *attacker {
	tb.Helper()
	v, err := vocabulary.Baseline()
	if err != nil {
		tb.Fatal(err)
	}
	g := newOrgGen(s.seed, "2026", slices.Max(s.sizes[:]))
	build := func(in stats.ReleaseInput) *stats.Release {
		in.Org, in.K = "ORG", s.k
		rel, err := stats.BuildRelease(in)
		if err != nil {
			tb.Fatalf("BuildRelease %s: %v", in.Period, err)
		}
		return rel
	}
	a := newAttacker(s.k)
	var facts [4][]cases.Fact
	var rels [4]*stats.Release
	for q := range 4 {
		facts[q] = g.quarter(q+1, s.sizes[q])
		rels[q] = build(stats.ReleaseInput{Period: fmt.Sprintf("2026-Q%d", q+1), Facts: facts[q]})
		a.add(observe(tb, rels[q], v, facts[q]))
	}
	yo := g.yearOnly(s.yearOnly)
	revFacts := g.revise(facts[s.revise], s.revise+1, s.k)
	if n := stats.Changes(facts[s.revise], revFacts); n < s.k {
		tb.Fatalf("revision involves %d survivors, want at least %d", n, s.k)
	}
	rev := build(stats.ReleaseInput{Period: rels[s.revise].Period, Facts: revFacts, Previous: rels[s.revise]})
	if rev.Version != 2 {
		tb.Fatalf("revision is version %d", rev.Version)
	}
	a.add(observe(tb, rev, v, revFacts))
	basis, basisFacts := rels, facts
	if s.reviseFirst {
		basis[s.revise], basisFacts[s.revise] = rev, revFacts
	}
	all := slices.Concat(basisFacts[0], basisFacts[1], basisFacts[2], basisFacts[3], yo)
	year := build(stats.ReleaseInput{Period: "2026", Facts: all, Quarters: basis[:]})
	var scopes [4]string
	for q, r := range basis {
		scopes[q] = fmt.Sprintf("%s v%d", r.Period, r.Version)
	}
	a.addYear(observe(tb, year, v, all), scopes, yo)
	a.build()
	return a
}

// TestReleasesResistJointAttack (SPEC §4, issue 9): for random small organizations,
// an attacker holding every table of the four quarters' releases, of a revision of
// one of them (and of its first version) and of the year's release cannot bound any
// hidden value, nor any part of the year known only to the year, between 1 and k−1.
func TestReleasesResistJointAttack(t *testing.T) {
	var scenarios []orgScenario
	n := 8
	if testing.Short() {
		n = 3
	}
	for i := range n {
		seed := uint64(1000 + i)
		rng := rand.New(rand.NewPCG(seed, 1))
		s := orgScenario{seed: seed, k: []int{3, 5}[i%2], revise: i % 4, reviseFirst: i%3 == 0, yearOnly: 1 + rng.IntN(6)}
		for q := range s.sizes {
			s.sizes[q] = 10 + rng.IntN(111) // 10–120
		}
		scenarios = append(scenarios, s)
	}
	for _, s := range scenarios {
		t.Run(fmt.Sprintf("seed%d_k%d", s.seed, s.k), func(t *testing.T) {
			start := time.Now()
			a := s.attacker(t)
			for _, p := range a.problems {
				t.Errorf("published tables: %s", p)
			}
			built := time.Since(start)
			leaks, st := a.attack(t)
			for _, l := range leaks {
				t.Errorf("LEAK %s", l)
			}
			t.Logf("sizes %v, year-only %d: %v; releases and model %v, attack %v", s.sizes, s.yearOnly, st, built, time.Since(start)-built)
		})
	}
}

// TestAttackerFindsLeaks: the attacker is the oracle of the tests above, so it must
// find leaks where there are some: in a random quarter's release with only the
// positions of 1 to k−1 survivors hidden (no complementary suppression), every
// leak it reports is confirmed by gonum, and it reports some.
func TestAttackerFindsLeaks(t *testing.T) {
	const k = 5
	v := vocab(t)
	for _, seed := range []uint64{21, 22} {
		g := newOrgGen(seed, "2026", 60)
		facts := g.quarter(3, 60)
		rel := mustBuild(t, stats.ReleaseInput{Period: "2026-Q3", K: k, Facts: facts})
		primaryOnly := *rel
		primaryOnly.Positions = map[string]stats.Position{}
		for key, p := range rel.Positions {
			p.Hidden = p.Survivors < k
			primaryOnly.Positions[key] = p
		}
		a := newAttacker(k)
		a.add(observe(t, &primaryOnly, v, facts))
		a.build()
		leaks, st := a.attack(t)
		if len(leaks) == 0 {
			t.Errorf("seed %d: no leak found in a release with primary suppression only (%v)", seed, st)
		}
		for _, l := range leaks {
			if l.hi >= k || l.lo < 1 {
				t.Errorf("seed %d: reported leak is none: %s", seed, l)
			}
		}
		t.Logf("seed %d: %d leaks, e.g. %v", seed, len(leaks), leaks[:min(2, len(leaks))])
	}
}

// ---------------------------------------------------------------------------
// The five attacks of issue 9, as regression tests. Each builds a small set of facts
// of the attack's shape; where it helps, the same facts under the per-table
// protection the attack undid (a tampered release: only the cells that table alone
// would hide) show that the attacker finds the leak, and the release BuildRelease
// makes shows that it no longer does.

func vocab(tb testing.TB) *vocabulary.Vocabulary {
	tb.Helper()
	v, err := vocabulary.Baseline()
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// newFact is a case with the given perpetrator, violation, district and month
// ("" for known only to the year); the rest the same for every case.
func newFact(id, subject, perp, viol, district, month string) cases.Fact {
	f := cases.Fact{Case: id, Subject: subject, Perpetrators: []string{perp}, Violations: []string{viol},
		District: district, Place: "street", AgeBand: "25-34", Gender: "trans_woman", Nationality: "PE",
		WorkSetting: "street", Month: month, Year: "2026"}
	if month != "" {
		f.Quarter = cases.QuarterOf(month)
	}
	return f
}

// cases adds n cases of n different survivors, each made by mk from its id and
// pseudonym.
type factList struct {
	facts []cases.Fact
	next  int
}

func (l *factList) add(n int, mk func(id, subject string) cases.Fact) {
	for range n {
		l.next++
		l.facts = append(l.facts, mk(fmt.Sprintf("c%03d", l.next), fmt.Sprintf("S%03d", l.next)))
	}
}

func mustBuild(tb testing.TB, in stats.ReleaseInput) *stats.Release {
	tb.Helper()
	if in.Org == "" {
		in.Org = "ORG"
	}
	rel, err := stats.BuildRelease(in)
	if err != nil {
		tb.Fatalf("BuildRelease %s: %v", in.Period, err)
	}
	return rel
}

// tamper is rel with exactly the positions hide picks hidden: the protection of a
// table on its own that an attack undid.
func tamper(rel *stats.Release, hide func(m map[string]string) bool) *stats.Release {
	out := *rel
	out.Positions = map[string]stats.Position{}
	for k, p := range rel.Positions {
		p.Hidden, p.Reason = hide(splitKey(k)), ""
		out.Positions[k] = p
	}
	return &out
}

// held is a release the attacker holds, with the facts it counts (for the truth
// only) and, for a year, the quarters' releases it counts and its year-only facts.
type held struct {
	rel      *stats.Release
	facts    []cases.Fact
	quarters []*stats.Release
	yearOnly []cases.Fact
}

func attackHeld(tb testing.TB, k int, hs ...held) (*attacker, []leak) {
	tb.Helper()
	v := vocab(tb)
	a := newAttacker(k)
	for _, h := range hs {
		w := observe(tb, h.rel, v, h.facts)
		if h.quarters == nil {
			a.add(w)
			continue
		}
		var scopes [4]string
		for q, r := range h.quarters {
			scopes[q] = fmt.Sprintf("%s v%d", r.Period, r.Version)
		}
		a.addYear(w, scopes, h.yearOnly)
	}
	a.build()
	for _, p := range a.problems {
		tb.Errorf("published tables: %s", p)
	}
	leaks, _ := a.attack(tb)
	return a, leaks
}

// leakAt finds the leak of a count, if any.
func leakAt(a *attacker, leaks []leak, scope, key string, m int) (leak, bool) {
	s, k := a.canon(scope, key)
	for _, l := range leaks {
		if l.v.q == (qty{s, k, m}) {
			return l, true
		}
	}
	return leak{}, false
}

func hiddenIn(rel *stats.Release, key string) bool {
	for k, p := range rel.Positions {
		if makeKey(splitKey(k)) == key {
			return p.Hidden
		}
	}
	return false
}

// Attack 1: by=perpetrator,month hid its small cells, and the perpetrator and month
// tables' totals gave them back by subtraction.
func TestReleaseAttack_Groupings(t *testing.T) {
	const k = 5
	var l factList
	for _, c := range []struct {
		perp  string
		month string
		n     int
	}{
		{"police", "2026-04", 6}, {"police", "2026-05", 6}, {"police", "2026-06", 6},
		{"serenazgo", "2026-04", 5}, {"serenazgo", "2026-05", 1}, {"serenazgo", "2026-06", 5},
		{"client", "2026-04", 5}, {"client", "2026-05", 5}, {"client", "2026-06", 5},
	} {
		l.add(c.n, func(id, s string) cases.Fact { return newFact(id, s, c.perp, "physical", "150101", c.month) })
	}
	rel := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: l.facts})
	const scope, cell = "2026-Q2 v1", "month=2026-05&perpetrator=serenazgo"

	// Protected as a table on its own: the 1 and a second cell of its month; the
	// margins are the perpetrator and month tables' rows, published.
	perTable := tamper(rel, func(m map[string]string) bool {
		return len(m) == 2 && m["month"] == "2026-05" && (m["perpetrator"] == "serenazgo" || m["perpetrator"] == "police")
	})
	a, leaks := attackHeld(t, k, held{rel: perTable, facts: l.facts})
	if iv := a.exactIntervals(t, count{scope, cell, mS})[0]; iv != [2]float64{1, 1} {
		lo, hi := iv[0], iv[1]
		t.Errorf("per-table protection: serenazgo in May has interval [%g, %g], want it pinned at 1 (the attack)", lo, hi)
	}
	if _, ok := leakAt(a, leaks, scope, cell, mS); !ok {
		t.Errorf("per-table protection: the attacker misses serenazgo in May; leaks: %v", leaks)
	}

	// The release protects the family together.
	if !hiddenIn(rel, cell) {
		t.Fatalf("the release publishes serenazgo in May (1 survivor)")
	}
	a, leaks = attackHeld(t, k, held{rel: rel, facts: l.facts})
	for _, l := range leaks {
		t.Errorf("LEAK %s", l)
	}
	for m, iv := range a.exactIntervals(t, count{scope, cell, mI}, count{scope, cell, mS}) {
		lo, hi := iv[0], iv[1]
		if hi < k {
			t.Errorf("serenazgo in May, %s: interval [%g, %g] stays below k = %d", measName[m], lo, hi, k)
		}
		t.Logf("release: serenazgo in May, %s: [%g, %g]", measName[m], lo, hi)
	}
}

// Attack 2: by nationality PE 5, CO hidden, total hidden; any other table's total
// (or the page's "En total") gave CO = 1.
func TestReleaseAttack_HiddenGrandTotal(t *testing.T) {
	const k = 5
	var l factList
	l.add(5, func(id, s string) cases.Fact { return newFact(id, s, "police", "physical", "150101", "2026-05") })
	l.add(1, func(id, s string) cases.Fact {
		f := newFact(id, s, "police", "physical", "150101", "2026-05")
		f.Nationality = "CO"
		return f
	})
	rel := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: l.facts})
	const scope, co = "2026-Q2 v1", "nationality=CO"

	perTable := tamper(rel, func(m map[string]string) bool {
		return len(m) == 0 || (len(m) == 1 && m["nationality"] == "CO")
	})
	a, leaks := attackHeld(t, k, held{rel: perTable, facts: l.facts})
	if iv := a.exactIntervals(t, count{scope, co, mI})[0]; iv != [2]float64{1, 1} {
		lo, hi := iv[0], iv[1]
		t.Errorf("per-table protection: CO has interval [%g, %g], want it pinned at 1 (the attack)", lo, hi)
	}
	if _, ok := leakAt(a, leaks, scope, co, mI); !ok {
		t.Errorf("per-table protection: the attacker misses CO; leaks: %v", leaks)
	}

	if !hiddenIn(rel, co) {
		t.Fatalf("the release publishes CO (1 survivor)")
	}
	a, leaks = attackHeld(t, k, held{rel: rel, facts: l.facts})
	for _, l := range leaks {
		t.Errorf("LEAK %s", l)
	}
	for m, iv := range a.exactIntervals(t, count{scope, co, mI}, count{scope, co, mS}) {
		lo, hi := iv[0], iv[1]
		if hi < k {
			t.Errorf("CO, %s: interval [%g, %g] stays below k = %d", measName[m], lo, hi, k)
		}
		t.Logf("release: CO, %s: [%g, %g]", measName[m], lo, hi)
	}
}

// Attack 3: a quarter minus two of its months is the third; a year minus its
// quarters is what is known only to the year, down to one case and its violation.
func TestReleaseAttack_Periods(t *testing.T) {
	const k = 5
	t.Run("quarter_minus_two_months", func(t *testing.T) {
		var l factList
		l.add(7, func(id, s string) cases.Fact { return newFact(id, s, "police", "physical", "150101", "2026-04") })
		l.add(6, func(id, s string) cases.Fact { return newFact(id, s, "client", "extortion", "150101", "2026-05") })
		l.add(1, func(id, s string) cases.Fact { return newFact(id, s, "police", "physical", "150101", "2026-06") })
		rel := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: l.facts})
		const scope, june = "2026-Q2 v1", "month=2026-06"
		perTable := tamper(rel, func(m map[string]string) bool { return m["month"] == "2026-06" })
		a, leaks := attackHeld(t, k, held{rel: perTable, facts: l.facts})
		if _, ok := leakAt(a, leaks, scope, june, mI); !ok {
			t.Errorf("per-table protection: the attacker misses June; leaks: %v", leaks)
		}
		a, leaks = attackHeld(t, k, held{rel: rel, facts: l.facts})
		for _, l := range leaks {
			t.Errorf("LEAK %s", l)
		}
		iv := a.exactIntervals(t, count{scope, june, mS})[0]
		lo, hi := iv[0], iv[1]
		if hi < k {
			t.Errorf("June: interval [%g, %g] stays below k = %d", lo, hi, k)
		}
		t.Logf("release: June survivors: [%g, %g]", lo, hi)
	})
	t.Run("year_minus_quarters", func(t *testing.T) {
		var quarters []*stats.Release
		var all []cases.Fact
		perps := []string{"police", "serenazgo", "client"}
		for q := 1; q <= 4; q++ {
			var l factList
			l.next = 100 * q
			for i, m := range monthsOf("2026", q) {
				l.add(6, func(id, s string) cases.Fact { return newFact(id, s, perps[i], "physical", "150101", m) })
			}
			quarters = append(quarters, mustBuild(t, stats.ReleaseInput{Period: fmt.Sprint("2026-Q", q), K: k, Facts: l.facts}))
			all = append(all, l.facts...)
		}
		// One case known only to the year, with a violation and a district of its own.
		one := newFact("c999", "S999", "police", "trafficking", "150110", "")
		all = append(all, one)
		yo := []cases.Fact{one}
		year := mustBuild(t, stats.ReleaseInput{Period: "2026", K: k, Facts: all, Quarters: quarters})
		hs := func(y *stats.Release) []held {
			out := []held{}
			for q, r := range quarters {
				out = append(out, held{rel: r, facts: all[18*q : 18*q+18]})
			}
			return append(out, held{rel: y, facts: all, quarters: quarters, yearOnly: yo})
		}
		const scope, yoScope = "2026 v1", "2026 v1 year-only"
		// Protected as tables on their own: only the rows of an unknown month or quarter.
		perTable := tamper(year, func(m map[string]string) bool {
			return m["month"] == stats.Unknown || m["quarter"] == stats.Unknown
		})
		a, leaks := attackHeld(t, k, hs(perTable)...)
		if _, ok := leakAt(a, leaks, scope, "month=unknown", mI); !ok {
			t.Errorf("per-table protection: the attacker misses the year-only total; leaks: %v", leaks)
		}
		if iv := a.exactIntervals(t, count{yoScope, "violation=trafficking", mI})[0]; iv != [2]float64{1, 1} {
			lo, hi := iv[0], iv[1]
			t.Errorf("per-table protection: the year-only case's violation has interval [%g, %g], want it pinned at 1 (the attack)", lo, hi)
		}

		a, leaks = attackHeld(t, k, hs(year)...)
		for _, l := range leaks {
			t.Errorf("LEAK %s", l)
		}
		var cs []count
		for _, c := range []struct{ scope, key string }{
			{scope, "month=unknown"}, {yoScope, "violation=trafficking"}, {yoScope, "district=150110"},
		} {
			cs = append(cs, count{c.scope, c.key, mI}, count{c.scope, c.key, mS})
		}
		for i, iv := range a.exactIntervals(t, cs...) {
			c, lo, hi := cs[i], iv[0], iv[1]
			if lo > tol && hi < k {
				t.Errorf("%s %s, %s: interval [%g, %g] holds neither 0 nor k = %d", c.scope, c.key, measName[c.m], lo, hi, k)
			}
			t.Logf("release: %s %s, %s: [%g, %g]", c.scope, c.key, measName[c.m], lo, hi)
		}
	})
}

// other12 is another month of the same quarter.
func other12(month string) string {
	q := cases.QuarterOf(month)
	for _, m := range monthsOf(month[:4], int(q[6]-'0')) {
		if m != month {
			return m
		}
	}
	return month
}

// Attack 4: every one-grouping table before and after one new case described that
// case (and that she was a repeat survivor: incidents +1, survivors +0); an erasure
// or a withdrawn consent the same in reverse. A revision is published only when the
// change involves at least k distinct survivors (the service refuses it otherwise,
// by stats.Changes); each version is protected as a family.
func TestReleaseAttack_Time(t *testing.T) {
	const k = 5
	g := newOrgGen(77, "2026", 40)
	base := g.quarter(2, 40)
	t.Run("changes", func(t *testing.T) {
		edit := func(i int, f func(*cases.Fact)) []cases.Fact {
			out := slices.Clone(base)
			c := out[i]
			c.Perpetrators, c.Violations = slices.Clone(c.Perpetrators), slices.Clone(c.Violations)
			f(&c)
			out[i] = c
			return out
		}
		repeat := newFact("new1", base[0].Subject, "police", "physical", "150101", "2026-05")
		other := base[0].Subject + "x"
		for _, c := range []struct {
			name string
			new  []cases.Fact
			want int
		}{
			{"nothing", slices.Clone(base), 0},
			{"same facts in another order", append(slices.Clone(base[1:]), base[0]), 0},
			{"one new case of a repeat survivor", append(slices.Clone(base), repeat), 1},
			{"two new cases of one survivor", append(slices.Clone(base), repeat, newFact("new2", base[0].Subject, "client", "robbery", "150102", "2026-06")), 1},
			{"erased", slices.Delete(slices.Clone(base), 3, 4), 1},
			{"withdrawn consent", slices.Delete(slices.Clone(base), 7, 8), 1},
			{"edited district", edit(5, func(f *cases.Fact) { f.District = "150199" }), 1},
			{"edited violation", edit(5, func(f *cases.Fact) { f.Violations = append(f.Violations, "homicide") }), 1},
			{"edited perpetrator", edit(5, func(f *cases.Fact) { f.Perpetrators = []string{"other_sex_worker"} }), 1},
			{"edited month", edit(5, func(f *cases.Fact) { f.Month = other12(f.Month) }), 1},
			{"edited age", edit(5, func(f *cases.Fact) { f.AgeBand = "" }), 1},
			{"edited gender", edit(5, func(f *cases.Fact) { f.Gender = "unknown" }), 1},
			{"edited nationality", edit(5, func(f *cases.Fact) { f.Nationality = "AF" }), 1},
			{"edited work setting", edit(5, func(f *cases.Fact) { f.WorkSetting = "nowhere" }), 1},
			{"edited place", edit(5, func(f *cases.Fact) { f.Place = "online" }), 1},
			{"moved to another survivor", edit(5, func(f *cases.Fact) { f.Subject = other }), 2},
		} {
			if got := stats.Changes(base, c.new); got != c.want {
				t.Errorf("%s: Changes = %d, want %d", c.name, got, c.want)
			}
		}
		// k survivors' cases: a revision may go out.
		var news []cases.Fact
		for i := range k {
			news = append(news, newFact(fmt.Sprint("n", i), fmt.Sprint("N", i), "police", "physical", "150101", "2026-05"))
		}
		if got := stats.Changes(base, append(slices.Clone(base), news...)); got != k {
			t.Errorf("k new survivors: Changes = %d, want %d", got, k)
		}
		if got := stats.Changes(base, append(slices.Clone(base), news[:k-1]...)); got >= k {
			t.Errorf("k−1 new survivors: Changes = %d, a revision would go out", got)
		}
	})
	t.Run("invisible_edits", func(t *testing.T) {
		// Edits no table can show change nothing an advocate sees, so they must not
		// count towards k: otherwise k−1 of them and one real new case make a
		// revision whose difference from the last version is that one case.
		with := func(f func(*cases.Fact)) []cases.Fact {
			c := newFact("c1", "S1", "police", "physical", "150101", "2026-05")
			f(&c)
			return append(slices.Clone(base), c)
		}
		for _, c := range []struct {
			name     string
			old, new []cases.Fact
		}{
			{"perpetrators in another order",
				with(func(f *cases.Fact) { f.Perpetrators = []string{"police", "serenazgo"} }),
				with(func(f *cases.Fact) { f.Perpetrators = []string{"serenazgo", "police"} })},
			{"violations in another order",
				with(func(f *cases.Fact) { f.Violations = []string{"physical", "robbery"} }),
				with(func(f *cases.Fact) { f.Violations = []string{"robbery", "physical"} })},
			{"a perpetrator given twice",
				with(func(f *cases.Fact) {}),
				with(func(f *cases.Fact) { f.Perpetrators = []string{"police", "police"} })},
			{"blank gender recorded as unknown",
				with(func(f *cases.Fact) { f.Gender = "" }),
				with(func(f *cases.Fact) { f.Gender = stats.Unknown })},
			{"blank age band recorded as unknown",
				with(func(f *cases.Fact) { f.AgeBand = "" }),
				with(func(f *cases.Fact) { f.AgeBand = stats.Unknown })},
		} {
			if got := stats.Changes(c.old, c.new); got != 0 {
				t.Errorf("%s (no table changes): Changes = %d, want 0", c.name, got)
			}
		}
	})
	t.Run("one_new_case", func(t *testing.T) {
		v1 := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: base})
		after := append(slices.Clone(base), newFact("new1", base[0].Subject, "police", "physical", "150101", "2026-05"))
		if n := stats.Changes(base, after); n >= k {
			t.Fatalf("one new case involves %d survivors: a revision would describe her", n)
		}
		// What the rule prevents: had both versions been published, their difference
		// is the case. Every position of it published in both moves by exactly one
		// incident; none that she is not in moves at all.
		v2 := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: after, Previous: v1})
		moved := 0
		for key, p2 := range v2.Positions {
			p1, ok := v1.Positions[key]
			if ok && !p1.Hidden && !p2.Hidden && p2.Incidents != p1.Incidents {
				moved++
				if d := p2.Incidents - p1.Incidents; d != 1 || p2.Survivors-p1.Survivors > 1 {
					t.Errorf("position %q moved by %d incidents, %d survivors", key, d, p2.Survivors-p1.Survivors)
				}
			}
		}
		if moved == 0 {
			t.Errorf("the two versions differ nowhere that both publish; the example shows nothing")
		}
		if p1, p2 := v1.Positions[""], v2.Positions[""]; !p1.Hidden && !p2.Hidden &&
			(p2.Incidents-p1.Incidents != 1 || p2.Survivors != p1.Survivors) {
			t.Errorf("grand total moved by %d incidents, %d survivors; want +1, +0 (a repeat survivor)",
				p2.Incidents-p1.Incidents, p2.Survivors-p1.Survivors)
		}
		// The first version alone is safe, perpetrator × month included.
		_, leaks := attackHeld(t, k, held{rel: v1, facts: base})
		for _, l := range leaks {
			t.Errorf("LEAK %s", l)
		}
	})
	t.Run("revision_of_k_survivors", func(t *testing.T) {
		v1 := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: base})
		after := g.revise(base, 2, k)
		if n := stats.Changes(base, after); n < k {
			t.Fatalf("the revision involves %d survivors", n)
		}
		v2 := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: after, Previous: v1})
		// Both versions held: each stays safe.
		_, leaks := attackHeld(t, k, held{rel: v1, facts: base}, held{rel: v2, facts: after})
		for _, l := range leaks {
			t.Errorf("LEAK %s", l)
		}
	})
}

// Attack 5: "primary" (1 to k−1 survivors) printed beside a hidden number turned the
// bounds above into exact values. An advocate's tables, and their JSON, CSV and
// XLSX, say only "oculto"; a coordinator's say why.
func TestReleaseAttack_Reasons(t *testing.T) {
	const k = 5
	v := vocab(t)
	g := newOrgGen(55, "2026", 30)
	facts := g.quarter(2, 30)
	rel := mustBuild(t, stats.ReleaseInput{Period: "2026-Q2", K: k, Facts: facts})
	var words []string
	for _, lang := range []string{"es", "en"} {
		for _, r := range []string{stats.ReasonPrimary, stats.ReasonComplementary} {
			words = append(words, stats.ReasonText(r, k, lang))
		}
	}
	words = append(words, stats.ReasonPrimary, stats.ReasonComplementary)
	var reports []*stats.Report
	hidden := 0
	for _, dims := range stats.FamilyTables() {
		rep, err := rel.Table(dims, v, "es", false)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep)
		for _, row := range slices.Concat(rep.Cells, rep.Totals) {
			if row.Reason != "" {
				t.Errorf("%s: an advocate's row carries the reason %q", tableName(dims), row.Reason)
			}
			if row.Suppressed {
				hidden++
			}
		}
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var csv bytes.Buffer
		if err := rep.WriteCSV(&csv); err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if bytes.Contains(js, []byte(w)) || bytes.Contains(csv.Bytes(), []byte(w)) {
				t.Errorf("%s: the advocate's JSON or CSV says %q", tableName(dims), w)
			}
		}
		if bytes.Contains(js, []byte(`"reason"`)) {
			t.Errorf("%s: the advocate's JSON has a reason field", tableName(dims))
		}
		if !strings.Contains(csv.String(), "oculto") && slices.ContainsFunc(rep.Cells, func(r stats.Row) bool { return r.Suppressed }) {
			t.Errorf("%s: the CSV does not say oculto for its hidden rows", tableName(dims))
		}
		// A coordinator sees why.
		coord, err := rel.Table(dims, v, "es", true)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range slices.Concat(coord.Cells, coord.Totals) {
			if row.Suppressed && row.Reason != stats.ReasonPrimary && row.Reason != stats.ReasonComplementary {
				t.Errorf("%s: a coordinator's hidden row has reason %q", tableName(dims), row.Reason)
			}
		}
	}
	if hidden == 0 {
		t.Fatal("nothing hidden: the test shows nothing")
	}
	var xlsx bytes.Buffer
	if err := stats.WriteReleaseXLSX(&xlsx, "es", reports); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for _, cell := range row {
				for _, w := range words {
					if strings.Contains(cell, w) {
						t.Errorf("XLSX sheet %q says %q", sheet, cell)
					}
				}
			}
		}
	}
}

// TestReleaseDeterministic: the same input gives the same release, whatever the
// order the facts come in (they are read from a map).
func TestReleaseDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 4} {
		k := 3 + 2*int(seed%2)
		g := newOrgGen(seed, "2026", 40)
		var quarters, again []*stats.Release
		var all []cases.Fact
		for q := 1; q <= 4; q++ {
			facts := g.quarter(q, 10+10*q)
			in := stats.ReleaseInput{Period: fmt.Sprint("2026-Q", q), K: k, Facts: facts}
			a := mustBuild(t, in)
			in.Facts = shuffled(facts, seed)
			b := mustBuild(t, in)
			sameRelease(t, a, b)
			quarters, again, all = append(quarters, a), append(again, b), append(all, facts...)
		}
		all = append(all, g.yearOnly(4)...)
		a := mustBuild(t, stats.ReleaseInput{Period: "2026", K: k, Facts: all, Quarters: quarters})
		b := mustBuild(t, stats.ReleaseInput{Period: "2026", K: k, Facts: shuffled(all, seed+1), Quarters: again})
		sameRelease(t, a, b)
	}
}

func shuffled(fs []cases.Fact, seed uint64) []cases.Fact {
	out := slices.Clone(fs)
	rand.New(rand.NewPCG(seed, 9)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sameRelease(t *testing.T, a, b *stats.Release) {
	t.Helper()
	for _, pair := range [][2]map[string]stats.Position{{a.Positions, b.Positions}, {a.YearOnly, b.YearOnly}} {
		if len(pair[0]) != len(pair[1]) {
			t.Errorf("%s: %d positions, then %d", a.Period, len(pair[0]), len(pair[1]))
		}
		for k, p := range pair[0] {
			if q := pair[1][k]; q != p {
				t.Errorf("%s %q: %+v, then %+v", a.Period, k, p, q)
			}
		}
	}
}

// TestReleaseTablesConsistent: a position has the same status and numbers in every
// table that shows it, its numbers are the true counts, and a year's position of a
// month is that quarter's, status and numbers.
func TestReleaseTablesConsistent(t *testing.T) {
	v := vocab(t)
	for _, seed := range []uint64{11, 12} {
		k := 3 + 2*int(seed%2)
		g := newOrgGen(seed, "2026", 60)
		var quarters []*stats.Release
		var views []*view
		var all []cases.Fact
		for q := 1; q <= 4; q++ {
			facts := g.quarter(q, 15+20*q)
			rel := mustBuild(t, stats.ReleaseInput{Period: fmt.Sprint("2026-Q", q), K: k, Facts: facts})
			quarters, all = append(quarters, rel), append(all, facts...)
			views = append(views, observe(t, rel, v, facts))
		}
		all = append(all, g.yearOnly(3)...)
		year := mustBuild(t, stats.ReleaseInput{Period: "2026", K: k, Facts: all, Quarters: quarters})
		yv := observe(t, year, v, all)
		for _, w := range append(slices.Clone(views), yv) {
			seen := map[string]vrow{}
			for _, tb := range w.tables {
				for _, r := range tb.rows {
					if first, ok := seen[r.key]; ok && first.shown != r.shown {
						t.Errorf("%s: %s shows %+v, %s shows %+v", w.scope, first.label, first.shown, r.label, r.shown)
					}
					seen[r.key] = r
					if !r.shown.hidden && r.shown.n != w.truth[r.key] {
						t.Errorf("%s %s: publishes %v, the facts count %v", w.scope, r.label, r.shown.n, w.truth[r.key])
					}
				}
			}
			if w != yv {
				continue
			}
			for key, r := range seen {
				month, ok := splitKey(key)["month"]
				if !ok || month == stats.Unknown {
					continue
				}
				q := views[(int(month[5]-'0')*10+int(month[6]-'0')-1)/3]
				var qr vrow
				found := false
				for _, tb := range q.tables {
					for _, x := range tb.rows {
						if x.key == key {
							qr, found = x, true
						}
					}
				}
				if !found && !(r.shown == shown{}) {
					t.Errorf("%s %s: %+v, and the quarter has no such row", w.scope, r.label, r.shown)
				}
				if found && qr.shown != r.shown {
					t.Errorf("%s %s: %+v, but %s shows %+v", w.scope, r.label, r.shown, q.scope, qr.shown)
				}
			}
		}
	}
}
