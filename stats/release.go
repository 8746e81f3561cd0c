package stats

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"registro/cases"
	"registro/validation"
)

// A release is the frozen, jointly protected family of tables of one closed period
// (a calendar quarter, or a year) of one organization. Advocates see only releases.
// See docs/statistics.md for the method.

// Release is one version of the release of a period. Positions hold the true counts
// of every nonzero position of the family and whether it is hidden; only the
// unhidden ones ever reach an advocate.
type Release struct {
	Org     string `bson:"org"`
	Period  string `bson:"period"` // "2026-Q2" or "2026"
	Version int    `bson:"version"`
	K       int    `bson:"k"`
	// Basis is, for a year, the version of each of its four quarters' releases whose
	// facts it counts (the year agrees with them position by position).
	Basis     []int               `bson:"basis,omitempty"`
	Positions map[string]Position `bson:"positions"`
	// YearOnly are, for a year, the positions of its incidents known only to the
	// year, protected as a family of their own; the year's positions of an unknown
	// month are these.
	YearOnly map[string]Position `bson:"year_only,omitempty"`
	// Changed is how many distinct survivors the change from the previous version
	// involves (0 for a first version).
	Changed   int       `bson:"changed"`
	Created   time.Time `bson:"created"`
	CreatedBy string    `bson:"created_by"` // a username, or "auto"
}

// Position is one count of the family and whether it is published.
type Position struct {
	Incidents int    `bson:"i"`
	Survivors int    `bson:"s"`
	Hidden    bool   `bson:"h,omitempty"`
	Reason    string `bson:"r,omitempty"` // ReasonPrimary or ReasonComplementary
}

var (
	yearPattern = regexp.MustCompile(`^(\d{4})$`)

	// ErrOpenPeriod: the period has not ended yet.
	ErrOpenPeriod = errors.New("stats: the period has not ended")
)

// ParseReleasePeriod reads a release's period name, "2026-Q2" or "2026", and returns
// the months it covers. It returns *validation.Error on field.
func ParseReleasePeriod(field, name string) (Period, error) {
	if m := quarterPattern.FindStringSubmatch(name); m != nil {
		return Period{From: mustFirst(name), To: mustLast(name)}, nil
	}
	if yearPattern.MatchString(name) {
		return Period{From: name + "-01", To: name + "-12"}, nil
	}
	return Period{}, validation.Field(field, validation.Period)
}

// ReleaseName names the release period p covers, "2026-Q2" or "2026", or false when
// p is not exactly one quarter or one year.
func ReleaseName(p Period) (string, bool) {
	if len(p.From) != 7 || len(p.To) != 7 {
		return "", false
	}
	q := cases.QuarterOf(p.From)
	if p.From == mustFirst(q) && p.To == mustLast(q) {
		return q, true
	}
	if p.From[:4] == p.To[:4] && p.From[5:] == "01" && p.To[5:] == "12" {
		return p.From[:4], true
	}
	return "", false
}

// IsYear reports whether a release period name is a year.
func IsYear(name string) bool { return yearPattern.MatchString(name) }

// QuartersOf lists the quarters of a year ("2026" → 2026-Q1 … 2026-Q4).
func QuartersOf(year string) []string {
	return []string{year + "-Q1", year + "-Q2", year + "-Q3", year + "-Q4"}
}

// Ended reports whether the release period name has ended by now: its last day is
// over in Lima (UTC−5, no daylight saving).
func Ended(name string, now time.Time) bool {
	return !now.Before(EndOf(name))
}

// EndOf returns the instant a release period ends: midnight in Lima after its last day.
func EndOf(name string) time.Time {
	p, err := ParseReleasePeriod("period", name)
	if err != nil {
		return time.Time{}
	}
	last, _ := time.Parse("2006-01", p.To)
	lima := time.FixedZone("PET", -5*3600)
	return time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, lima)
}

// FactsPeriodsOf names the facts documents of a release period: a quarter's months;
// for a year, its months and the incidents known only to that year.
func FactsPeriodsOf(name string) []string {
	p, _ := ParseReleasePeriod("period", name)
	return p.FactsPeriods()
}

// ReleaseInput is what a release is built from.
type ReleaseInput struct {
	Org    string
	Period string // "2026-Q2" or "2026"
	K      int
	// Facts are the facts the release counts: for a quarter, its live facts; for a
	// year, the facts of its quarters' latest releases and the live facts of the
	// incidents known only to the year.
	Facts []cases.Fact
	// Quarters are, for a year, the latest release of each of its quarters, in order.
	Quarters []*Release
	// Previous is the latest version of this period's release, if any.
	Previous *Release
}

// BuildRelease counts the family over in.Facts and applies disclosure control jointly
// with the releases it is linked to (a year with its quarters), so that nobody holding
// every table of every release can bound a hidden count between 1 and k−1. It
// returns ErrKTooSmall, or an error when the input does not fit together.
func BuildRelease(in ReleaseInput) (*Release, error) {
	if in.K < MinK {
		return nil, fmt.Errorf("%w (got %d)", ErrKTooSmall, in.K)
	}
	if _, err := ParseReleasePeriod("period", in.Period); err != nil {
		return nil, err
	}
	r := &Release{Org: in.Org, Period: in.Period, Version: 1, K: in.K, Positions: map[string]Position{}}
	if in.Previous != nil {
		r.Version = in.Previous.Version + 1
	}
	if IsYear(in.Period) {
		if len(in.Quarters) != 4 {
			return nil, fmt.Errorf("stats: year %s needs its four quarters' releases, got %d", in.Period, len(in.Quarters))
		}
		for i, q := range in.Quarters {
			if q == nil || q.Period != QuartersOf(in.Period)[i] {
				return nil, fmt.Errorf("stats: year %s: quarter %d's release is missing", in.Period, i+1)
			}
			r.Basis = append(r.Basis, q.Version)
		}
	}
	for k, c := range countFamily(in.Facts) {
		r.Positions[k] = Position{Incidents: c.Incidents, Survivors: c.Survivors}
	}
	if err := protect(r, in.Quarters, in.Facts); err != nil {
		return nil, err
	}
	return r, nil
}

// Hidden counts the release's hidden positions.
func (r *Release) Hidden() int {
	n := 0
	for _, p := range r.Positions {
		if p.Hidden {
			n++
		}
	}
	return n
}

// Changes counts the distinct survivors a change from old to new facts involves: the
// pseudonyms, before and after, of every case added, removed or changed in any way
// a table could show.
func Changes(old, new []cases.Fact) int {
	byCase := func(fs []cases.Fact) map[string]cases.Fact {
		m := make(map[string]cases.Fact, len(fs))
		for _, f := range fs {
			m[f.Case] = f
		}
		return m
	}
	o, n := byCase(old), byCase(new)
	subjects := map[string]bool{}
	for id, f := range o {
		if g, ok := n[id]; !ok || !sameFact(f, g) {
			subjects[f.Subject] = true
			if ok {
				subjects[g.Subject] = true
			}
		}
	}
	for id, g := range n {
		if _, ok := o[id]; !ok {
			subjects[g.Subject] = true
		}
	}
	return len(subjects)
}

// sameFact reports whether two facts count the same in every table: the same
// pseudonym and, along every dimension, the same set of values (order, repeats and a
// blank against "unknown" make no difference to a table).
func sameFact(a, b cases.Fact) bool {
	if a.Subject != b.Subject || a.Year != b.Year {
		return false
	}
	for _, d := range DimOrder {
		va, vb := dedupe(valuesOf(a, d)), dedupe(valuesOf(b, d))
		slices.Sort(va)
		slices.Sort(vb)
		if !slices.Equal(va, vb) {
			return false
		}
	}
	return true
}

// YearOnly returns the facts known only to the year.
func YearOnly(facts []cases.Fact) []cases.Fact {
	var out []cases.Fact
	for _, f := range facts {
		if f.Month == "" {
			out = append(out, f)
		}
	}
	return out
}

// DefaultK is the smallest number of survivors a published count may show unless an
// organization chooses a larger one.
const DefaultK = 5

// MinK is the smallest k an organization may choose.
const MinK = 3

// ErrKTooSmall is returned when k is below MinK.
var ErrKTooSmall = fmt.Errorf("stats: k must be at least %d", MinK)
