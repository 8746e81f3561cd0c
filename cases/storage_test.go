package cases

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"registro/database/dbtest"
)

func TestDataFilesHoldNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	db := dbtest.OpenDir(t, dir)
	s := mustStoreOn(t, db)
	c := mustSensitiveCase(t, s, ana)
	mustSensitiveCase(t, s, bea)
	if err := db.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The scan must read the data: the reference is stored in clear.
	if found := dbtest.FilesHolding(t, dir, []byte(c.Ref)); len(found) == 0 {
		t.Fatalf("the scan finds no reference %s: it does not read the store's files", c.Ref)
	}
	var markers [][]byte
	for _, m := range []string{narrativeMarker, contactMarker, noteMarker, normalizedUIC, "Zú-ri", "Me golpearon", "Llamamos"} {
		markers = append(markers, []byte(m))
	}
	for _, f := range dbtest.FilesHolding(t, dir, markers...) {
		t.Errorf("in clear: %s", f)
	}
}

func TestCasesSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := dbtest.OpenDir(t, dir)
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

	db = dbtest.OpenDir(t, dir)
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

// TestErasureLeavesNothingInTheFiles: the attacker holds a copy of the data directory,
// taken right after an erasure was answered and again after a clean stop, and the key
// file. Every version the case ever had (its wrapped data key, sealed narrative,
// contact and notes, its pseudonym in clear) and every version of its list entries and
// facts must be gone from every file: with nothing to unwrap, the key file is no help.
// An imported case must also lose where it came from.
func TestErasureLeavesNothingInTheFiles(t *testing.T) {
	dir := t.TempDir()
	db := dbtest.OpenDir(t, dir)
	ctx := context.Background()
	s := mustStoreOn(t, db)
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.IndexIDs(ctx); err != nil {
		t.Fatal(err)
	}
	s.SetPurger(db.Purge)
	mustCreate(t, s, bea, validInput()) // a neighbour that stays

	var needles [][]byte
	collect := func(id string) {
		var doc caseDoc
		if err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{doc.Key.Key, doc.Narrative, doc.Contact} {
			if len(b) > 0 {
				needles = append(needles, []byte(base64.StdEncoding.EncodeToString(b)))
			}
		}
		for _, f := range doc.Followups {
			needles = append(needles, []byte(base64.StdEncoding.EncodeToString(f.Note)))
		}
		needles = append(needles, []byte(doc.Subject))
		for _, coll := range []*mongo.Collection{s.lists, s.facts} {
			cur, err := coll.Find(ctx, bson.D{})
			if err != nil {
				t.Fatal(err)
			}
			for cur.Next(ctx) {
				for _, field := range []string{"e", "f"} {
					if v, err := cur.Current.LookupErr(field, id); err == nil {
						_, b := v.Binary()
						needles = append(needles, []byte(base64.StdEncoding.EncodeToString(b)))
					}
				}
			}
		}
	}
	c := mustSensitiveCase(t, s, ana) // a create and a follow-up: two versions
	collect(c.ID)
	c, err := s.Grant(ctx, ana, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll)
	if err != nil {
		t.Fatal(err)
	}
	collect(c.ID)
	if _, err := s.Update(ctx, ana, c.ID, Patch{Version: ptr(c.Version), Incident: &IncidentPatch{Date: ptr("2026-03-02")}}, allowAll); err != nil {
		t.Fatal(err)
	}
	collect(c.ID)

	scan := func() []string { return dbtest.FilesHolding(t, dir, needles...) }
	// A case imported from an old registry goes the same way: with it, where it came
	// from (the file's row and the statement of consent, kept in clear).
	key, err := s.ImportKey(ctx, bea.Org, "mapping", []string{"fila", "importada"})
	if err != nil {
		t.Fatal(err)
	}
	src := importSource
	src.ConsentSource = "Declaración de consentimiento del registro importado 2019"
	in := validInput()
	in.UIC = "ROJU0392" // another survivor than the neighbour's
	imported, _, err := s.Import(ctx, bea, in, src, key)
	if err != nil {
		t.Fatal(err)
	}
	collect(imported.ID)
	needles = append(needles, []byte(src.ConsentSource))

	// The scan must see the case while it exists, or it proves nothing.
	if found := scan(); len(found) == 0 || !strings.Contains(strings.Join(found, "\n"), src.ConsentSource[:40]) {
		t.Fatalf("the scan finds %d strings of the live cases, not the imported one's source: it does not read the store's files", len(found))
	}
	for _, id := range []string{c.ID, imported.ID} {
		if _, err := s.Erase(ctx, bea, id, allowAll); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range scan() {
		t.Errorf("after the erasure was answered: %s", f)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range scan() {
		t.Errorf("after a clean stop: %s", f)
	}
	t.Logf("%d byte strings of the case's versions searched for", len(needles))
}
