package cases

import (
	"context"
	"errors"
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
