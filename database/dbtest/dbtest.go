// Package dbtest gives tests a fresh, real database: a database of its own on the
// embedded store shared by the test binary, or on the MongoDB server named by
// MONGODB_URI when that is set.
package dbtest

import (
	"context"
	"fmt"
	"os"
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
