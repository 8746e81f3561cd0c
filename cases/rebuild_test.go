package cases

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// listView is what every list shows, as "ref status" lines per list.
func listView(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	view := map[string][]string{}
	for name, src := range map[string]Source{
		"org":     {Kind: "org", Org: "LIM"},
		"ana":     {Kind: "own", Org: "LIM", User: ana.UserID},
		"bea":     {Kind: "own", Org: "LIM", User: bea.UserID},
		"granted": {Kind: "granted", Org: "LIM", User: "u-lawyer"},
	} {
		view[name] = []string{}
		for _, e := range mustList(t, s, ListQuery{Sources: []Source{src}}) {
			view[name] = append(view[name], e.Ref+" "+e.Status)
		}
	}
	return view
}

func mustRebuild(t *testing.T, s *Store, want int) {
	t.Helper()
	if n, err := s.RebuildLists(context.Background()); err != nil || n != want {
		t.Fatalf("RebuildLists = %d, %v; want %d fixed", n, err, want)
	}
}

// listWrite changes a list document by hand, as a crash or a bug would leave it.
func listWrite(t *testing.T, s *Store, id string, update bson.D) {
	t.Helper()
	_, err := s.lists.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}}, update, options.UpdateOne().SetUpsert(true))
	if err != nil {
		t.Fatal(err)
	}
}

func entry(t *testing.T, sum Summary) bson.D {
	t.Helper()
	b, err := bson.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	return bson.D{{Key: "$set", Value: bson.D{{Key: "e." + sum.ID, Value: b}}}}
}

func TestRebuildListsRepairs(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	mustCreate(t, s, ana, validInput())
	c2 := mustCreate(t, s, bea, validInput())
	c3 := mustCreate(t, s, ana, validInput())
	erased := mustCreate(t, s, ana, validInput())
	if _, err := s.Grant(ctx, bea, c3.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFollowup(ctx, bea, c2.ID, FollowupInput{Note: "visita"}, allowAll); err != nil {
		t.Fatal(err)
	}
	erasedDoc, err := s.load(ctx, erased.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erase(ctx, bea, erased.ID, allowAll); err != nil {
		t.Fatal(err)
	}
	want := listView(t, s)
	// Lists kept by the store's own writes are what the cases call for.
	mustRebuild(t, s, 0)

	if _, err := s.lists.DeleteOne(ctx, bson.D{{Key: "_id", Value: orgChunkOf(&caseDoc{Org: "LIM", Ref: c2.Ref})}}); err != nil { // lost chunk
		t.Fatal(err)
	}
	if _, err := s.lists.DeleteOne(ctx, bson.D{{Key: "_id", Value: "g|LIM|u-lawyer"}}); err != nil { // lost grant list
		t.Fatal(err)
	}
	listWrite(t, s, "u|LIM|u-ana|0", entry(t, summarize(erasedDoc))) // erased case still listed
	c2Doc, err := s.load(ctx, c2.ID)
	if err != nil {
		t.Fatal(err)
	}
	stale := summarize(c2Doc)
	stale.Status = "closed"
	listWrite(t, s, "u|LIM|u-bea|0", entry(t, stale)) // status changed by hand
	listWrite(t, s, "o|LIM", bson.D{{Key: "$addToSet", Value: bson.D{{Key: "years", Value: 1999}}}})
	listWrite(t, s, "o|LIM|1999|0", bson.D{{Key: "$set", Value: bson.D{{Key: "e", Value: bson.D{}}}}}) // stray chunk
	if _, err := s.lists.InsertOne(ctx, bson.D{{Key: "_id", Value: 42}}); err != nil {                 // not a list at all
		t.Fatal(err)
	}
	broken := listView(t, s)
	if diff := cmp.Diff(want, broken); diff == "" {
		t.Fatal("the corruption did not show in the lists")
	}

	// Fixed: the org chunk, the grant list, ana's and bea's chunks and the org
	// directory are rewritten; the stray chunk and the non-list are deleted.
	mustRebuild(t, s, 7)
	if diff := cmp.Diff(want, listView(t, s)); diff != "" {
		t.Errorf("lists after rebuild (-want +got):\n%s", diff)
	}
	mustRebuild(t, s, 0)
}

func TestRebuildListsDropsEmptyLists(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	c := mustCreate(t, s, ana, validInput())
	if _, err := s.Grant(ctx, ana, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erase(ctx, ana, c.ID, allowAll); err != nil {
		t.Fatal(err)
	}
	// Left empty by the erase: the year directory, the head of ana's list, two chunks
	// and the grant list.
	mustRebuild(t, s, 5)
	if n := mustCount(t, s.lists); n != 0 {
		t.Errorf("%d list documents left, want none", n)
	}
	mustRebuild(t, s, 0)
	// The directories lost their month: the next case must put it back.
	next := mustCreate(t, s, ana, validInput())
	want := map[string][]string{"org": {next.Ref + " open"}, "ana": {next.Ref + " open"}, "bea": {}, "granted": {}}
	if diff := cmp.Diff(want, listView(t, s)); diff != "" {
		t.Errorf("lists after a create (-want +got):\n%s", diff)
	}
	mustRebuild(t, s, 0)
}
