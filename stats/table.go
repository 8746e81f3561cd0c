// Package stats holds the statistics tables Registro shows and the disclosure
// control that makes the published ones safe: no number an advocate can obtain, in
// any table, period or version, may let anyone single out a person. Coordinators see
// exact live tables (Live); everyone else sees releases (BuildRelease, Release.Table).
// It is pure computation: callers read the facts and store the releases.
package stats

import (
	"fmt"
	"slices"
)

// Total is the index that stands for "all values of this dimension" in a position.
const Total = -1

// Reasons a position of a release is hidden.
const (
	ReasonPrimary       = "primary"       // the position itself counts 1 to k−1 survivors
	ReasonComplementary = "complementary" // hidden so that another hidden value cannot be worked out
)

// Dimension is one way of grouping a table, such as district or perpetrator.
type Dimension struct {
	Name string
	// MultiValued is true when one case can fall under several values (perpetrator,
	// violation): it then counts once in each of their cells and once in the total.
	MultiValued bool
	Values      []string // in display order
}

// Counts is what one position of a table counts.
type Counts struct {
	Incidents int `json:"incidents"`
	Survivors int `json:"survivors"` // distinct pseudonyms
}

// Table holds the counts of every combination of dimension values (the cells) and
// every total over one or more dimensions, up to the grand total.
//
// A position is a []int with one index per dimension, Total meaning "all values".
// Totals are set by the caller like cells: they are distinct counts from the data,
// not sums, because a survivor or a multi-valued case can fall in several cells.
type Table struct {
	dims    []Dimension
	strides []int // in storage coordinates: index+1, so that Total is 0
	counts  []Counts
}

// NewTable returns a table over dims (at most a handful; 0 dims is a grand total
// alone) with every count zero and nothing suppressed.
func NewTable(dims []Dimension) *Table {
	t := &Table{dims: make([]Dimension, len(dims)), strides: make([]int, len(dims))}
	size := 1
	for d := len(dims) - 1; d >= 0; d-- {
		t.dims[d] = dims[d]
		t.dims[d].Values = slices.Clone(dims[d].Values)
		t.strides[d] = size
		size *= len(dims[d].Values) + 1
	}
	t.counts = make([]Counts, size)
	return t
}

// Dims returns a copy of the table's dimensions.
func (t *Table) Dims() []Dimension {
	dims := make([]Dimension, len(t.dims))
	for d, dim := range t.dims {
		dims[d] = dim
		dims[d].Values = slices.Clone(dim.Values)
	}
	return dims
}

// Set records the counts at pos. It panics if pos is not a position of t.
func (t *Table) Set(pos []int, c Counts) {
	t.counts[t.index(pos)] = c
}

// Get returns the counts at pos. It panics if pos is not a position of t.
func (t *Table) Get(pos []int) Counts {
	return t.counts[t.index(pos)]
}

// index maps a position to its place in counts and status.
func (t *Table) index(pos []int) int {
	if len(pos) != len(t.dims) {
		panic(fmt.Sprintf("stats: position %v has %d indexes, table has %d dimensions", pos, len(pos), len(t.dims)))
	}
	i := 0
	for d, p := range pos {
		if p < Total || p >= len(t.dims[d].Values) {
			panic(fmt.Sprintf("stats: position %v: index %d out of range for dimension %q", pos, p, t.dims[d].Name))
		}
		i += (p + 1) * t.strides[d]
	}
	return i
}

// position maps a place in counts back to a position, for error messages.
func (t *Table) position(i int) []int {
	pos := make([]int, len(t.dims))
	for d, s := range t.strides {
		pos[d] = i/s - 1
		i %= s
	}
	return pos
}
