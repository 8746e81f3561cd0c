package stats

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"registro/cases"
)

// Disclosure control of a release: cell suppression audited by linear programming.
//
// Everything an advocate can obtain about the release is modelled together: every
// table of the family is a view of one set of positions (the police's row of the
// perpetrator table and the total of the police's row in perpetrator × month are one
// position, with one status). A published position is a constant, a hidden one an
// unknown of at least 1 (zeros are always published). The relations an attacker
// knows are constraints, for incidents (I) and survivors (S) alike:
//   - S ≤ I at every position;
//   - along a dimension where a case has one value (district, month, …), a line's
//     cells' incidents add up to its total; along perpetrator and violation, each
//     cell is at most the total and the cells add up to at least the total;
//   - survivors along any dimension: each cell at most the total, the cells together
//     at least the total (one woman can appear in two districts or two months).
//
// Primary suppression hides every position counting 1 to k−1 survivors. Then, until
// a fixed point: no line may have exactly one hidden member; and for every hidden
// value below k, the largest value it can take in any table consistent with all the
// constraints (computed by the simplex over each group of linked unknowns) must be k
// or more. When it is not, the cheapest published member of a line through it is
// hidden too. Hiding more only widens what the unknowns can take, so the loop ends,
// at worst with every position hidden.
//
// A year is built from its quarters' releases and its incidents known only to the
// year. Those year-only incidents are protected first as a family of their own. Then
// a position of the year that fixes a month (or a quarter) is the quarter's position
// and keeps its status (the year-only part's, for an unknown month); and a position
// that fixes no time is hidden whenever any of its parts (a quarter's or the
// year-only one) is hidden. So every published year position is the sum of published
// parts for incidents, and its lines say nothing about a hidden part that the part's
// own lines do not; the year's own audit then covers its survivors and its small
// positions. The randomized attacker test checks the whole, quarters and year
// together, with an independent linear program.

// node is one position of the release in the model.
type node struct {
	key    string
	c      Counts
	hidden bool
	locked bool // its status comes from a quarter or the year-only part
}

// model is the positions of a release and the lines among them.
type model struct {
	k     int
	nodes []node
	index map[string]int
	lines []line
	// cap bounds every unknown from above: no count exceeds the facts counted.
	cap float64
	// settled are the audit's variables (2·node+measure) shown able to reach k.
	settled map[int]bool
}

// line is a total and its nonzero cells along one dimension.
type line struct {
	total int
	cells []int
	multi bool
}

// protect decides which positions of r are hidden; for a year, jointly with its
// quarters' releases. r.Positions holds the true counts; facts are what they count.
func protect(r *Release, quarters []*Release, facts []cases.Fact) error {
	m := &model{k: r.K, index: map[string]int{}, cap: float64(len(facts) + r.K), settled: map[int]bool{}}
	for _, k := range slices.Sorted(maps.Keys(r.Positions)) {
		p := r.Positions[k]
		m.index[k] = len(m.nodes)
		m.nodes = append(m.nodes, node{key: k, c: Counts{Incidents: p.Incidents, Survivors: p.Survivors}})
	}
	m.buildLines()
	if quarters != nil {
		if err := m.inheritYear(r, quarters, facts); err != nil {
			return err
		}
	}
	for i, n := range m.nodes {
		if n.c.Survivors >= 1 && n.c.Survivors < m.k {
			m.hide(i, ReasonPrimary, r)
		}
	}
	for {
		changed := m.singletons(r)
		failing, err := m.audit()
		if err != nil {
			return err
		}
		if len(failing) == 0 && !changed {
			return nil
		}
		if len(failing) > 0 && !m.repair(failing, r) {
			// Nothing cheaper is left: hide every position of the release.
			for i, n := range m.nodes {
				if n.c.Survivors > 0 {
					m.hide(i, ReasonComplementary, r)
				}
			}
			if failing, err := m.audit(); err != nil || len(failing) > 0 {
				return fmt.Errorf("stats: release %s %s: no safe suppression (%d values exposed, %v)", r.Org, r.Period, len(failing), err)
			}
			return nil
		}
	}
}

// inheritYear protects the year-only incidents as a family of their own (kept in
// r.YearOnly), then gives every position of the year r fixing a time the status of
// the quarter's or year-only position it is, and hides every position fixing no time
// that has a hidden part.
func (m *model) inheritYear(r *Release, quarters []*Release, facts []cases.Fact) error {
	yo := &Release{Org: r.Org, Period: r.Period, K: r.K, Positions: map[string]Position{}}
	only := YearOnly(facts)
	for k, c := range countFamily(only) {
		yo.Positions[k] = Position{Incidents: c.Incidents, Survivors: c.Survivors}
	}
	if err := protect(yo, nil, only); err != nil {
		return err
	}
	r.YearOnly = yo.Positions
	for i := range m.nodes {
		n := &m.nodes[i]
		dims, vals := parseKey(n.key)
		var part map[string]Position
		var at string
		switch {
		case slices.Contains(dims, "month"):
			j := slices.Index(dims, "month")
			if vals[j] == Unknown {
				part, at = yo.Positions, key(slices.Delete(slices.Clone(dims), j, j+1), slices.Delete(slices.Clone(vals), j, j+1))
			} else {
				q := (int(vals[j][5]-'0')*10 + int(vals[j][6]-'0') - 1) / 3
				part, at = quarters[q].Positions, n.key
			}
		case slices.Contains(dims, "quarter"):
			if vals[0] == Unknown {
				part, at = yo.Positions, ""
			} else {
				part, at = quarters[vals[0][6]-'1'].Positions, ""
			}
		default:
			for _, q := range quarters {
				if q.Positions[n.key].Hidden {
					m.hide(i, ReasonComplementary, r)
				}
			}
			if yo.Positions[n.key].Hidden {
				m.hide(i, ReasonComplementary, r)
			}
			continue
		}
		p, ok := part[at]
		if !ok || p.Incidents != n.c.Incidents || p.Survivors != n.c.Survivors {
			return fmt.Errorf("stats: year %s: position %q does not match its part", r.Period, n.key)
		}
		if p.Hidden {
			m.hide(i, p.Reason, r)
		}
		n.locked = true
	}
	return nil
}

// hide marks a position hidden, unless its status is a quarter's.
func (m *model) hide(i int, reason string, r *Release) {
	n := &m.nodes[i]
	if n.hidden || n.locked {
		return
	}
	n.hidden = true
	p := r.Positions[n.key]
	p.Hidden, p.Reason = true, reason
	r.Positions[n.key] = p
}

// buildLines lists the lines of the family over the values the release counts.
func (m *model) buildLines() {
	values := map[string][]string{}
	byTable := map[string][]int{} // "perpetrator,month" → its positions
	for i, n := range m.nodes {
		dims, vals := parseKey(n.key)
		if len(dims) == 1 {
			values[dims[0]] = append(values[dims[0]], vals[0])
		}
		t := strings.Join(dims, ",")
		byTable[t] = append(byTable[t], i)
	}
	for _, vs := range values {
		slices.Sort(vs)
	}
	for _, t := range FamilyTables() {
		for _, d := range t {
			rest := slices.DeleteFunc(slices.Clone(t), func(x string) bool { return x == d })
			// Each nonzero position of the table without d is the total of a line.
			for _, total := range byTable[strings.Join(sortDims(rest), ",")] {
				tdims, tvals := parseKey(m.nodes[total].key)
				l := line{total: total, multi: multiValued(d)}
				for _, v := range values[d] {
					if c, ok := m.index[key(append(slices.Clone(tdims), d), append(slices.Clone(tvals), v))]; ok {
						l.cells = append(l.cells, c)
					}
				}
				m.lines = append(m.lines, l)
			}
		}
	}
}

func sortDims(dims []string) []string {
	out := slices.Clone(dims)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(DimOrder, a) - slices.Index(DimOrder, b) })
	return out
}

// open lists the members of a line that could still be hidden.
func (m *model) open(members []int) []int {
	var out []int
	for _, x := range members {
		if n := m.nodes[x]; !n.hidden && !n.locked && n.c.Survivors > 0 {
			out = append(out, x)
		}
	}
	return out
}

// singletons hides a second member of every line that has exactly one hidden
// member, and reports whether it hid anything.
func (m *model) singletons(r *Release) bool {
	changed := false
	for again := true; again; {
		again = false
		for _, l := range m.lines {
			members := append([]int{l.total}, l.cells...)
			nh := 0
			for _, x := range members {
				if m.nodes[x].hidden {
					nh++
				}
			}
			if nh != 1 {
				continue
			}
			if open := m.open(members); len(open) > 0 {
				m.hide(m.cheapest(open), ReasonComplementary, r)
				changed, again = true, true
			}
		}
	}
	return changed
}

// cheapest picks what to hide: deepest positions (fewest totals) first, then fewest
// survivors, then by key for a stable outcome.
func (m *model) cheapest(open []int) int {
	depth := func(k string) int {
		if k == "" {
			return 0
		}
		return strings.Count(k, "&") + 1
	}
	return slices.MinFunc(open, func(a, b int) int {
		na, nb := m.nodes[a], m.nodes[b]
		return cmp.Or(-cmp.Compare(depth(na.key), depth(nb.key)),
			cmp.Compare(na.c.Survivors, nb.c.Survivors), cmp.Compare(na.key, nb.key))
	})
}

// repair hides, for each failing position, the cheapest published position on
// the lines through it or through the hidden positions up to two lines away: the
// number that caps a hidden one is often a margin one step further (the police's
// total caps the police's hidden districts, which cap a hidden district), and the
// deepest cheap candidate hides least. A failing position next to one hidden in
// this round waits for the next audit. It reports whether it hid anything.
func (m *model) repair(failing []int, r *Release) bool {
	through := make([][]int, len(m.nodes)) // node → the lines through it
	for li, l := range m.lines {
		through[l.total] = append(through[l.total], li)
		for _, c := range l.cells {
			through[c] = append(through[c], li)
		}
	}
	members := func(li int) []int { return append([]int{m.lines[li].total}, m.lines[li].cells...) }
	fresh := map[int]bool{} // hidden in this round
	hidAny := false
	for _, f := range failing {
		seen := map[int]bool{f: true}
		frontier := []int{f}
		var cands []int
		skip := false
		for level := 0; level < 4 && len(frontier) > 0 && !skip; level++ {
			var next []int
			for _, x := range frontier {
				for _, li := range through[x] {
					for _, y := range members(li) {
						if level == 0 && fresh[y] {
							skip = true
						}
						if seen[y] {
							continue
						}
						seen[y] = true
						if m.nodes[y].hidden {
							next = append(next, y)
						} else if len(m.open([]int{y})) > 0 {
							cands = append(cands, y)
						}
					}
				}
			}
			frontier = next
			// The grand total is the last resort: look further for anything else.
			if level >= 1 && slices.ContainsFunc(cands, func(c int) bool { return m.nodes[c].key != "" }) {
				break
			}
		}
		if skip || len(cands) == 0 {
			continue
		}
		c := m.cheapest(cands)
		m.hide(c, ReasonComplementary, r)
		fresh[c], hidAny = true, true
	}
	return hidAny || len(fresh) > 0
}
