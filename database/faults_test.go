package database

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"modernc.org/sqlite"
)

// connPragmas is what one SQLite connection reported right after the driver set it up.
type connPragmas struct {
	dsn                                 string
	synchronous, sizeLimit, maxPages    int64
	journalMode                         string
	busyTimeout                         int64
	synchronousErr, sizeErr, maxPageErr error
}

var (
	hookOnce sync.Once
	connsMu  sync.Mutex
	conns    []connPragmas
)

// recordConnections makes the SQLite driver report, for every connection it opens in
// this test binary (FerretDB's own included), the pragmas in force once the driver has
// applied the ones in the URL.
func recordConnections() {
	hookOnce.Do(func() {
		sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, dsn string) error {
			p := connPragmas{dsn: dsn}
			p.synchronous, p.synchronousErr = pragmaInt(c, "synchronous")
			p.sizeLimit, p.sizeErr = pragmaInt(c, "journal_size_limit")
			p.maxPages, p.maxPageErr = pragmaInt(c, "max_page_count")
			p.busyTimeout, _ = pragmaInt(c, "busy_timeout")
			if v, err := pragmaValue(c, "journal_mode"); err == nil {
				p.journalMode = fmt.Sprint(v)
			}
			connsMu.Lock()
			conns = append(conns, p)
			connsMu.Unlock()
			return nil
		})
	})
}

// connectionsUnder returns the recorded connections to files in dir.
func connectionsUnder(dir string) []connPragmas {
	connsMu.Lock()
	defer connsMu.Unlock()
	var out []connPragmas
	for _, c := range conns {
		if strings.HasPrefix(c.dsn, "file:"+dir+"/") {
			out = append(out, c)
		}
	}
	return out
}

func pragmaValue(c sqlite.ExecQuerierContext, name string) (driver.Value, error) {
	rows, err := c.QueryContext(context.Background(), "PRAGMA "+name, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		return nil, err
	}
	return dest[0], nil
}

func pragmaInt(c sqlite.ExecQuerierContext, name string) (int64, error) {
	v, err := pragmaValue(c, name)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("PRAGMA %s = %v (%T)", name, v, v)
	}
	return n, nil
}

// openEmbedded opens a store of its own in a fresh directory, with the WAL watcher's
// interval set to every for its lifetime.
func openEmbedded(t *testing.T, opts Options, every time.Duration) (*DB, string) {
	t.Helper()
	saved := walCheckEvery
	walCheckEvery = every
	defer func() { walCheckEvery = saved }()
	opts.DataDir = t.TempDir()
	if opts.Name == "" {
		opts.Name = "faults"
	}
	db, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	sqliteDir, err := filepath.Abs(filepath.Join(opts.DataDir, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	return db, sqliteDir
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(rand.Reader, b)
	return b
}

// TestSQLitePragmas checks, on the very connections FerretDB opens, that the URL's
// pragmas are in force next to FerretDB's own defaults.
func TestSQLitePragmas(t *testing.T) {
	recordConnections()
	ctx := context.Background()
	db, dir := openEmbedded(t, Options{}, time.Hour)
	if _, err := db.Collection("c").InsertOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	got := connectionsUnder(dir)
	if len(got) == 0 {
		t.Fatalf("no SQLite connection to %s was recorded", dir)
	}
	for _, c := range got {
		if c.synchronousErr != nil || c.synchronous != 1 {
			t.Errorf("%s: synchronous = %d (%v), want 1 (NORMAL)", c.dsn, c.synchronous, c.synchronousErr)
		}
		if c.sizeErr != nil || c.sizeLimit != walSizeLimit {
			t.Errorf("%s: journal_size_limit = %d (%v), want %d", c.dsn, c.sizeLimit, c.sizeErr, walSizeLimit)
		}
		if c.journalMode != "wal" {
			t.Errorf("%s: journal_mode = %q, want wal", c.dsn, c.journalMode)
		}
		if c.busyTimeout != 10000 {
			t.Errorf("%s: busy_timeout = %d, want FerretDB's 10000", c.dsn, c.busyTimeout)
		}
		if c.maxPageErr != nil || c.maxPages < 1<<30 {
			t.Errorf("%s: max_page_count = %d (%v), want SQLite's default (no cap)", c.dsn, c.maxPages, c.maxPageErr)
		}
	}
	t.Logf("%d connection(s) of FerretDB checked, e.g. %s", len(got), got[0].dsn)
}

func walSize(t *testing.T, dir, name string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, name+".sqlite-wal"))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// bigBatch inserts about 40 MB in one transaction: FerretDB writes up to 100
// documents of an insert in one SQLite transaction, and a checkpoint cannot split a
// transaction, so the WAL grows past 40 MB.
func bigBatch(t *testing.T, c *mongo.Collection, prefix string) {
	t.Helper()
	docs := make([]any, 100)
	for i := range docs {
		docs[i] = bson.M{"_id": fmt.Sprintf("%s-%03d", prefix, i), "blob": randomBytes(300 << 10)}
	}
	if _, err := c.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}

// TestWALSizeLimit checks that journal_size_limit is in force on FerretDB's writers:
// a WAL blown up by one large transaction is cut back to the limit by the next
// commits, once SQLite starts it over.
func TestWALSizeLimit(t *testing.T) {
	ctx := context.Background()
	db, dir := openEmbedded(t, Options{}, time.Hour) // the watcher stays out of the way
	c := db.Collection("c")
	bigBatch(t, c, "big")
	peak := walSize(t, dir, "faults")
	if peak < 2*walSizeLimit {
		t.Fatalf("WAL is %d bytes after a 40 MB transaction; the test needs it larger than %d", peak, 2*walSizeLimit)
	}
	var after int64
	for i := range 20 {
		if _, err := c.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("small-%d", i)}); err != nil {
			t.Fatal(err)
		}
		if after = walSize(t, dir, "faults"); after <= walSizeLimit {
			break
		}
	}
	t.Logf("WAL: %.1f MiB after the large transaction, %.1f MiB after small commits (limit %d MiB)",
		float64(peak)/(1<<20), float64(after)/(1<<20), walSizeLimit>>20)
	if after > walSizeLimit {
		t.Errorf("WAL still %d bytes after small commits; journal_size_limit(%d) not in force", after, walSizeLimit)
	}
}

// TestWALWatcher checks that a WAL left large (no commit follows to start it over) is
// checkpointed and truncated by the store's watcher, beside FerretDB's connections,
// and that every document is still there afterwards.
func TestWALWatcher(t *testing.T) {
	ctx := context.Background()
	db, dir := openEmbedded(t, Options{}, 50*time.Millisecond)
	c := db.Collection("c")
	bigBatch(t, c, "big")
	deadline := time.Now().Add(10 * time.Second)
	for walSize(t, dir, "faults") > walCheckpointAt {
		if time.Now().After(deadline) {
			t.Fatalf("WAL still %d bytes after 10 s", walSize(t, dir, "faults"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := c.CountDocuments(ctx, bson.M{}); err != nil || n != 100 {
		t.Fatalf("after the checkpoint: %d documents (%v), want 100", n, err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "after"}); err != nil {
		t.Fatalf("write after the checkpoint: %v", err)
	}
	if err := c.FindOne(ctx, bson.M{"_id": "big-042"}).Err(); err != nil {
		t.Fatalf("read after the checkpoint: %v", err)
	}
}

// TestStorageFull fills a store capped by max_page_count until SQLite refuses a write
// with SQLITE_FULL, and checks that IsStorageFull recognizes the error, that the
// refused write left nothing behind, and that reads still work.
func TestStorageFull(t *testing.T) {
	recordConnections()
	ctx := context.Background()
	db, dir := openEmbedded(t, Options{MaxPages: 600}, time.Hour) // 600 pages: 2.4 MB
	c := db.Collection("c")
	var err error
	written := 0
	for ; written < 1000; written++ {
		if _, err = c.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("d-%04d", written), "blob": randomBytes(8 << 10)}); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("1,000 documents of 8 KiB fit in 600 pages: max_page_count not in force")
	}
	t.Logf("after %d documents: %T: %v", written, err, err)
	var se mongo.ServerError
	if errors.As(err, &se) {
		var ce mongo.CommandError
		if errors.As(err, &ce) {
			t.Logf("code %d (%s), labels %v", ce.Code, ce.Name, ce.Labels)
		}
	}
	if !IsStorageFull(err) {
		t.Fatalf("IsStorageFull(%v) = false", err)
	}
	if IsUnavailable(err) {
		t.Errorf("a full disk was taken for an unreachable database: %v", err)
	}
	for _, cp := range connectionsUnder(dir) {
		if cp.maxPages != 600 {
			t.Errorf("%s: max_page_count = %d, want 600", cp.dsn, cp.maxPages)
		}
	}

	// Nothing of the refused write, every earlier document, and reads keep working.
	if err := c.FindOne(ctx, bson.M{"_id": fmt.Sprintf("d-%04d", written)}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Errorf("the refused document: %v, want no document", err)
	}
	if n, err := c.CountDocuments(ctx, bson.M{}); err != nil || n != int64(written) {
		t.Errorf("%d documents (%v), want the %d written", n, err, written)
	}
	if err := c.FindOne(ctx, bson.M{"_id": "d-0000"}).Err(); err != nil {
		t.Errorf("reading the first document on a full store: %v", err)
	}
	// A batch is refused whole, and so is an update that needs room.
	batch := []any{bson.M{"_id": "b-1", "blob": randomBytes(8 << 10)}, bson.M{"_id": "b-2", "blob": randomBytes(8 << 10)}}
	if _, err := c.InsertMany(ctx, batch); !IsStorageFull(err) {
		t.Errorf("InsertMany on a full store: %v, want a storage-full error", err)
	}
	if n, _ := c.CountDocuments(ctx, bson.M{"_id": bson.M{"$in": []string{"b-1", "b-2"}}}); n != 0 {
		t.Errorf("%d documents of the refused batch were stored", n)
	}
	if _, err := c.UpdateOne(ctx, bson.M{"_id": "d-0000"}, bson.M{"$set": bson.M{"more": randomBytes(64 << 10)}}); !IsStorageFull(err) {
		t.Errorf("growing update on a full store: %v, want a storage-full error", err)
	}
	var doc bson.M
	if err := c.FindOne(ctx, bson.M{"_id": "d-0000"}).Decode(&doc); err != nil || doc["more"] != nil {
		t.Errorf("after the refused update: %v, more=%v; want the document unchanged", err, doc["more"] != nil)
	}
	// Room comes back when documents go.
	if _, err := c.DeleteMany(ctx, bson.M{"_id": bson.M{"$lt": "d-0010"}}); err != nil {
		t.Fatalf("deleting on a full store: %v", err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "again", "blob": randomBytes(8 << 10)}); err != nil {
		t.Errorf("insert after freeing room: %v", err)
	}
}

func TestIsStorageFull(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("database or disk is full"), false}, // not from the server
		{ErrStorageFull, true},
		{fmt.Errorf("save: %w", ErrStorageFull), true},
		{mongo.CommandError{Code: 14031, Name: "OutOfDiskSpace", Message: "no space"}, true},
		{fmt.Errorf("cases: %w", mongo.CommandError{Code: 1, Name: "InternalError",
			Message: "[pool.go:1] database or disk is full (13)"}), true},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 1, Message: "database or disk is full"}}}, true},
		{mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "duplicate key"}}}, false},
		{mongo.CommandError{Code: 1, Message: "UNIQUE constraint failed"}, false},
		{ErrUnavailable, false},
	} {
		if got := IsStorageFull(tc.err); got != tc.want {
			t.Errorf("IsStorageFull(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestCheckSpace checks the free-space reading and the minimum.
func TestCheckSpace(t *testing.T) {
	db, _ := openEmbedded(t, Options{}, time.Hour)
	free, ok := db.FreeSpace()
	if !ok || free == 0 {
		t.Fatalf("FreeSpace = %d, %v", free, ok)
	}
	if err := db.CheckSpace(); err != nil {
		t.Errorf("no minimum: %v", err)
	}
	db.SetMinFree(1 << 20)
	if err := db.CheckSpace(); err != nil {
		t.Errorf("1 MiB minimum with %d bytes free: %v", free, err)
	}
	db.SetMinFree(free + 1<<40)
	err := db.CheckSpace()
	if !errors.Is(err, ErrStorageLow) {
		t.Fatalf("minimum above the free space: %v, want ErrStorageLow", err)
	}
	t.Log(err)
	copyDB := *db
	copyDB.SetMinFree(0)
	if copyDB.CheckSpace() != nil || db.CheckSpace() == nil {
		t.Error("SetMinFree on a copy changed the original, or did not change the copy")
	}
}

// TestWALBoundUnderLoad loads 100,000 case-sized documents (3 KiB, in batches of
// 1,000, as the case benchmarks seed them) while a second writer keeps rewriting a
// 200 KiB list document (FerretDB's update: a read kept open while it writes) and a
// reader looks cases up by _id, and checks that the WAL never exceeds 64 MiB. With
// REGISTRO_LOAD_INTAKE=k, k clients record cases one by one as the case store once
// did (counter, case, day list, worker list) instead of the bulk load;
// REGISTRO_LOAD_N changes the number of cases; REGISTRO_LOAD_SCANS=1 adds a client
// that scans the whole collection over and over (no bound holds then: a checkpoint
// cannot start the WAL over while a read of an older snapshot runs). It takes a
// minute or more: set REGISTRO_LOAD_TEST=1 to run it.
func TestWALBoundUnderLoad(t *testing.T) {
	if os.Getenv("REGISTRO_LOAD_TEST") == "" {
		t.Skip("set REGISTRO_LOAD_TEST=1 to load 100,000 documents")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, dir := openEmbedded(t, Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))}, walCheckEvery)
	c := db.Collection("cases")
	lists := db.Collection("lists")
	if _, err := lists.InsertOne(ctx, bson.M{"_id": "day", "ids": randomBytes(200 << 10)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.M{"_id": "case-000000"}); err != nil {
		t.Fatal(err)
	}
	if err := db.IndexIDs(ctx); err != nil { // as the server does: lookups by _id use an index
		t.Fatal(err)
	}
	total := 100_000
	if n, err := strconv.Atoi(os.Getenv("REGISTRO_LOAD_N")); err == nil {
		total = n
	}

	var peak int64
	var reads, scans, rewrites int
	var loaded atomic.Int64
	var wg sync.WaitGroup
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				f()
			}
		}()
	}
	loop(func() {
		if s := walSize(t, dir, "faults"); s > peak {
			peak = s
		}
		time.Sleep(10 * time.Millisecond)
	})
	loop(func() {
		if err := c.FindOne(ctx, bson.M{"_id": fmt.Sprintf("case-%06d", loaded.Load()/2)}).Err(); err == nil {
			reads++
		}
	})
	loop(func() {
		if _, err := lists.UpdateOne(ctx, bson.M{"_id": "day"}, bson.M{"$set": bson.M{"ids": randomBytes(200 << 10)}}); err == nil {
			rewrites++
		}
	})
	if os.Getenv("REGISTRO_LOAD_SCANS") != "" {
		loop(func() {
			cur, err := c.Find(ctx, bson.M{"no_such_field": 1})
			if err != nil {
				return
			}
			for cur.Next(ctx) {
			}
			_ = cur.Close(context.Background())
			scans++
		})
	}

	start := time.Now()
	if k, err := strconv.Atoi(os.Getenv("REGISTRO_LOAD_INTAKE")); err == nil {
		intake(t, db, k, total, &loaded)
	} else {
		const batch = 1000
		for i := 0; i < total; i += batch {
			docs := make([]any, batch)
			for j := range docs {
				docs[j] = bson.M{"_id": fmt.Sprintf("case-%06d", i+j+1), "sealed": randomBytes(3 << 10)}
			}
			if _, err := c.InsertMany(ctx, docs); err != nil {
				t.Fatal(err)
			}
			loaded.Store(int64(i + batch))
		}
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	main, _ := os.Stat(filepath.Join(dir, "faults.sqlite"))
	t.Logf("%d cases in %s; %d reads, %d list rewrites, %d scans meanwhile; largest WAL %.1f MiB, last %.1f MiB; database %.0f MiB",
		total, elapsed.Round(time.Second), reads, rewrites, scans, float64(peak)/(1<<20),
		float64(walSize(t, dir, "faults"))/(1<<20), float64(main.Size())/(1<<20))
	if peak > 64<<20 {
		t.Errorf("the WAL reached %.1f MiB, over the 64 MiB bound", float64(peak)/(1<<20))
	}
}

// intake has k clients record total cases one by one as the case store did before its
// group commit: the reference counter, the case, the day's list, the worker's list.
func intake(t *testing.T, db *DB, k, total int, loaded *atomic.Int64) {
	ctx := context.Background()
	c, lists := db.Collection("cases"), db.Collection("lists")
	upsert := options.UpdateOne().SetUpsert(true)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(total); i = next.Add(1) {
				id := fmt.Sprintf("case-%06d", i)
				for _, op := range []func() error{
					func() error {
						_, err := lists.UpdateOne(ctx, bson.M{"_id": "counter"}, bson.M{"$inc": bson.M{"n": 1}}, upsert)
						return err
					},
					func() error {
						_, err := c.InsertOne(ctx, bson.M{"_id": id, "sealed": randomBytes(3 << 10)})
						return err
					},
					func() error {
						_, err := lists.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("day-%d", i/300)}, bson.M{"$push": bson.M{"ids": id}}, upsert)
						return err
					},
					func() error {
						_, err := lists.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("worker-%d-%d", w, i/2000)}, bson.M{"$push": bson.M{"ids": id}}, upsert)
						return err
					},
				} {
					err := op()
					if mongo.IsDuplicateKeyError(err) { // two upserts raced: the document exists now
						err = op()
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
				loaded.Store(i)
			}
		}()
	}
	wg.Wait()
}
