package cases

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"registro/audit"
	"registro/database"
	"registro/database/dbtest"
)

// loggedStore is a store whose case writes go to an access log, as in the server.
func loggedStore(tb testing.TB, db *database.DB) (*Store, *audit.Log) {
	tb.Helper()
	s := mustStoreOn(tb, db)
	l := audit.NewLog(db.Database, []byte("registro-test-audit-key-32-bytes"), nil)
	ctx := context.Background()
	if err := s.EnsureIndexes(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := l.EnsureIndexes(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := db.IndexIDs(ctx); err != nil {
		tb.Fatal(err)
	}
	s.SetAccessLog(l)
	if err := s.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	return s, l
}

// mustAgree checks the store as `registro check` does: no intent left, and every list
// and facts document what the cases call for.
func mustAgree(tb testing.TB, s *Store) {
	tb.Helper()
	n, unsettled, err := s.Check(context.Background())
	if err != nil || n != 0 || unsettled != 0 {
		explainDisagreement(tb, s)
		tb.Fatalf("check: %d documents disagree, %d intents unsettled, %v", n, unsettled, err)
	}
}

// explainDisagreement logs the list and facts documents that differ from what the
// cases call for.
func explainDisagreement(tb testing.TB, s *Store) {
	ctx := context.Background()
	lists, facts, err := s.derivedDocs(ctx)
	if err != nil {
		tb.Log(err)
		return
	}
	for _, c := range []struct {
		coll *mongo.Collection
		want map[string]bson.M
	}{{s.lists, lists}, {s.facts, facts}} {
		cur, err := c.coll.Find(ctx, bson.D{})
		if err != nil {
			tb.Log(err)
			return
		}
		for cur.Next(ctx) {
			id, _ := cur.Current.Lookup("_id").StringValueOK()
			w, ok := c.want[id]
			if !ok && !harmless(cur.Current) || ok && !sameDoc(cur.Current, w, true) {
				tb.Logf("differs: %s (wanted: %v) holds %.300s", id, ok, cur.Current.String())
			}
			delete(c.want, id)
		}
		for id := range c.want {
			tb.Logf("missing: %s", id)
		}
	}
}

// logged returns the objects of org's access-log entries with action, in order.
func logged(tb testing.TB, l *audit.Log, org, action string) []string {
	tb.Helper()
	var out []string
	before := int64(0)
	for {
		es, next, err := l.Entries(context.Background(), audit.Filter{Org: org, Action: action, Before: before, Limit: audit.MaxLimit})
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range es {
			out = append(out, e.Object)
		}
		if next == 0 {
			return out
		}
		before = next
	}
}

func mustVerify(tb testing.TB, l *audit.Log, org string) {
	tb.Helper()
	res, err := l.Verify(context.Background(), org)
	if err != nil || !res.OK {
		tb.Fatalf("audit verify %s: %+v, %v", org, res, err)
	}
}

// TestConcurrentWritesShareBatches: twenty clients create at once; every case is
// numbered once, listed, counted and logged, and the writes went to the store in far
// fewer batches than cases.
func TestConcurrentWritesShareBatches(t *testing.T) {
	t.Parallel()
	s, l := loggedStore(t, dbtest.New(t))
	const clients, each = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := range clients {
		a := ana
		if i%2 == 1 {
			a = bea
		}
		wg.Go(func() {
			for range each {
				if _, _, err := s.Create(context.Background(), a, validInput(), ""); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}})
	if len(all) != clients*each {
		t.Fatalf("%d cases listed, want %d", len(all), clients*each)
	}
	want := make([]string, clients*each)
	for i := range want {
		want[i] = refOf("LIM", clients*each-i)
	}
	if diff := cmp.Diff(want, refs(all)); diff != "" {
		t.Errorf("references, newest first (-want +got):\n%s", diff)
	}
	if got := len(logged(t, l, "LIM", "case.create")); got != clients*each {
		t.Errorf("%d case.create entries, want %d", got, clients*each)
	}
	mustVerify(t, l, "LIM")
	mustAgree(t, s)
	s.writer.mu.Lock()
	batches := s.writer.batches
	s.writer.mu.Unlock()
	if batches >= clients*each/2 {
		t.Errorf("%d batches for %d concurrent creates: writes are not grouped", batches, clients*each)
	}
	t.Logf("%d creates in %d batches", clients*each, batches)
}

// TestClientWalksAway: the attacker is a phone that loses its signal at any moment of
// a create. Every case that got stored is complete: listed, counted, logged once.
func TestClientWalksAway(t *testing.T) {
	t.Parallel()
	s, l := loggedStore(t, dbtest.New(t))
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.N(30000))*time.Microsecond)
			defer cancel()
			a := ana
			if i%3 == 0 {
				a = bea
			}
			_, _, _ = s.Create(ctx, a, validInput(), "")
		})
	}
	wg.Wait()
	waitIdle(t, s)
	stored := storedIDs(t, s)
	listed := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}})
	ids := make([]string, len(listed), len(listed)+1)
	for i, e := range listed {
		ids[i] = e.ID
	}
	slices.Sort(ids)
	if diff := cmp.Diff(stored, ids); diff != "" {
		t.Errorf("stored cases missing from the list (-stored +listed):\n%s", diff)
	}
	created := append([]string{}, logged(t, l, "LIM", "case.create")...)
	slices.Sort(created)
	if diff := cmp.Diff(stored, created); diff != "" {
		t.Errorf("stored cases without their log entry (-stored +logged):\n%s", diff)
	}
	mustVerify(t, l, "LIM")
	mustAgree(t, s)
	t.Logf("%d of 60 abandoned creates were stored, all complete", len(stored))
}

// waitIdle waits until the committer has nothing queued or running.
func waitIdle(tb testing.TB, s *Store) {
	tb.Helper()
	for range 500 {
		s.writer.mu.Lock()
		idle := !s.writer.running && len(s.writer.queue) == 0
		s.writer.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatal("the committer did not finish")
}

func storedIDs(tb testing.TB, s *Store) []string {
	tb.Helper()
	ids := []string{}
	if err := s.eachCase(context.Background(), func(d *caseDoc) error {
		if d.Erased == nil {
			ids = append(ids, d.ID)
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// TestRecoverSettlesIntents: a crash after the case documents were stored but before
// their lists, facts and log entries (the batch's state is rebuilt by hand here), and a
// crash before a case was stored. Start completes the first and drops the second.
func TestRecoverSettlesIntents(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s, l := loggedStore(t, db)
	ctx := context.Background()
	kept := mustCreate(t, s, ana, validInput())

	// A create and an update that reached the cases, a create that did not.
	made := prepared(t, s, ana)
	upd, err := s.load(ctx, kept.ID)
	if err != nil {
		t.Fatal(err)
	}
	old := *upd
	upd.Version++
	upd.Response.Status = "closed"
	upd.Period = Period{Year: "2026", Quarter: "2026-Q1", Month: "2026-02"}
	upd.Incident.Date = "2026-02-10"
	lost := prepared(t, s, bea)
	ops := []*writeOp{
		{kind: opCreate, doc: made, entry: ana.entry("case.create", made.ID, "")},
		{kind: opReplace, doc: upd, old: &old, entry: bea.entry("case.update", kept.ID, kept.Ref)},
		{kind: opCreate, doc: lost, entry: bea.entry("case.create", lost.ID, "")},
	}
	live := s.writeIntents(ctx, ops, s.now())
	if len(live) != 3 {
		t.Fatalf("%d intents written, want 3", len(live))
	}
	if written := s.writeCases(ctx, live[:2]); len(written) != 2 {
		t.Fatalf("%d cases written, want 2", len(written))
	}
	// The crash: nothing else happened. A check sees the damage.
	if n, unsettled, err := s.Check(ctx); err != nil || n == 0 || unsettled != 3 {
		t.Fatalf("check before recovery: %d disagree, %d unsettled, %v; want damage and 3 intents", n, unsettled, err)
	}

	// A new process on the same store.
	s2, l2 := loggedStore(t, db)
	mustAgree(t, s2)
	listed := refs(mustList(t, s2, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}}))
	if diff := cmp.Diff([]string{made.Ref, kept.Ref}, listed); diff != "" {
		t.Errorf("listed after recovery (-want +got):\n%s", diff)
	}
	got, err := s2.Case(ctx, kept.ID, allowAll)
	if err != nil || got.Response.Status != "closed" {
		t.Fatalf("updated case after recovery: %v, %v", got, err)
	}
	if fs := servedFacts(t, s2, "LIM", []string{"2026-05"}); len(fs) != 1 || fs[made.ID].Subject != made.Subject {
		t.Errorf("May facts after recovery: %v, want only the recovered create", fs)
	}
	if fs := servedFacts(t, s2, "LIM", []string{"2026-02"}); len(fs) != 1 {
		t.Errorf("February facts after recovery: %v, want the moved case", fs)
	}
	if _, err := s2.load(ctx, lost.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the create that never reached the cases exists: %v", err)
	}
	if got := logged(t, l2, "LIM", "case.create"); !slices.Contains(got, made.ID) || slices.Contains(got, lost.ID) {
		t.Errorf("case.create entries after recovery: %v", got)
	}
	if got := logged(t, l2, "LIM", "case.update"); len(got) != 1 {
		t.Errorf("case.update entries after recovery: %v, want one", got)
	}
	mustVerify(t, l, "LIM")
}

// prepared is a sealed new case of a, as Create hands it to the committer.
func prepared(tb testing.TB, s *Store, a Actor) *caseDoc {
	tb.Helper()
	c, _, err := s.newCase(a, validInput(), testNow)
	if err != nil {
		tb.Fatal(err)
	}
	if c.Subject, err = RandomPseudonym(); err != nil {
		tb.Fatal(err)
	}
	d, err := s.sealNew(c)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestDocumentsStayBounded: 250 cases by one worker on one day (an import) fill list
// chunks of at most listChunk entries; a write costs the same at the 250th case as at
// the first.
func TestDocumentsStayBounded(t *testing.T) {
	t.Parallel()
	s, _ := loggedStore(t, dbtest.New(t))
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 25 {
				if _, _, err := s.Create(ctx, ana, validInput(), ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	cur, err := s.lists.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string            `bson:"_id"`
		E  map[string][]byte `bson:"e"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	largest, chunks := 0, 0
	for _, d := range docs {
		largest = max(largest, len(d.E))
		if len(d.E) > 0 {
			chunks++
		}
	}
	if largest > listChunk {
		t.Errorf("a list document holds %d entries, more than %d", largest, listChunk)
	}
	if chunks < 6 { // 3 of the organization's list, 3 of ana's
		t.Errorf("%d list chunks for 250 cases in two lists, want at least 6", chunks)
	}
	// Paging through ana's list crosses chunks without losing or repeating a case.
	seen := map[string]bool{}
	cursor := ""
	for {
		page, next, err := s.List(ctx, ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: ana.UserID}}, Limit: 40, Cursor: cursor, Allow: seeAll})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if seen[e.ID] {
				t.Fatalf("%s listed twice", e.Ref)
			}
			seen[e.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 250 {
		t.Errorf("paging listed %d cases, want 250", len(seen))
	}
	mustAgree(t, s)
}

// TestQueryPathAgreesWithChunks: the lists and facts another store reads by query
// from the cases are the ones the embedded store keeps in chunks.
func TestQueryPathAgreesWithChunks(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s, _ := loggedStore(t, db)
	if !s.derived {
		t.Skip("the store under test lists by query already")
	}
	ctx := context.Background()
	var made []*Case
	for i := range 30 {
		a := []Actor{ana, bea, carla}[i%3]
		in := validInput()
		in.Consent.Statistics = i%4 != 0
		if i%5 == 0 {
			in.Incident.Date, in.Incident.DatePrecision = "2026", "year"
		}
		made = append(made, mustCreate(t, s, a, in))
	}
	for i, c := range made[:12] {
		a := []Actor{ana, bea, carla}[i%3]
		switch i % 4 {
		case 0:
			if _, err := s.Erase(ctx, a, c.ID, allowAll); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := s.Grant(ctx, a, c.ID, "u-lawyer", "lawyer", testNow.Add(time.Hour), allowAll); err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := s.Update(ctx, a, c.ID, Patch{Version: ptr(c.Version), Incident: &IncidentPatch{Date: ptr("2026-03-03")}}, allowAll); err != nil {
				t.Fatal(err)
			}
		}
	}
	q := mustStoreOn(t, db)
	q.derived = false
	for _, sources := range [][]Source{
		{{Kind: "org", Org: "LIM"}}, {{Kind: "org", Org: "CAL"}},
		{{Kind: "own", Org: "LIM", User: ana.UserID}},
		{{Kind: "own", Org: "LIM", User: bea.UserID}, {Kind: "granted", Org: "LIM", User: "u-lawyer"}},
		{{Kind: "granted", Org: "LIM", User: "u-lawyer"}, {Kind: "granted", Org: "CAL", User: "u-lawyer"}},
	} {
		var pages [2][]string
		for i, st := range []*Store{s, q} {
			cursor := ""
			for {
				page, next, err := st.List(ctx, ListQuery{Sources: sources, Limit: 4, Cursor: cursor, Allow: seeAll})
				if err != nil {
					t.Fatal(err)
				}
				pages[i] = append(pages[i], refs(page)...)
				if next == "" {
					break
				}
				cursor = next
			}
		}
		if diff := cmp.Diff(pages[0], pages[1]); diff != "" {
			t.Errorf("%v: chunks and query differ (-chunks +query):\n%s", sources, diff)
		}
	}
	for _, org := range []string{"LIM", "CAL"} {
		periods := []string{"2026-03", "2026-05", "2026"}
		if diff := cmp.Diff(servedFacts(t, s, org, periods), servedFacts(t, q, org, periods)); diff != "" {
			t.Errorf("%s facts: chunks and query differ (-chunks +query):\n%s", org, diff)
		}
	}
}

// externalServers starts a standalone FerretDB (an external store whose updates are
// not atomic, as several servers share one) and returns n case stores on it, each
// with its own client and access log, as n server processes have. It skips in short
// mode.
func externalServers(t *testing.T, n int) ([]*Store, []*audit.Log) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a standalone store")
	}
	var servers []*Store
	var logs []*audit.Log
	for _, db := range dbtest.Shared(t, n) {
		s, l := loggedStore(t, db)
		if s.derived {
			t.Fatal("an external store must be listed by query")
		}
		servers, logs = append(servers, s), append(logs, l)
	}
	return servers, logs
}

// TestSeveralServersOnOneExternalStore: two Registro processes share a standalone
// FerretDB, whose updates are not atomic. Forty concurrent creates all succeed with
// distinct references and are all listed; twenty concurrent follow-ups of one case
// through both servers all land; both access logs write one verified chain.
func TestSeveralServersOnOneExternalStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	servers, logs := externalServers(t, 2)
	const n = 40
	var wg sync.WaitGroup
	created := make(chan *Case, n)
	for i := range n {
		wg.Go(func() {
			c, _, err := servers[i%2].Create(ctx, []Actor{ana, bea}[i%2], validInput(), "")
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			created <- c
		})
	}
	wg.Wait()
	close(created)
	var got []string
	for c := range created {
		got = append(got, c.Ref)
	}
	slices.Sort(got)
	want := make([]string, n)
	for i := range want {
		want[i] = refOf("LIM", i+1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	for i, s := range servers {
		if l := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}}); len(l) != n {
			t.Errorf("server %d lists %d cases, want %d", i, len(l), n)
		}
	}
	target := mustList(t, servers[0], ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}})[0]
	for i := range 20 {
		wg.Go(func() {
			if _, err := servers[i%2].AddFollowup(ctx, bea, target.ID, FollowupInput{Note: fmt.Sprintf("nota %d", i)}, allowAll); err != nil {
				t.Errorf("follow-up %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	c, err := servers[1].Case(ctx, target.ID, allowAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Followups) != 20 || c.Version != 21 {
		t.Errorf("%d follow-ups at version %d, want 20 at 21", len(c.Followups), c.Version)
	}
	if got := logged(t, logs[0], "LIM", "case.create"); len(got) != n {
		t.Errorf("%d case.create entries, want %d", len(got), n)
	}
	mustVerify(t, logs[1], "LIM")
	for _, s := range servers {
		mustAgree(t, s)
	}
}

// TestStartMigratesEarlierLayout: a store written by the previous version (day and
// month buckets, one packed facts document per month, cases without reference order
// or chunk positions) is brought to the current layout at the next start.
func TestStartMigratesEarlierLayout(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s, _ := loggedStore(t, db)
	ctx := context.Background()
	c1, c2 := mustCreate(t, s, ana, validInput()), mustCreate(t, s, bea, validInput())
	// What the earlier version left: no refn or pos on the cases, its own documents.
	if _, err := s.cases.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$unset", Value: bson.D{{Key: "refn", Value: ""}, {Key: "pos", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	for _, coll := range []*mongo.Collection{s.lists, s.facts} {
		if _, err := coll.DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	}
	old := []any{
		bson.D{{Key: "_id", Value: "o|LIM"}, {Key: "periods", Value: bson.A{"2026-12-02"}}},
		bson.D{{Key: "_id", Value: "o|LIM|2026-12-02"}, {Key: "e", Value: bson.D{{Key: c1.ID, Value: []byte{1}}}}},
		bson.D{{Key: "_id", Value: "u|LIM|u-ana"}, {Key: "periods", Value: bson.A{"2026-12"}}},
		bson.D{{Key: "_id", Value: "u|LIM|u-ana|2026-12"}, {Key: "e", Value: bson.D{{Key: c1.ID, Value: []byte{1}}}}},
	}
	if _, err := s.lists.InsertMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.facts.InsertOne(ctx, bson.D{{Key: "_id", Value: "f|LIM|2026-05"}, {Key: "rev", Value: 3}, {Key: "data", Value: []byte{5, 0, 0, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.counters.DeleteOne(ctx, bson.D{{Key: "_id", Value: "layout"}}); err != nil {
		t.Fatal(err)
	}

	s2, _ := loggedStore(t, db)
	mustAgree(t, s2)
	if got := refs(mustList(t, s2, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}})); !slices.Equal(got, []string{c2.Ref, c1.Ref}) {
		t.Errorf("organization list after the migration: %v", got)
	}
	if got := refs(mustList(t, s2, ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: ana.UserID}}})); !slices.Equal(got, []string{c1.Ref}) {
		t.Errorf("ana's list after the migration: %v", got)
	}
	if fs := servedFacts(t, s2, "LIM", []string{"2026-05"}); len(fs) != 2 {
		t.Errorf("facts after the migration: %v", fs)
	}
	// Writes go on in the new layout.
	c3 := mustCreate(t, s2, ana, validInput())
	if got := refs(mustList(t, s2, ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: ana.UserID}}})); !slices.Equal(got, []string{c3.Ref, c1.Ref}) {
		t.Errorf("ana's list after a new case: %v", got)
	}
	mustAgree(t, s2)
}
