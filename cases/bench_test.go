package cases

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"registro/database"
	"registro/database/dbtest"
	"registro/keyring"
)

// A registry as the benchmarks see it: an organization whose cases were recorded
// evenly over three years by 20 outreach workers (10,000 cases: about 280 a month,
// 14 a month per worker), on the embedded store with its _id index.
const (
	benchWorkers = 20
	benchMonths  = 36
)

type benchRegistry struct {
	s   *Store
	db  *database.DB
	ids []string
}

var (
	registriesMu sync.Mutex
	registries   = map[int]*benchRegistry{}
)

// registry returns a store seeded with n cases recorded over benchMonths, built once
// per size per run.
func registry(b *testing.B, n int) *benchRegistry {
	return seeded(b, n, benchMonths)
}

// seeded returns a store seeded with n cases recorded evenly over the last months
// (0: all today, as an import would), built once per size per run.
func seeded(b *testing.B, n, months int) *benchRegistry {
	b.Helper()
	registriesMu.Lock()
	defer registriesMu.Unlock()
	if r, ok := registries[n*1000+months]; ok {
		return r
	}
	db := dbtest.Kept(b) // shared by sub-benchmarks: New would drop it after the first
	s := mustStoreOn(b, db)
	ctx := context.Background()
	if err := s.EnsureIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	if err := db.IndexIDs(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().AddDate(0, -months, 0)
	span := time.Since(start)
	if months == 0 {
		start, span = time.Now().UTC().Add(-time.Hour), time.Hour
	}
	r := &benchRegistry{s: s, db: db}
	const batch = 1000
	for from := 0; from < n; from += batch {
		var docs []any
		for i := from; i < min(from+batch, n); i++ {
			at := start.Add(time.Duration(int64(span) / int64(n) * int64(i)))
			a := Actor{UserID: fmt.Sprintf("worker-%02d", i%benchWorkers), Org: "LIM", Role: "outreach"}
			d := benchDoc(b, s, a, at, i+1)
			docs = append(docs, d)
			r.ids = append(r.ids, d.ID)
		}
		if _, err := s.cases.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.RebuildLists(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := s.RebuildFacts(ctx, false); err != nil {
		b.Fatal(err)
	}
	if err := db.IndexIDs(ctx); err != nil {
		b.Fatal(err)
	}
	registries[n*1000+months] = r
	return r
}

// benchDoc is a sealed case recorded by a at the given time.
func benchDoc(tb testing.TB, s *Store, a Actor, at time.Time, seq int) *caseDoc {
	tb.Helper()
	in := validInput()
	// Incidents happen up to two months before they are recorded.
	in.Incident.Date = at.AddDate(0, 0, -(seq*7)%60).Format(time.DateOnly)
	c, _, err := s.newCase(a, in, at.Add(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	c.ID = v7At(tb, at)
	c.RecordedAt, c.UpdatedAt, c.Consent.RecordedAt = idTime(c.ID), idTime(c.ID), idTime(c.ID)
	c.Ref = fmt.Sprintf("%s-%d-%05d", a.Org, at.Year(), seq)
	c.Subject, _ = RandomPseudonym()
	key, _ := keyring.NewDataKey()
	w, err := s.ring.Wrap(key, caseKeyAAD(c.ID))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := seal(c, key, w)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// timed runs op b.N times and reports the 50th and 95th percentile latencies.
func timed(b *testing.B, op func(i int)) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		op(i)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[len(lat)*95/100]), "p95_ms")
}

func BenchmarkReadByID(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			r := registry(b, n)
			ctx := context.Background()
			timed(b, func(int) {
				if _, err := r.s.Case(ctx, r.ids[rand.IntN(len(r.ids))], allowAll); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFactsQuarter reads what a quarterly statistics table counts: the facts of
// three months (about 830 cases at 10,000, 8,300 at 100,000).
func BenchmarkFactsQuarter(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			r := registry(b, n)
			q := time.Now().UTC().AddDate(0, -18, 0)
			first := time.Date(q.Year(), time.Month((int(q.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
			months := []string{first.Format("2006-01"), first.AddDate(0, 1, 0).Format("2006-01"), first.AddDate(0, 2, 0).Format("2006-01")}
			var got int
			timed(b, func(int) {
				fs, err := r.s.Facts(context.Background(), "LIM", months)
				if err != nil {
					b.Fatal(err)
				}
				got = len(fs)
			})
			b.ReportMetric(float64(got), "facts")
		})
	}
}

func BenchmarkList(b *testing.B) {
	r := registry(b, 10_000)
	ctx := context.Background()
	b.Run("own_newest_50", func(b *testing.B) {
		timed(b, func(i int) {
			l, _, err := r.s.List(ctx, ListQuery{Limit: 50, Allow: seeAll,
				Sources: []Source{{Kind: "own", Org: "LIM", User: fmt.Sprintf("worker-%02d", i%benchWorkers)}}})
			if err != nil || len(l) != 50 {
				b.Fatalf("list: %d entries, %v", len(l), err)
			}
		})
	})
	b.Run("org_newest_50_after_10000_in_a_day", func(b *testing.B) {
		day := seeded(b, 10_000, 0)
		timed(b, func(int) {
			l, _, err := day.s.List(ctx, ListQuery{Limit: 50, Allow: seeAll, Sources: []Source{{Kind: "org", Org: "LIM"}}})
			if err != nil || len(l) != 50 {
				b.Fatalf("list: %d entries, %v", len(l), err)
			}
		})
	})
	b.Run("org_newest_50", func(b *testing.B) {
		timed(b, func(int) {
			l, _, err := r.s.List(ctx, ListQuery{Limit: 50, Allow: seeAll, Sources: []Source{{Kind: "org", Org: "LIM"}}})
			if err != nil || len(l) != 50 {
				b.Fatalf("list: %d entries, %v", len(l), err)
			}
		})
	})
}

// rawSeq numbers the references of raw inserts across the runs of a benchmark.
var rawSeq int

// BenchmarkIntake compares recording a case (validation, pseudonym, sealing,
// reference, insert, lists) with a bare insertOne of the same sealed document, on a
// registry of 10,000 cases.
func BenchmarkIntake(b *testing.B) {
	r := registry(b, 10_000)
	ctx := context.Background()
	a := Actor{UserID: "worker-00", Org: "LIM", Role: "outreach"}
	b.Run("raw_insertOne", func(b *testing.B) {
		docs := make([]*caseDoc, b.N)
		for i := range docs {
			rawSeq++
			docs[i] = benchDoc(b, r.s, a, time.Now(), 900_000+rawSeq)
		}
		timed(b, func(i int) {
			if _, err := r.s.cases.InsertOne(ctx, docs[i]); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	})
	b.Run("Create", func(b *testing.B) {
		timed(b, func(i int) {
			w := Actor{UserID: fmt.Sprintf("worker-%02d", i%benchWorkers), Org: "LIM", Role: "outreach"}
			if _, _, err := r.s.Create(ctx, w, validInput(), ""); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	})
}

// BenchmarkIntakeParallel compares twenty clients recording cases (with an
// Idempotency-Key and the access log, as the server does) with twenty clients
// inserting the same sealed documents bare, side by side on one store.
func BenchmarkIntakeParallel(b *testing.B) {
	db := dbtest.Kept(b)
	s, _ := loggedStore(b, db)
	ctx := context.Background()
	a := Actor{UserID: "worker-00", Org: "LIM", Role: "outreach"}
	b.Run("raw_insertOne", func(b *testing.B) {
		docs := make([]*caseDoc, b.N)
		for i := range docs {
			rawSeq++
			docs[i] = benchDoc(b, s, a, time.Now(), 900_000+rawSeq)
		}
		var next atomic.Int64
		b.SetParallelism(10) // 20 goroutines on 2 cores
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.cases.InsertOne(ctx, docs[next.Add(1)-1]); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	})
	b.Run("Create", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(10)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				w := Actor{UserID: fmt.Sprintf("worker-%02d", i%benchWorkers), Org: "LIM", Role: "outreach"}
				if _, _, err := s.Create(ctx, w, validInput(), fmt.Sprintf("key-%d-%d", b.N, i)); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	})
}
