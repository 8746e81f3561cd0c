// Package dbtest gives tests a fresh, real database: a database of its own on the
// embedded store shared by the test binary, or on the MongoDB server named by
// MONGODB_URI when that is set.
package dbtest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"registro/database"
)

var (
	once   sync.Once
	shared *database.DB
	err    error
)

// New returns a database of its own for this test, dropped when the test ends. The
// DB's Embedded flag tells which store runs it.
func New(tb testing.TB) *database.DB {
	tb.Helper()
	db := Kept(tb)
	tb.Cleanup(func() { _ = db.Database.Drop(context.Background()) })
	return db
}

// Kept returns a database of its own that outlives the test, for benchmarks that
// seed a large registry once and share it between sub-benchmarks.
func Kept(tb testing.TB) *database.DB {
	tb.Helper()
	once.Do(func() {
		dir, derr := os.MkdirTemp("", "registro-dbtest-")
		if derr != nil {
			err = derr
			return
		}
		shared, err = database.Open(context.Background(), database.Options{
			URI: os.Getenv("MONGODB_URI"), DataDir: dir, Name: "registro_test",
		})
	})
	if err != nil {
		tb.Fatalf("dbtest: open store: %v", err)
	}
	name := fmt.Sprintf("t_%s", uuid.NewString()[:8]+uuid.NewString()[:8])
	db := *shared
	db.Database = shared.Client.Database(name)
	return &db
}

// Standalone starts a FerretDB server of the test's own (its files in a temporary
// directory) and returns its URI; it stops when the test ends. Through it several
// Registro servers share one store, which the embedded store (one process per data
// directory) cannot.
func Standalone(tb testing.TB) string {
	tb.Helper()
	uri, stop, err := database.StartStandalone(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatalf("dbtest: standalone store: %v", err)
	}
	tb.Cleanup(stop)
	return uri
}

// Shared returns n connections to one database of a standalone store: what n Registro
// servers sharing one store each hold. They close when the test ends.
func Shared(tb testing.TB, n int) []*database.DB {
	tb.Helper()
	uri := Standalone(tb)
	out := make([]*database.DB, n)
	for i := range out {
		db, err := database.Open(context.Background(), database.Options{URI: uri, Name: "shared"})
		if err != nil {
			tb.Fatalf("dbtest: open the standalone store: %v", err)
		}
		tb.Cleanup(func() { _ = db.Close(context.Background()) })
		out[i] = db
	}
	return out
}

// OpenDir opens the embedded store on dir, as the program does, for a test that reads
// or reopens its files and so needs a store of its own, not the shared one; it skips
// when MONGODB_URI is set. The test closes it. Such tests do not run in parallel:
// ferretdb.New writes a package variable, so two stores starting at once race.
func OpenDir(tb testing.TB, dir string) *database.DB {
	tb.Helper()
	if os.Getenv("MONGODB_URI") != "" {
		tb.Skip("reads the embedded store's files; MONGODB_URI is set")
	}
	db, err := database.Open(context.Background(), database.Options{DataDir: dir, Name: "x"})
	if err != nil {
		tb.Fatalf("dbtest: open the store on %s: %v", dir, err)
	}
	return db
}

// FilesHolding is what an attacker holding the directory dir finds: for every regular
// file under it (the store's database file, its write-ahead log and index, a backup)
// and every needle it holds, "<file> holds <the needle's first 40 bytes>".
func FilesHolding(tb testing.TB, dir string, needles ...[]byte) []string {
	tb.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err // sockets and directories have no content to scan
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				found = append(found, fmt.Sprintf("%s holds %.40q", filepath.Base(path), n))
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("dbtest: scan %s: %v", dir, err)
	}
	return found
}
