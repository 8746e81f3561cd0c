package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database"
	"registro/database/dbtest"
)

// clock is a deterministic, concurrency-safe now: each call is step later, with a
// sub-millisecond part so that truncation is exercised.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 5, 14, 10, 0, 0, 123_456_789, time.UTC), step: time.Minute}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// testKey is the access log's key in tests: 32 printable bytes, so that a hash can be
// recomputed outside Go (openssl dgst -sha256 -hmac registro-test-audit-key-32-bytes).
var testKey = []byte("registro-test-audit-key-32-bytes")

func newTestLog(tb testing.TB) (*Log, *database.DB) {
	tb.Helper()
	db := dbtest.New(tb)
	l := NewLog(db.Database, testKey, newClock().now)
	if err := l.EnsureIndexes(context.Background()); err != nil {
		tb.Fatalf("EnsureIndexes: %v", err)
	}
	return l, db
}

func mustAppend(tb testing.TB, l *Log, e Entry) Entry {
	tb.Helper()
	got, err := l.Append(context.Background(), e)
	if err != nil {
		tb.Fatalf("Append(%+v): %v", e, err)
	}
	return got
}

// seed appends n entries to org whose fields vary with seq i: action cycles through
// case.read, case.list, login; actor through u1, u2; object through case-0..case-4;
// odd seqs are denied.
func seed(tb testing.TB, l *Log, org string, n int) []Entry {
	tb.Helper()
	actions := []string{"case.read", "case.list", "login"}
	out := make([]Entry, 0, n)
	for i := 1; i <= n; i++ {
		outcome := "ok"
		if i%2 == 1 {
			outcome = "denied"
		}
		out = append(out, mustAppend(tb, l, Entry{
			Org: org, Actor: fmt.Sprintf("u%d", i%2+1), ActorName: "rosa",
			Action: actions[i%3], Object: fmt.Sprintf("case-%d", i%5),
			Outcome: outcome, Client: "192.0.2.10", Detail: fmt.Sprintf("n=%d", i),
		}))
	}
	return out
}

func mustVerify(tb testing.TB, l *Log, org string) Result {
	tb.Helper()
	res, err := l.Verify(context.Background(), org)
	if err != nil {
		tb.Fatalf("Verify(%s): %v", org, err)
	}
	return res
}

// rawEntry reads an entry document directly, as a tamperer would.
func rawEntry(tb testing.TB, db *database.DB, org string, seq int64) stored {
	tb.Helper()
	var s stored
	err := db.Collection("audit").FindOne(context.Background(),
		bson.D{{Key: "_id", Value: entryID(org, seq)}}).Decode(&s)
	if err != nil {
		tb.Fatalf("read entry %d: %v", seq, err)
	}
	s.Time = s.Time.UTC()
	return s
}

func seqsOf(entries []Entry) []int64 {
	out := make([]int64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}
