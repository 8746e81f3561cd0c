package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database"
	"registro/validation"
)

// allSeqs returns every seq stored for org, sorted, read straight from the collection.
func allSeqs(t *testing.T, db *database.DB, org string) []int64 {
	t.Helper()
	cur, err := db.Collection("audit").Find(context.Background(), bson.D{{Key: "org", Value: org}})
	if err != nil {
		t.Fatal(err)
	}
	var docs []stored
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	seqs := make([]int64, len(docs))
	for i, d := range docs {
		seqs[i] = d.Seq
	}
	slices.Sort(seqs)
	return seqs
}

// oneTo returns 1, 2, …, n.
func oneTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// storedHead reads org's head document.
func storedHead(t *testing.T, l *Log, org string) head {
	t.Helper()
	h, found, err := l.head(context.Background(), org)
	if err != nil || !found {
		t.Fatalf("head of %s: found %v, %v", org, found, err)
	}
	return h
}

// TestAppendGroupCommit has many requests append at once through one Log: they must
// share inserts, and the chain must come out whole.
func TestAppendGroupCommit(t *testing.T) {
	const writers, perWriter = 50, 40
	l, db := newTestLog(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			var last int64
			for i := range perWriter {
				e, err := l.Append(context.Background(), Entry{Org: "CAL", Actor: fmt.Sprintf("w%d", w),
					Action: "case.read", Object: fmt.Sprintf("c%d", i), Outcome: "ok"})
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
				// One writer's appends follow each other, so their seqs increase.
				if e.Seq <= last {
					t.Errorf("writer %d: seq %d after %d", w, e.Seq, last)
				}
				last = e.Seq
			}
		})
	}
	wg.Wait()
	const n = writers * perWriter
	if d := cmp.Diff(oneTo(n), allSeqs(t, db, "CAL")); d != "" {
		t.Errorf("seqs:\n%s", d)
	}
	if d := cmp.Diff(Result{OK: true, Entries: n}, mustVerify(t, l, "CAL")); d != "" {
		t.Error(d)
	}
	if h := storedHead(t, l, "CAL"); h.Seq != n || h.Hash != rawEntry(t, db, "CAL", n).Hash {
		t.Errorf("head %+v, want seq %d with its hash", h, n)
	}
	inserts := l.inserts.Load()
	t.Logf("%d entries in %d inserts", n, inserts)
	if inserts > n/10 {
		t.Errorf("%d inserts for %d concurrent appends, want at most %d", inserts, n, n/10)
	}
}

// TestAppendReplicasBatched runs two Logs on one database, as two server replicas
// would, with single and multi-organization appends to the same chains: their batches
// collide on seqs, and the database's unique _id must keep both chains whole.
func TestAppendReplicasBatched(t *testing.T) {
	const writers, perWriter = 12, 15
	a, db := newTestLog(t)
	b := NewLog(db.Database, testKey, nil)
	var wg sync.WaitGroup
	for w := range writers {
		l := []*Log{a, b}[w%2]
		wg.Go(func() {
			for i := range perWriter {
				var err error
				if i%3 == 0 {
					_, err = l.AppendMany(context.Background(), []Entry{
						{Org: "CAL", Action: "case.update", Object: fmt.Sprintf("w%d-%d", w, i)},
						{Org: "LIM", Action: "case.update", Object: fmt.Sprintf("w%d-%d", w, i)},
						{Org: "CAL", Action: "case.read", Object: fmt.Sprintf("w%d-%d", w, i)},
					})
				} else {
					_, err = l.Append(context.Background(), Entry{Org: "CAL", Action: "case.read",
						Object: fmt.Sprintf("w%d-%d", w, i)})
				}
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	many := writers * ((perWriter + 2) / 3)
	for org, n := range map[string]int{"CAL": writers*perWriter + many, "LIM": many} {
		if d := cmp.Diff(oneTo(n), allSeqs(t, db, org)); d != "" {
			t.Errorf("%s seqs:\n%s", org, d)
		}
		if d := cmp.Diff(Result{OK: true, Entries: int64(n)}, mustVerify(t, b, org)); d != "" {
			t.Errorf("%s: %s", org, d)
		}
	}
	t.Logf("inserts: %d and %d, of which refused: %d and %d",
		a.inserts.Load(), b.inserts.Load(), a.refused.Load(), b.refused.Load())
}

func TestAppendMany(t *testing.T) {
	l, db := newTestLog(t)
	first := mustAppend(t, l, Entry{Org: "CAL", Action: "login", Outcome: "ok"})
	in := []Entry{
		{Org: "CAL", Action: "case.create", Object: "c1"},
		{Org: "LIM", Action: "case.create", Object: "c2"},
		{Org: "CAL", Action: "case.update", Object: "c1"},
		{Org: "BOG", Action: "case.create", Object: "c3"},
	}
	before := slices.Clone(in)
	inserts := l.inserts.Load()
	got, err := l.AppendMany(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if n := l.inserts.Load() - inserts; n != 1 {
		t.Errorf("%d inserts, want 1", n)
	}
	if d := cmp.Diff(before, in); d != "" {
		t.Errorf("the caller's entries changed:\n%s", d)
	}
	type link struct {
		Org    string
		Seq    int64
		Object string
		Prev   string
	}
	var links []link
	for _, e := range got {
		links = append(links, link{e.Org, e.Seq, e.Object, e.Prev})
		if e.Hash != hashKeyed(testKey, e) || e.Version != versionKeyed {
			t.Errorf("%s %d: hash %s does not match", e.Org, e.Seq, e.Hash)
		}
		// What AppendMany returns is what was stored.
		if d := cmp.Diff(e, rawEntry(t, db, e.Org, e.Seq).Entry); d != "" {
			t.Errorf("stored %s %d:\n%s", e.Org, e.Seq, d)
		}
	}
	want := []link{
		{"CAL", 2, "c1", first.Hash},
		{"LIM", 1, "c2", ""},
		{"CAL", 3, "c1", got[0].Hash},
		{"BOG", 1, "c3", ""},
	}
	if d := cmp.Diff(want, links); d != "" {
		t.Errorf("appended:\n%s", d)
	}
	for org, n := range map[string]int64{"CAL": 3, "LIM": 1, "BOG": 1} {
		if d := cmp.Diff(Result{OK: true, Entries: n}, mustVerify(t, l, org)); d != "" {
			t.Errorf("%s: %s", org, d)
		}
		if h := storedHead(t, l, org); h.Seq != n {
			t.Errorf("%s head at %d, want %d", org, h.Seq, n)
		}
	}

	empty, err := l.AppendMany(context.Background(), nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("AppendMany(nil) = %v, %v", empty, err)
	}
	_, err = l.AppendMany(context.Background(), []Entry{{Org: "CAL", Action: "login"}, {Org: "LIM"}, {Action: "x"}})
	var verr *validation.Error
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v, want *validation.Error", err)
	}
	if d := cmp.Diff(map[string]string{"1.action": "required", "2.org": "required"}, verr.Messages()); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(oneTo(3), allSeqs(t, db, "CAL")); d != "" {
		t.Errorf("an invalid AppendMany appended:\n%s", d)
	}
}

// TestAppendManyAfterOtherWriter has another Log take the seq this Log expects next,
// in the middle of a batch: the entries before the refused one stay committed, and the
// refused one and those after it, of both organizations, go in on the retry.
func TestAppendManyAfterOtherWriter(t *testing.T) {
	a, db := newTestLog(t)
	b := NewLog(db.Database, testKey, nil)
	seed(t, a, "CAL", 2)
	if e := mustAppend(t, b, Entry{Org: "CAL", Action: "login"}); e.Seq != 3 {
		t.Fatalf("other writer got seq %d, want 3", e.Seq)
	}
	inserts := a.inserts.Load()
	got, err := a.AppendMany(context.Background(), []Entry{
		{Org: "LIM", Action: "case.read"},
		{Org: "CAL", Action: "case.read"}, // refused at seq 3
		{Org: "LIM", Action: "case.read"},
		{Org: "CAL", Action: "case.read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		Org string
		Seq int64
	}
	var places []place
	for _, e := range got {
		places = append(places, place{e.Org, e.Seq})
	}
	if d := cmp.Diff([]place{{"LIM", 1}, {"CAL", 4}, {"LIM", 2}, {"CAL", 5}}, places); d != "" {
		t.Errorf("appended:\n%s", d)
	}
	if n := a.inserts.Load() - inserts; n != 2 {
		t.Errorf("%d inserts, want 2 (one refused)", n)
	}
	// The chain position is known now: the next append needs one insert.
	inserts = a.inserts.Load()
	if e := mustAppend(t, a, Entry{Org: "CAL", Action: "logout"}); e.Seq != 6 {
		t.Errorf("next seq %d, want 6", e.Seq)
	}
	if n := a.inserts.Load() - inserts; n != 1 {
		t.Errorf("%d inserts, want 1", n)
	}
	for org, n := range map[string]int64{"CAL": 6, "LIM": 2} {
		if d := cmp.Diff(Result{OK: true, Entries: n}, mustVerify(t, b, org)); d != "" {
			t.Errorf("%s: %s", org, d)
		}
	}
}

// appendResult is the outcome of an asynchronous Append.
type appendResult struct {
	e   Entry
	err error
}

// appendAsync starts an Append of a login by object and returns where its outcome
// will arrive.
func appendAsync(ctx context.Context, l *Log, object string) <-chan appendResult {
	out := make(chan appendResult, 1)
	go func() {
		e, err := l.Append(ctx, Entry{Org: "CAL", Action: "login", Object: object})
		out <- appendResult{e, err}
	}()
	return out
}

// waitQueued waits until n requests wait in l's queue.
func waitQueued(t *testing.T, l *Log, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		queued := len(l.queue)
		l.mu.Unlock()
		if queued == n {
			return
		}
	}
	t.Fatalf("never %d requests queued", n)
}

// receive returns the outcome from out, failing the test if it takes long.
func receive(t *testing.T, out <-chan appendResult, what string) appendResult {
	t.Helper()
	select {
	case r := <-out:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer", what)
		return appendResult{}
	}
}

// TestAppendCancelledWhileWaiting holds batches at their insert, and cancels one
// caller whose entry is still queued and one whose entry is in the batch under way:
// both return at once; the first entry is never written, the second is written whole,
// and the others' batch is not disturbed.
func TestAppendCancelledWhileWaiting(t *testing.T) {
	l, db := newTestLog(t)
	reached := make(chan int) // the size of each batch that reaches its insert
	release := make(chan struct{})
	l.insertMany = func(ctx context.Context, docs []any) error {
		reached <- len(docs)
		<-release
		return l.insertEntries(ctx, docs)
	}

	a := appendAsync(context.Background(), l, "a")
	if n := <-reached; n != 1 {
		t.Fatalf("first batch of %d, want 1", n)
	}
	queuedCtx, cancelQueued := context.WithCancel(context.Background())
	queued := appendAsync(queuedCtx, l, "queued")
	waitQueued(t, l, 1)
	takenCtx, cancelTaken := context.WithCancel(context.Background())
	taken := appendAsync(takenCtx, l, "taken")
	waitQueued(t, l, 2)
	b := appendAsync(context.Background(), l, "b")
	waitQueued(t, l, 3)

	cancelQueued()
	if r := receive(t, queued, "queued"); !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled queued Append: %+v, want context.Canceled", r)
	}
	release <- struct{}{}
	if r := receive(t, a, "a"); r.err != nil || r.e.Seq != 1 {
		t.Errorf("a: %+v", r)
	}
	if n := <-reached; n != 2 {
		t.Errorf("second batch of %d, want 2 (taken and b)", n)
	}
	cancelTaken()
	if r := receive(t, taken, "taken"); !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled Append in a batch: %+v, want context.Canceled", r)
	}
	release <- struct{}{}
	if r := receive(t, b, "b"); r.err != nil || r.e.Seq != 3 {
		t.Errorf("b: %+v", r)
	}

	if d := cmp.Diff(Result{OK: true, Entries: 3}, mustVerify(t, l, "CAL")); d != "" {
		t.Error(d)
	}
	var objects []string
	for seq := int64(1); seq <= 3; seq++ {
		objects = append(objects, rawEntry(t, db, "CAL", seq).Object)
	}
	if d := cmp.Diff([]string{"a", "taken", "b"}, objects); d != "" {
		t.Errorf("stored:\n%s", d)
	}
}

// TestAppendUnknownFailure has the insert of a batch fail with an error that leaves
// unknown what went in (here: it did). The callers get the error; the chain is read
// again before the next append, which then continues after the entry that did go in.
func TestAppendUnknownFailure(t *testing.T) {
	l, _ := newTestLog(t)
	seed(t, l, "CAL", 3)
	var lost atomic.Bool
	errLost := errors.New("connection reset")
	l.insertMany = func(ctx context.Context, docs []any) error {
		if err := l.insertEntries(ctx, docs); err != nil || !lost.Load() {
			return err
		}
		return errLost
	}
	lost.Store(true)
	if _, err := l.AppendMany(context.Background(), []Entry{
		{Org: "CAL", Action: "case.read"}, {Org: "LIM", Action: "case.read"},
	}); !errors.Is(err, errLost) {
		t.Fatalf("error = %v, want %v", err, errLost)
	}
	lost.Store(false)
	for org, want := range map[string]int64{"CAL": 5, "LIM": 2} {
		if e := mustAppend(t, l, Entry{Org: org, Action: "logout"}); e.Seq != want {
			t.Errorf("%s: next seq %d, want %d", org, e.Seq, want)
		}
		if d := cmp.Diff(Result{OK: true, Entries: want}, mustVerify(t, l, org)); d != "" {
			t.Errorf("%s: %s", org, d)
		}
	}
}
