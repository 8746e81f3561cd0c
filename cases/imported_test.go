package cases

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"registro/audit"
	"registro/database/dbtest"
)

// importSource is where the tests' imported rows come from.
var importSource = Imported{File: "registro-2021.xlsx", Row: 7, Batch: "b1", ConsentSource: "Solo registro: así lo aceptaron en 2021."}

func TestImportIsOncePerRow(t *testing.T) {
	ctx := context.Background()
	s, l := loggedStore(t, dbtest.New(t))
	content := []string{"15/03/2021", "MAJO1585", "SJL", "calle"}
	key, err := s.ImportKey(ctx, bea.Org, "mapping-1", content)
	if err != nil {
		t.Fatal(err)
	}
	if was, err := s.WasImported(ctx, key); err != nil || was {
		t.Fatalf("WasImported before the import = %v, %v; want false", was, err)
	}
	first, existed, err := s.Import(ctx, bea, validInput(), importSource, key)
	if err != nil || existed {
		t.Fatalf("first Import = %v, %v", existed, err)
	}
	if first.Imported == nil || *first.Imported != importSource {
		t.Fatalf("Imported = %+v; want %+v", first.Imported, importSource)
	}
	stored, err := s.Case(ctx, first.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Imported == nil || stored.Imported.Row != 7 || stored.Imported.File != importSource.File {
		t.Fatalf("stored Imported = %+v", stored.Imported)
	}
	if was, err := s.WasImported(ctx, key); err != nil || !was {
		t.Fatalf("WasImported after the import = %v, %v; want true", was, err)
	}

	// The same row again, by another coordinator, a year later, with another consent
	// statement: the case made the first time, nothing new.
	other := bea
	other.UserID, other.Username = "u-eva", "eva"
	s.SetClock(func() time.Time { return testNow.AddDate(1, 0, 0) })
	if n, err := s.ForgetIdempotencyKeys(ctx); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Fatalf("ForgetIdempotencyKeys removed %d records; an import's are kept", n)
	}
	src := importSource
	src.ConsentSource = "otra"
	again, existed, err := s.Import(ctx, other, validInput(), src, key)
	if err != nil || !existed || again.ID != first.ID {
		t.Fatalf("second Import = %+v, %v, %v; want case %s, existed", again, existed, err, first.ID)
	}
	list, _, err := s.List(ctx, ListQuery{Limit: 50, Allow: seeAll, Sources: []Source{{Kind: "org", Org: bea.Org}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("the organization lists %d cases; want 1", len(list))
	}

	// Another mapping of the same cells is another key; another organization too.
	if k2, _ := s.ImportKey(ctx, bea.Org, "mapping-2", content); k2 == key {
		t.Fatal("another mapping gives the same key")
	}
	if k3, _ := s.ImportKey(ctx, carla.Org, "mapping-1", content); k3 == key {
		t.Fatal("another organization gives the same key")
	}

	entries, _, err := l.Entries(ctx, audit.Filter{Org: bea.Org, Action: "case.import"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Object != first.ID {
		t.Fatalf("case.import entries = %+v; want one for %s", entries, first.ID)
	}
}

// A survivor asked for her case to be erased: importing the old file again must not
// bring it back.
func TestImportNeverBringsBackAnErasedCase(t *testing.T) {
	ctx := context.Background()
	s, _ := loggedStore(t, dbtest.New(t))
	key, err := s.ImportKey(ctx, bea.Org, "m", []string{"row"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := s.Import(ctx, bea, validInput(), importSource, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erase(ctx, bea, c.ID, allowAll); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Import(ctx, bea, validInput(), importSource, key); !errors.Is(err, ErrErasedSinceImport) {
		t.Fatalf("Import after the erasure = %v; want ErrErasedSinceImport", err)
	}
	if _, err := s.Case(ctx, c.ID, allowAll); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the erased case reads as %v; want ErrNotFound", err)
	}
}

// TestImportTwoServersAtOnce: two servers on one external store (a standalone
// FerretDB, whose updates are not atomic) import the same file at the same moment, in
// opposite orders: two coordinators pressing "Importar" on the same registry. Each row
// becomes one case, the other server is told it exists, no reference is taken twice,
// and every case is listed once.
func TestImportTwoServersAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	servers, _ := externalServers(t, 2)
	one, two := servers[0], servers[1]
	const rows = 12
	keys := make([]string, rows)
	for i := range keys {
		var err error
		if keys[i], err = one.ImportKey(ctx, bea.Org, "m", []string{"fila", strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		if k, err := two.ImportKey(ctx, bea.Org, "m", []string{"fila", strconv.Itoa(i)}); err != nil || k != keys[i] {
			t.Fatalf("the two servers key row %d as %q and %q (%v)", i, keys[i], k, err)
		}
	}
	type result struct {
		id, ref string
		existed bool
	}
	got := [2][rows]result{}
	var wg sync.WaitGroup
	for n, s := range []*Store{one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range rows {
				i := j
				if n == 1 {
					i = rows - 1 - j
				}
				src := importSource
				src.Row = i + 2
				c, existed, err := s.Import(ctx, bea, validInput(), src, keys[i])
				if err != nil {
					t.Errorf("server %d, row %d: %v", n+1, i, err)
					return
				}
				got[n][i] = result{c.ID, c.Ref, existed}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	refs := map[string]bool{}
	for i := range rows {
		a, b := got[0][i], got[1][i]
		if a.id != b.id || a.ref != b.ref {
			t.Errorf("row %d: server 1 has case %s %s, server 2 %s %s; want one case", i, a.id, a.ref, b.id, b.ref)
		}
		if a.existed == b.existed {
			t.Errorf("row %d: existed %v on both servers; want exactly one to create it", i, a.existed)
		}
		refs[a.ref] = true
	}
	if len(refs) != rows {
		t.Errorf("%d references for %d rows", len(refs), rows)
	}
	listed := map[string]int{}
	for _, e := range mustListAll(t, two, Source{Kind: "org", Org: bea.Org}) {
		listed[e.ID]++
	}
	for i := range rows {
		if listed[got[0][i].id] != 1 {
			t.Errorf("row %d's case %s is listed %d times, want once", i, got[0][i].id, listed[got[0][i].id])
		}
	}
	if len(listed) != rows {
		t.Errorf("%d cases listed, want %d", len(listed), rows)
	}
	mustAgree(t, one)
}
