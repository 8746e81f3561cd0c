package audit

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database"
)

// insertChain stores a valid chain of n entries of org directly, in the order of
// seqs given (ascending when nil), with its head: a quick way to a long chain that the
// store keeps out of seq order.
func insertChain(tb testing.TB, db *database.DB, org string, n int, order []int64) {
	tb.Helper()
	chain := make([]stored, n)
	prev := ""
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range chain {
		seq := int64(i + 1)
		e := Entry{Seq: seq, Org: org, Time: t0.Add(time.Duration(i) * time.Second),
			Actor: "u1", Action: "case.read", Outcome: "ok", Prev: prev, Version: versionKeyed}
		e.Hash = hashKeyed(testKey, e)
		prev = e.Hash
		chain[i] = stored{ID: entryID(org, seq), Entry: e}
	}
	if order == nil {
		for i := range n {
			order = append(order, int64(i+1))
		}
	}
	docs := make([]any, len(order))
	for i, seq := range order {
		docs[i] = chain[seq-1]
	}
	ctx := context.Background()
	for start := 0; start < len(docs); start += 500 {
		if _, err := db.Collection("audit").InsertMany(ctx, docs[start:min(start+500, len(docs))]); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := db.Collection("audit_heads").InsertOne(ctx, head{Org: org, Seq: int64(n), Hash: prev}); err != nil {
		tb.Fatal(err)
	}
}

// TestVerifyStoreOrder checks chains that the store returns out of seq order: Verify
// reads them unsorted through a bounded buffer, and sorted only when that overflows.
func TestVerifyStoreOrder(t *testing.T) {
	const org = "CAL"
	long := maxPending + 200
	var shuffled, reversed []int64
	for start := 1; start <= 300; start += 50 {
		for i := 49; i >= 0; i -= 2 { // evens descending, then odds descending
			shuffled = append(shuffled, int64(start+i))
		}
		for i := 48; i >= 0; i -= 2 {
			shuffled = append(shuffled, int64(start+i))
		}
	}
	for seq := long; seq >= 1; seq-- {
		reversed = append(reversed, int64(seq))
	}
	for _, tc := range []struct {
		name   string
		n      int
		order  []int64
		tamper func(testing.TB, *database.DB)
		want   Result
	}{
		{"Shuffled", 300, shuffled, nil, Result{OK: true, Entries: 300}},
		{"Reversed", long, reversed, nil, Result{OK: true, Entries: int64(long)}},
		{"LongGap", long, nil, func(tb testing.TB, db *database.DB) {
			if _, err := db.Collection("audit").DeleteOne(context.Background(),
				bson.D{{Key: "_id", Value: entryID(org, 5)}}); err != nil {
				tb.Fatal(err)
			}
		}, Result{Entries: 4, BrokenAt: 5, Reason: ReasonMissing}},
		{"ForgedDuplicate", 20, nil, func(tb testing.TB, db *database.DB) {
			// The unique org_seq index refuses a second seq 7; a tamperer drops it first.
			coll := db.Collection("audit")
			if err := coll.Indexes().DropOne(context.Background(), "org_seq"); err != nil {
				tb.Fatal(err)
			}
			forged := rawEntry(tb, db, org, 7)
			forged.ID, forged.Outcome = org+":forged", "ok"
			if _, err := coll.InsertOne(context.Background(), forged); err != nil {
				tb.Fatal(err)
			}
		}, Result{Entries: 6, BrokenAt: 7, Reason: ReasonHash}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, db := newTestLog(t)
			insertChain(t, db, org, tc.n, tc.order)
			if tc.tamper != nil {
				tc.tamper(t, db)
			}
			if d := cmp.Diff(tc.want, mustVerify(t, l, org)); d != "" {
				t.Error(d)
			}
			// The chain continues where it was stored.
			if tc.want.OK {
				if e := mustAppend(t, l, Entry{Org: org, Action: "login"}); e.Seq != int64(tc.n+1) {
					t.Errorf("next append got seq %d, want %d", e.Seq, tc.n+1)
				}
			}
		})
	}
}
