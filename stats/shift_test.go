package stats_test

import (
	"slices"

	"registro/stats"
)

// shift looks for explicit alternative tables: it picks boxes of hidden positions
// (one partner per dimension, including totals), moves their corners by ±1 in a
// checkerboard, and whenever the result satisfies every constraint and bound of the
// attack, records the corners' new values. Each such table is a checked proof that
// its corners can take two values; how the boxes are found does not matter.
func (a *attack) shift() {
	byVar := make([][]int, len(a.hidden))
	cons := slices.Concat(a.eqs, a.les)
	for ci, c := range cons {
		for _, v := range c.vars {
			byVar[v] = append(byVar[v], ci)
		}
	}
	delta := make([]int, len(a.hidden))
	checked := make([]int, len(cons)) // stamp of the last check, to visit each once
	stamp := 0
	// holds reports whether the truth moved by delta on corners satisfies everything.
	holds := func(corners []int) bool {
		stamp++
		for _, v := range corners {
			if x := a.truth[v] + delta[v]; x < a.lo[v] || (a.hi[v] >= 0 && x > a.hi[v]) {
				return false
			}
			for _, ci := range byVar[v] {
				if checked[ci] == stamp {
					continue
				}
				checked[ci] = stamp
				c, sum := cons[ci], 0
				for j, u := range c.vars {
					sum += c.coefs[j] * (a.truth[u] + delta[u])
				}
				if sum > c.rhs || (ci < len(a.eqs) && sum != c.rhs) {
					return false
				}
			}
		}
		return true
	}

	dims := len(a.g.dims)
	for v := range a.hidden {
		if a.wide(v) {
			continue
		}
		pos := a.g.pos(a.hidden[v])
		partners := make([][]int, dims)
		for d := range dims {
			for c := stats.Total; c < len(a.g.dims[d].Values); c++ {
				q := slices.Clone(pos)
				q[d] = c
				if c != pos[d] && a.unknown[a.g.index(q)] >= 0 {
					partners[d] = append(partners[d], c)
				}
			}
		}
		if dims == 0 || slices.ContainsFunc(partners, func(p []int) bool { return len(p) == 0 }) {
			continue
		}
		corners, signs := make([]int, 1<<dims), make([]int, 1<<dims)
		choice := make([]int, dims)
		for !a.wide(v) {
			ok := true
			for m := range corners {
				q, sign := slices.Clone(pos), 1
				for d := range dims {
					if m&(1<<d) == 0 {
						continue
					}
					q[d] = partners[d][choice[d]]
					if pos[d] != stats.Total && q[d] != stats.Total {
						sign = -sign // two cells of a line move against each other
					}
				}
				corners[m], signs[m] = a.unknown[a.g.index(q)], sign
				ok = ok && corners[m] >= 0
			}
			for _, dir := range []int{1, -1} {
				if !ok {
					break
				}
				for m, u := range corners {
					delta[u] = dir * signs[m]
				}
				if holds(corners) {
					for _, u := range corners {
						a.see(u, float64(a.truth[u]+delta[u]))
					}
					ok = false
				}
				for _, u := range corners {
					delta[u] = 0
				}
			}
			d := 0
			for ; d < dims; d++ {
				if choice[d]++; choice[d] < len(partners[d]) {
					break
				}
				choice[d] = 0
			}
			if d == dims {
				break
			}
		}
	}
}
