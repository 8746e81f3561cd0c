package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// appendConcurrently runs writers goroutines that each append perWriter entries to
// org, the i-th goroutine through logs[i%len(logs)].
func appendConcurrently(t *testing.T, logs []*Log, org string, writers, perWriter int) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for w := range writers {
		l := logs[w%len(logs)]
		wg.Go(func() {
			for i := range perWriter {
				_, err := l.Append(context.Background(), Entry{Org: org, Actor: fmt.Sprintf("w%d", w),
					Action: "case.read", Object: fmt.Sprintf("c%d", i), Outcome: "ok"})
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
			}
		})
	}
	return &wg
}

// wantSeqs checks that org holds exactly the seqs n, n-1, …, 1.
func wantSeqs(t *testing.T, l *Log, org string, n int64) {
	t.Helper()
	entries, next, err := l.Entries(context.Background(), Filter{Org: org, Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int64, n)
	for i := range want {
		want[i] = n - int64(i)
	}
	if d := cmp.Diff(want, seqsOf(entries)); d != "" || next != 0 {
		t.Errorf("%s seqs (next %d):\n%s", org, next, d)
	}
}

func TestAppendConcurrent(t *testing.T) {
	l, _ := newTestLog(t)
	cal := appendConcurrently(t, []*Log{l}, "CAL", 8, 25)
	lim := appendConcurrently(t, []*Log{l}, "LIM", 2, 10)
	cal.Wait()
	lim.Wait()
	if d := cmp.Diff(Result{OK: true, Entries: 200}, mustVerify(t, l, "CAL")); d != "" {
		t.Errorf("CAL: %s", d)
	}
	if d := cmp.Diff(Result{OK: true, Entries: 20}, mustVerify(t, l, "LIM")); d != "" {
		t.Errorf("LIM: %s", d)
	}
	wantSeqs(t, l, "CAL", 200)
	wantSeqs(t, l, "LIM", 20)
	orgs, err := l.Orgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"CAL", "LIM"}, orgs); d != "" {
		t.Errorf("Orgs: %s", d)
	}
}

// TestAppendReplicas runs two Logs on one database, as two server replicas would:
// their in-process serialization does not cover each other, so the database's unique
// _id must keep the chain whole.
func TestAppendReplicas(t *testing.T) {
	a, db := newTestLog(t)
	b := NewLog(db.Database, testKey, nil)
	writers := appendConcurrently(t, []*Log{a, b}, "CAL", 8, 25)
	// Verify while the chain grows must never raise a false alarm.
	done := make(chan struct{})
	verifier := make(chan int)
	go func() {
		runs := 0
		defer func() { verifier <- runs }()
		for {
			select {
			case <-done:
				return
			default:
			}
			res, err := a.Verify(context.Background(), "CAL")
			if err != nil || !res.OK {
				t.Errorf("Verify during appends: %+v, %v", res, err)
				return
			}
			runs++
		}
	}()
	writers.Wait()
	close(done)
	if runs := <-verifier; runs == 0 {
		t.Log("no Verify ran during the appends")
	} else {
		t.Logf("%d Verify runs during the appends", runs)
	}
	if d := cmp.Diff(Result{OK: true, Entries: 200}, mustVerify(t, b, "CAL")); d != "" {
		t.Error(d)
	}
	wantSeqs(t, a, "CAL", 200)
}
