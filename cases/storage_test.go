package cases

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/database"
)

// mustOpenDir opens the embedded store on dir, as the program does; these tests read
// or reopen its files, so they need a store of their own, not the shared test one.
// They do not run in parallel: ferretdb.New writes a package variable, so two stores
// starting at once race (the sequential tests run before the parallel ones resume).
func mustOpenDir(t *testing.T, dir string) *database.DB {
	t.Helper()
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("reads the embedded store's files; MONGODB_URI is set")
	}
	db, err := database.Open(context.Background(), database.Options{DataDir: dir, Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestDataFilesHoldNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	s := mustStoreOn(t, db)
	c := mustSensitiveCase(t, s, ana)
	mustSensitiveCase(t, s, bea)
	if err := db.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	markers := []string{narrativeMarker, contactMarker, noteMarker, normalizedUIC, "Zú-ri", "Me golpearon", "Llamamos"}
	var files int
	var refSeen bool
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err // sockets and directories have no content to scan
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%s holds %q in clear", path, m)
			}
		}
		refSeen = refSeen || bytes.Contains(b, []byte(c.Ref))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The scan must have read the data: the reference is stored in clear.
	if files == 0 || !refSeen {
		t.Fatalf("scanned %d files and found no reference %s: not the store's files", files, c.Ref)
	}
}

func TestCasesSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := mustOpenDir(t, dir)
	s := mustStoreOn(t, db)
	var written []*Case
	for _, a := range []Actor{ana, bea, carla} {
		written = append(written, mustSensitiveCase(t, s, a))
	}
	granted, err := s.Grant(ctx, bea, written[1].ID, "u-lawyer", "lawyer", testNow.Add(48*time.Hour), allowAll)
	if err != nil {
		t.Fatal(err)
	}
	written[1] = granted
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}

	db = mustOpenDir(t, dir)
	defer db.Close(ctx)
	s = mustStoreOn(t, db)
	for _, w := range written {
		got, err := s.Case(ctx, w.ID, allowAll)
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("case %s after restart (-before +after):\n%s", w.Ref, diff)
		}
	}
	l := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}, {Kind: "granted", Org: "LIM", User: "u-lawyer"}}})
	if diff := cmp.Diff([]string{written[1].Ref, written[0].Ref}, refs(l)); diff != "" {
		t.Errorf("LIM list after restart (-want +got):\n%s", diff)
	}
	// The counters survived too: numbering goes on.
	if c := mustCreate(t, s, ana, validInput()); c.Ref != refOf("LIM", 3) {
		t.Errorf("next ref after restart = %s, want %s", c.Ref, refOf("LIM", 3))
	}
}
