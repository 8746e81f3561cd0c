// Package releases publishes and keeps the statistics releases of every
// organization: the frozen, jointly protected tables advocates see (see the stats
// package and docs/statistics.md). A release version is one document, inserted with
// a unique id, so two servers publishing the same version at once cannot both
// succeed; the facts it counted are kept beside it in bounded chunks, so that a
// revision can be measured against it and a year built from its quarters.
package releases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/cases"
	"registro/database"
	"registro/stats"
	"registro/validation"
)

var (
	// ErrNotReleased is returned for a period without a release.
	ErrNotReleased = errors.New("this period has no published statistics yet")
	// ErrNoChange is returned when a period is published again with nothing changed.
	ErrNoChange = errors.New("nothing has changed since the latest release of this period")
	// ErrQuartersNotReleased is returned when a year is published before its quarters.
	ErrQuartersNotReleased = errors.New("publish the four quarters of the year first")
	// ErrConcurrent is returned when another server published the same version first.
	ErrConcurrent = errors.New("this version was just published by another request")
)

// TooFewChanges is returned when a revision would change the tables for fewer than
// k distinct survivors: the difference of two versions would describe them.
type TooFewChanges struct {
	Changed, Needed int
	Part            string // "" for the whole period, "year_only" for the incidents known only to the year
}

func (e *TooFewChanges) Error() string {
	return fmt.Sprintf("a revision needs changes involving at least %d survivors; %d so far (%d more needed)",
		e.Needed, e.Changed, e.Needed-e.Changed)
}

// chunkSize bounds the facts one snapshot document holds (about 100 bytes each).
const chunkSize = 2000

// Store keeps releases in the database.
type Store struct {
	releases  *mongo.Collection
	snapshots *mongo.Collection
	cases     *cases.Store
	now       func() time.Time
	// cache holds release versions already read: a version never changes.
	cache sync.Map // id → *stats.Release
}

// NewStore returns the release store over db, reading facts from cs.
func NewStore(db *database.DB, cs *cases.Store) *Store {
	return &Store{releases: db.Collection("stats_releases"), snapshots: db.Collection("stats_release_facts"),
		cases: cs, now: func() time.Time { return time.Now().UTC() }}
}

// SetClock replaces the store's clock, for tests.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// EnsureIndexes creates the collections and the index MongoDB uses to list an
// organization's releases.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := database.EnsureCollections(ctx, s.releases.Database(), s.releases.Name(), s.snapshots.Name()); err != nil {
		return fmt.Errorf("releases.EnsureIndexes: %w", err)
	}
	return database.CreateIndexes(ctx, s.releases, mongo.IndexModel{
		Keys:    bson.D{{Key: "org", Value: 1}, {Key: "period", Value: 1}, {Key: "version", Value: 1}},
		Options: options.Index().SetName("org_period_version")})
}

// doc is a stored release version: the release packed in one binary value, which
// the embedded store reads far faster than a thousand sub-documents. The fields
// beside it repeat the release's own (org, period, version, when, by whom, how many
// survivors changed) so that List and Latest read them without the packed value.
type doc struct {
	ID      string    `bson:"_id"`
	Org     string    `bson:"org"`
	Period  string    `bson:"period"`
	Version int       `bson:"version"`
	Created time.Time `bson:"created"`
	By      string    `bson:"by"`
	Changed int       `bson:"changed"`
	Chunks  int       `bson:"chunks"`
	Snap    string    `bson:"snap"` // the snapshot chunks' id prefix
	Data    []byte    `bson:"data"`
}

// snapFact is a fact as a snapshot keeps it, with the fields Fact leaves out of BSON.
type snapFact struct {
	Fact  cases.Fact `bson:"f"`
	Case  string     `bson:"c"`
	Month string     `bson:"m,omitempty"`
	Year  string     `bson:"y"`
}

type snapDoc struct {
	ID   string `bson:"_id"`
	Data []byte `bson:"data"`
}

type snapData struct {
	F []snapFact `bson:"f"`
}

func releaseID(org, period string, version int) string {
	return org + "|" + period + "|" + strconv.Itoa(version)
}

// Summary describes one release version without its tables.
type Summary struct {
	Period    string    `json:"period"`
	Version   int       `json:"version"`
	Published time.Time `json:"published_at"`
	By        string    `json:"published_by"`
	Changed   int       `json:"changed_survivors"`
	Latest    bool      `json:"latest"`
}

// List returns every release version of org, newest period first, versions newest
// first.
func (s *Store) List(ctx context.Context, org string) ([]Summary, error) {
	cur, err := s.releases.Find(ctx, bson.D{{Key: "org", Value: org}},
		options.Find().SetProjection(bson.D{{Key: "data", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("releases.List: %w", err)
	}
	var docs []doc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("releases.List: %w", err)
	}
	latest := map[string]int{}
	for _, d := range docs {
		latest[d.Period] = max(latest[d.Period], d.Version)
	}
	out := make([]Summary, 0, len(docs))
	for _, d := range docs {
		out = append(out, Summary{Period: d.Period, Version: d.Version,
			Published: d.Created, By: d.By, Changed: d.Changed, Latest: latest[d.Period] == d.Version})
	}
	slices.SortFunc(out, func(a, b Summary) int {
		if a.Period != b.Period {
			return periodOrder(b.Period, a.Period)
		}
		return b.Version - a.Version
	})
	return out, nil
}

// periodOrder sorts periods by time, a year after its fourth quarter.
func periodOrder(a, b string) int {
	end := func(p string) string {
		if stats.IsYear(p) {
			return p + "-Q5"
		}
		return p
	}
	switch ea, eb := end(a), end(b); {
	case ea < eb:
		return -1
	case ea > eb:
		return 1
	}
	return 0
}

// Latest returns the latest version of org's release of period, or ErrNotReleased.
func (s *Store) Latest(ctx context.Context, org, period string) (*stats.Release, error) {
	var d doc
	err := s.releases.FindOne(ctx, bson.D{{Key: "org", Value: org}, {Key: "period", Value: period}},
		options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).SetProjection(bson.D{{Key: "data", Value: 0}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotReleased
	}
	if err != nil {
		return nil, fmt.Errorf("releases.Latest: %w", err)
	}
	return s.Get(ctx, org, period, d.Version)
}

// Get returns one release version, or ErrNotReleased.
func (s *Store) Get(ctx context.Context, org, period string, version int) (*stats.Release, error) {
	id := releaseID(org, period, version)
	if r, ok := s.cache.Load(id); ok {
		return r.(*stats.Release), nil
	}
	var d doc
	err := s.releases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotReleased
	}
	if err != nil {
		return nil, fmt.Errorf("releases.Get: %w", err)
	}
	r := &stats.Release{}
	if err := bson.Unmarshal(d.Data, r); err != nil {
		return nil, fmt.Errorf("releases.Get %s: %w", id, err)
	}
	s.cache.Store(id, r)
	return r, nil
}

// Publish builds and stores the next version of org's release of period, with
// threshold k, by a user (a username, or "auto"). It returns *validation.Error on
// "period" for a malformed or unfinished period, ErrQuartersNotReleased,
// ErrNoChange, *TooFewChanges, or ErrConcurrent.
func (s *Store) Publish(ctx context.Context, org string, k int, period, by string) (*stats.Release, error) {
	if _, err := stats.ParseReleasePeriod("period", period); err != nil {
		return nil, err
	}
	if now := s.now(); !stats.Ended(period, now) {
		return nil, validation.Field("period", validation.PeriodOpen, "Date", stats.EndOf(period).Format("2006-01-02"))
	}
	in := stats.ReleaseInput{Org: org, Period: period, K: k}
	if stats.IsYear(period) {
		for _, q := range stats.QuartersOf(period) {
			rel, err := s.Latest(ctx, org, q)
			if errors.Is(err, ErrNotReleased) {
				return nil, ErrQuartersNotReleased
			}
			if err != nil {
				return nil, err
			}
			facts, err := s.snapshot(ctx, rel)
			if err != nil {
				return nil, err
			}
			in.Quarters, in.Facts = append(in.Quarters, rel), append(in.Facts, facts...)
		}
		only, err := s.cases.Facts(ctx, org, []string{period})
		if err != nil {
			return nil, err
		}
		in.Facts = append(in.Facts, only...)
	} else {
		facts, err := s.cases.Facts(ctx, org, stats.FactsPeriodsOf(period))
		if err != nil {
			return nil, err
		}
		in.Facts = facts
	}
	prev, err := s.Latest(ctx, org, period)
	switch {
	case errors.Is(err, ErrNotReleased):
	case err != nil:
		return nil, err
	default:
		in.Previous = prev
	}
	changed := 0
	if prev != nil {
		old, err := s.snapshot(ctx, prev)
		if err != nil {
			return nil, err
		}
		changed = stats.Changes(old, in.Facts)
		if changed == 0 {
			return nil, ErrNoChange
		}
		if changed < k {
			return nil, &TooFewChanges{Changed: changed, Needed: k}
		}
		// A year's revision carries its quarters' revisions, each already safe; its
		// own change, in the incidents known only to the year, must be safe too.
		if stats.IsYear(period) {
			if yo := stats.Changes(stats.YearOnly(old), stats.YearOnly(in.Facts)); yo > 0 && yo < k {
				return nil, &TooFewChanges{Changed: yo, Needed: k, Part: "year_only"}
			}
		}
	}
	rel, err := stats.BuildRelease(in)
	if err != nil {
		return nil, err
	}
	rel.Created, rel.CreatedBy, rel.Changed = s.now(), by, changed
	if err := s.save(ctx, rel, in.Facts); err != nil {
		return nil, err
	}
	return rel, nil
}

// save writes the snapshot chunks, then the release document: the release exists
// only once everything it needs is stored. Each attempt writes its chunks under ids
// of its own, so a publication that loses a race (or a crash before the release
// document) leaves only unreferenced chunks, never a release counting other facts.
func (s *Store) save(ctx context.Context, rel *stats.Release, facts []cases.Fact) error {
	id := releaseID(rel.Org, rel.Period, rel.Version)
	snap := id + "|" + uuid.NewString()
	chunks := 0
	for start := 0; start < len(facts) || start == 0; start += chunkSize {
		var data snapData
		for _, f := range facts[start:min(start+chunkSize, len(facts))] {
			data.F = append(data.F, snapFact{Fact: f, Case: f.Case, Month: f.Month, Year: f.Year})
		}
		packed, err := bson.Marshal(data)
		if err != nil {
			return err
		}
		_, err = s.snapshots.InsertOne(ctx, snapDoc{ID: snap + "|" + strconv.Itoa(chunks), Data: packed})
		if err != nil {
			return fmt.Errorf("releases: save facts of %s: %w", id, err)
		}
		chunks++
		if len(facts) == 0 {
			break
		}
	}
	packed, err := bson.Marshal(rel)
	if err != nil {
		return err
	}
	_, err = s.releases.InsertOne(ctx, doc{ID: id, Org: rel.Org, Period: rel.Period, Version: rel.Version,
		Created: rel.Created, By: rel.CreatedBy, Changed: rel.Changed, Chunks: chunks, Snap: snap, Data: packed})
	if mongo.IsDuplicateKeyError(err) {
		return ErrConcurrent
	}
	if err != nil {
		return fmt.Errorf("releases: save %s: %w", id, err)
	}
	return nil
}

// snapshot reads the facts a release version counted.
func (s *Store) snapshot(ctx context.Context, rel *stats.Release) ([]cases.Fact, error) {
	id := releaseID(rel.Org, rel.Period, rel.Version)
	var d doc
	if err := s.releases.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "chunks", Value: 1}, {Key: "snap", Value: 1}})).Decode(&d); err != nil {
		return nil, fmt.Errorf("releases: facts of %s: %w", id, err)
	}
	var out []cases.Fact
	for c := range d.Chunks {
		var sd snapDoc
		if err := s.snapshots.FindOne(ctx, bson.D{{Key: "_id", Value: d.Snap + "|" + strconv.Itoa(c)}}).Decode(&sd); err != nil {
			return nil, fmt.Errorf("releases: facts of %s, part %d: %w", id, c, err)
		}
		var data snapData
		if err := bson.Unmarshal(sd.Data, &data); err != nil {
			return nil, fmt.Errorf("releases: facts of %s, part %d: %w", id, c, err)
		}
		for _, sf := range data.F {
			f := sf.Fact
			f.Case, f.Month, f.Year = sf.Case, sf.Month, sf.Year
			if f.Month != "" {
				f.Quarter = cases.QuarterOf(f.Month)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// due lists the periods of the years given that have ended at least delay before
// now and have no release, quarters before years: what automatic publication should
// publish.
func (s *Store) due(ctx context.Context, org string, years []int, delay time.Duration) ([]string, error) {
	have := map[string]bool{}
	list, err := s.List(ctx, org)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		have[r.Period] = true
	}
	var out []string
	now := s.now()
	for _, y := range years {
		year := strconv.Itoa(y)
		for _, p := range append(stats.QuartersOf(year), year) {
			if !have[p] && !now.Before(stats.EndOf(p).Add(delay)) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// AutoPublish publishes, for org, every period of the last two years that ended at
// least delay ago, has no release, and counts at least one case. It returns the
// periods published.
func (s *Store) AutoPublish(ctx context.Context, org string, k int, delay time.Duration) ([]string, error) {
	y := s.now().Year()
	due, err := s.due(ctx, org, []int{y - 2, y - 1, y}, delay)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, p := range due {
		facts, err := s.cases.Facts(ctx, org, stats.FactsPeriodsOf(p))
		if err != nil {
			return done, err
		}
		if len(facts) == 0 {
			continue
		}
		_, err = s.Publish(ctx, org, k, p, "auto")
		switch {
		case errors.Is(err, ErrConcurrent), errors.Is(err, ErrQuartersNotReleased):
			continue
		case err != nil:
			return done, fmt.Errorf("releases: publish %s %s: %w", org, p, err)
		}
		done = append(done, p)
	}
	return done, nil
}
