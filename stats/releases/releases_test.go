package releases_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/cases"
	"registro/database"
	"registro/database/dbtest"
	"registro/keyring"
	"registro/stats"
	"registro/stats/releases"
	"registro/validation"
	"registro/vocabulary"
)

const testRing = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

var coordinator = cases.Actor{UserID: "u-bea", Username: "bea", Org: "LIM", Role: "coordinator"}

type fixture struct {
	db    *database.DB
	cases *cases.Store
	rel   *releases.Store
	now   time.Time
	mu    sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := dbtest.New(t)
	v, err := vocabulary.Baseline()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.ParseRing(testRing)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, now: time.Date(2026, 7, 20, 12, 0, 0, 0, time.UTC)}
	f.cases = cases.NewStore(db, v, ring, keyring.NewOrgKeys(db.Database, ring))
	f.cases.SetClock(f.clock)
	f.rel = releases.NewStore(db, f.cases)
	f.rel.SetClock(f.clock)
	ctx := context.Background()
	if err := f.cases.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.rel.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) setNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// record stores n cases of distinct survivors in the given month (or year, for
// a date known only to the year), all by the police, in one district.
func (f *fixture) record(t *testing.T, n int, date, precision, uicPrefix string) []*cases.Case {
	t.Helper()
	yes := true
	var out []*cases.Case
	for i := range n {
		c, _, err := f.cases.Create(context.Background(), coordinator, cases.Input{
			UIC:          fmt.Sprintf("%s%02d85", uicPrefix, i%28+1),
			Incident:     cases.Incident{Date: date, DatePrecision: precision, District: "150101", Place: "street"},
			Perpetrators: []string{"police"}, Violations: []string{"physical"},
			Consent:   cases.ConsentInput{Record: &yes, Statistics: true},
			Narrative: "relato", Response: cases.Response{ReportedTo: []string{"none"}, Status: "open"},
		}, "")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestPublishQuarter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.record(t, 7, "2026-05-10", "day", "MAJO")
	f.record(t, 2, "2026-06-03", "day", "LUPE")

	if _, err := f.rel.Latest(ctx, "LIM", "2026-Q2"); !errors.Is(err, releases.ErrNotReleased) {
		t.Fatalf("Latest before publishing: %v, want ErrNotReleased", err)
	}
	rel, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != 1 || rel.CreatedBy != "bea" || !rel.Created.Equal(f.clock()) {
		t.Errorf("release = v%d by %s at %v", rel.Version, rel.CreatedBy, rel.Created)
	}
	if p := rel.Positions[""]; p.Incidents != 9 || p.Hidden {
		t.Errorf("grand total = %+v, want 9 incidents published", p)
	}
	if p := rel.Positions["month=2026-06"]; !p.Hidden || p.Reason != stats.ReasonPrimary {
		t.Errorf("June (2 survivors) = %+v, want hidden as primary", p)
	}
	got, err := f.rel.Latest(ctx, "LIM", "2026-Q2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || len(got.Positions) != len(rel.Positions) || got.Positions["month=2026-06"] != rel.Positions["month=2026-06"] {
		t.Errorf("stored release differs: v%d, %d positions", got.Version, len(got.Positions))
	}
	list, err := f.rel.List(ctx, "LIM")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Period != "2026-Q2" || !list[0].Latest {
		t.Errorf("List = %+v", list)
	}
}

func TestPublishRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.record(t, 6, "2026-05-10", "day", "MAJO")

	var ve *validation.Error
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q3", "bea"); !errors.As(err, &ve) || ve.Messages()["period"] == "" {
		t.Errorf("open quarter: %v, want a validation error on period", err)
	}
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-05", "bea"); !errors.As(err, &ve) || ve.Messages()["period"] == "" {
		t.Errorf("a month: %v, want a validation error on period", err)
	}
	// The quarter ends at midnight in Lima: 05:00 UTC on 1 July.
	f.setNow(time.Date(2026, 7, 1, 4, 59, 0, 0, time.UTC))
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); !errors.As(err, &ve) {
		t.Errorf("30 June in Lima: %v, want the period still open", err)
	}
	f.setNow(time.Date(2026, 7, 1, 5, 0, 0, 0, time.UTC))
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); err != nil {
		t.Fatalf("first publication: %v", err)
	}
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); !errors.Is(err, releases.ErrNoChange) {
		t.Errorf("again with no change: %v, want ErrNoChange", err)
	}
	f.setNow(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026", "bea"); !errors.Is(err, releases.ErrQuartersNotReleased) {
		t.Errorf("year before its quarters: %v, want ErrQuartersNotReleased", err)
	}
}

// The attacker of issue 9, attack 4: the tables before and after one new case
// describe that case. A revision must change at least k survivors' cases.
func TestRevisionNeedsKSurvivors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	made := f.record(t, 8, "2026-05-10", "day", "MAJO")
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); err != nil {
		t.Fatal(err)
	}
	// One new case, one erasure: two survivors.
	f.record(t, 1, "2026-04-02", "day", "ROSA")
	if _, err := f.cases.Erase(ctx, coordinator, made[0].ID, func(*cases.Case) bool { return true }); err != nil {
		t.Fatal(err)
	}
	var few *releases.TooFewChanges
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); !errors.As(err, &few) || few.Changed != 2 || few.Needed != 5 {
		t.Fatalf("revision after 2 survivors changed: %v, want TooFewChanges 2 of 5", err)
	}
	// A withdrawn consent and an edited district count too.
	no := false
	if _, err := f.cases.Update(ctx, coordinator, made[1].ID, cases.Patch{Version: &made[1].Version,
		Consent: &cases.ConsentPatch{Statistics: &no}}, func(*cases.Case) bool { return true }); err != nil {
		t.Fatal(err)
	}
	d := "150103"
	if _, err := f.cases.Update(ctx, coordinator, made[2].ID, cases.Patch{Version: &made[2].Version,
		Incident: &cases.IncidentPatch{District: &d}}, func(*cases.Case) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); !errors.As(err, &few) || few.Changed != 4 {
		t.Fatalf("revision after 4 survivors changed: %v, want TooFewChanges 4 of 5", err)
	}
	f.record(t, 1, "2026-06-20", "day", "NORA")
	rel, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea")
	if err != nil {
		t.Fatalf("revision after 5 survivors changed: %v", err)
	}
	if rel.Version != 2 || rel.Changed != 5 {
		t.Errorf("revision = v%d, changed %d; want v2, 5", rel.Version, rel.Changed)
	}
	latest, err := f.rel.Latest(ctx, "LIM", "2026-Q2")
	if err != nil || latest.Version != 2 {
		t.Fatalf("Latest = %v, %v; want v2", latest, err)
	}
	if old, err := f.rel.Get(ctx, "LIM", "2026-Q2", 1); err != nil || old.Version != 1 {
		t.Errorf("version 1 kept: %v, %v", old, err)
	}
}

func TestPublishYearFromQuarters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.setNow(time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC))
	for q, date := range []string{"2026-02-10", "2026-05-10", "2026-08-10", "2026-11-10"} {
		f.record(t, 6, date, "day", []string{"QAAA", "QBBB", "QCCC", "QDDD"}[q])
	}
	f.record(t, 2, "2026", "year", "YEAR")
	f.setNow(time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC))
	for _, q := range stats.QuartersOf("2026") {
		if _, err := f.rel.Publish(ctx, "LIM", 5, q, "bea"); err != nil {
			t.Fatalf("publish %s: %v", q, err)
		}
	}
	// A case recorded after Q2's release reaches the year only through a revision
	// of Q2: the year counts what its quarters' releases counted.
	f.record(t, 1, "2026-05-11", "day", "LATE")
	year, err := f.rel.Publish(ctx, "LIM", 5, "2026", "bea")
	if err != nil {
		t.Fatal(err)
	}
	if got := year.Positions[""].Incidents; got != 26 {
		t.Errorf("year counts %d incidents, want 24 from the quarters' releases and 2 known only to the year", got)
	}
	if fmt.Sprint(year.Basis) != "[1 1 1 1]" {
		t.Errorf("year basis = %v", year.Basis)
	}
	if p := year.Positions["month=unknown"]; !p.Hidden {
		t.Errorf("the 2 incidents known only to the year are published: %+v", p)
	}
	for _, q := range stats.QuartersOf("2026") {
		k := "quarter=" + q
		if year.Positions[k].Hidden {
			t.Errorf("%s hidden in the year but published in its quarter", k)
		}
	}
}

// Two servers publishing the same version at once: exactly one succeeds.
func TestPublishConcurrently(t *testing.T) {
	f := newFixture(t)
	f.record(t, 6, "2026-05-10", "day", "MAJO")
	other := releases.NewStore(f.db, f.cases)
	other.SetClock(f.clock)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, s := range []*releases.Store{f.rel, other} {
		wg.Go(func() { _, errs[i] = s.Publish(context.Background(), "LIM", 5, "2026-Q2", "bea") })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, releases.ErrConcurrent), errors.Is(err, releases.ErrNoChange):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d publications succeeded, want 1 (%v)", ok, errs)
	}
}

func TestAutoPublish(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.record(t, 6, "2026-05-10", "day", "MAJO")
	delay := 15 * 24 * time.Hour
	f.setNow(time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC))
	if done, err := f.rel.AutoPublish(ctx, "LIM", 5, delay); err != nil || len(done) != 0 {
		t.Fatalf("10 days after the quarter: published %v, %v; want nothing yet", done, err)
	}
	f.setNow(time.Date(2026, 7, 16, 6, 0, 0, 0, time.UTC))
	done, err := f.rel.AutoPublish(ctx, "LIM", 5, delay)
	if err != nil || fmt.Sprint(done) != "[2026-Q2]" {
		t.Fatalf("15 days after: published %v, %v; want [2026-Q2] (empty quarters are left alone)", done, err)
	}
	rel, err := f.rel.Latest(ctx, "LIM", "2026-Q2")
	if err != nil || rel.CreatedBy != "auto" {
		t.Fatalf("Latest = %v, %v", rel, err)
	}
	if done, err := f.rel.AutoPublish(ctx, "LIM", 5, delay); err != nil || len(done) != 0 {
		t.Errorf("again: published %v, %v; want nothing", done, err)
	}
}

// A publication killed after writing its facts but before its release document
// leaves chunks that nothing references: the next publication of the same version
// succeeds, and its revision is measured against its own facts, not the orphans.
func TestPublishAfterInterruptedSave(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.record(t, 6, "2026-05-10", "day", "MAJO")
	// What an interrupted attempt at version 1 leaves: a chunk of other facts.
	orphan := bson.D{{Key: "_id", Value: "LIM|2026-Q2|1|interrupted|0"}, {Key: "data", Value: mustPack(t, 40)}}
	if _, err := f.db.Collection("stats_release_facts").InsertOne(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea"); err != nil {
		t.Fatalf("publish after an interrupted attempt: %v", err)
	}
	f.record(t, 5, "2026-06-10", "day", "NORA")
	rel, err := f.rel.Publish(ctx, "LIM", 5, "2026-Q2", "bea")
	if err != nil || rel.Version != 2 || rel.Changed != 5 {
		t.Fatalf("revision = %+v, %v; want v2 measured as 5 survivors changed", rel, err)
	}
}

// mustPack packs n made-up facts as a snapshot chunk stores them.
func mustPack(t *testing.T, n int) []byte {
	t.Helper()
	var fs []bson.M
	for i := range n {
		fs = append(fs, bson.M{"f": bson.M{"s": fmt.Sprint("X", i), "p": []string{"client"}, "v": []string{"robbery"}, "d": "150101", "l": "street"},
			"c": fmt.Sprint("orphan-", i), "m": "2026-05", "y": "2026"})
	}
	b, err := bson.Marshal(bson.M{"f": fs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
