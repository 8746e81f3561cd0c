package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/database"
	"registro/validation"
)

func TestVerifyCleanChain(t *testing.T) {
	l, _ := newTestLog(t)
	seed(t, l, "CAL", 30)
	seed(t, l, "LIM", 3)
	if d := cmp.Diff(Result{OK: true, Entries: 30}, mustVerify(t, l, "CAL")); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(Result{OK: true, Entries: 0}, mustVerify(t, l, "NONE")); d != "" {
		t.Errorf("org without a chain: %s", d)
	}
	_, err := l.Verify(context.Background(), "")
	if verr := (*validation.Error)(nil); !errors.As(err, &verr) {
		t.Errorf("Verify(\"\") error = %v, want *validation.Error", err)
	}
}

// TestVerifyTampered tampers with a chain of 10 entries the way someone with raw
// database access could, and expects Verify to find the first broken entry. Where the
// tamperer recomputes hashes she even holds the key, so that what catches her is the
// chain's structure (links, seqs, head); TestVerifyForgedWithoutKey has the attacker
// of issue 11, who holds the database only.
func TestVerifyTampered(t *testing.T) {
	const org = "CAL"
	ctx := context.Background()
	byID := func(seq int64) bson.D { return bson.D{{Key: "_id", Value: entryID(org, seq)}} }
	set := func(tb testing.TB, db *database.DB, coll string, filter, fields bson.D) {
		tb.Helper()
		if _, err := db.Collection(coll).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: fields}}); err != nil {
			tb.Fatal(err)
		}
	}
	del := func(tb testing.TB, db *database.DB, coll string, filter bson.D) {
		tb.Helper()
		if _, err := db.Collection(coll).DeleteOne(ctx, filter); err != nil {
			tb.Fatal(err)
		}
	}
	// rehash edits entry seq with edit and stores it with its own hash recomputed under
	// the key.
	rehash := func(tb testing.TB, db *database.DB, seq int64, edit func(*Entry)) string {
		tb.Helper()
		s := rawEntry(tb, db, org, seq)
		edit(&s.Entry)
		s.Hash = hashKeyed(testKey, s.Entry)
		if _, err := db.Collection("audit").ReplaceOne(ctx, byID(seq), s); err != nil {
			tb.Fatal(err)
		}
		return s.Hash
	}
	// insertAt squeezes a forged entry, correctly linked to its predecessor, in at seq,
	// renumbering the later entries (recomputing their hashes when rehashed).
	insertAt := func(tb testing.TB, db *database.DB, seq int64, rehashed bool) {
		tb.Helper()
		coll := db.Collection("audit")
		for k := int64(10); k >= seq; k-- {
			s := rawEntry(tb, db, org, k)
			del(tb, db, "audit", byID(k))
			s.ID, s.Seq = entryID(org, k+1), k+1
			if rehashed {
				s.Hash = hashKeyed(testKey, s.Entry)
			}
			if _, err := coll.InsertOne(ctx, s); err != nil {
				tb.Fatal(err)
			}
		}
		before := rawEntry(tb, db, org, seq-1)
		forged := Entry{Seq: seq, Org: org, Time: before.Time.Add(time.Second), Actor: "u1",
			Action: "case.read", Outcome: "ok", Prev: before.Hash, Version: versionKeyed}
		forged.Hash = hashKeyed(testKey, forged)
		if _, err := coll.InsertOne(ctx, stored{ID: entryID(org, seq), Entry: forged}); err != nil {
			tb.Fatal(err)
		}
		if rehashed {
			set(tb, db, "audit_heads", bson.D{{Key: "_id", Value: org}},
				bson.D{{Key: "seq", Value: 11}, {Key: "hash", Value: rawEntry(tb, db, org, 11).Hash}})
		}
	}

	for _, tc := range []struct {
		name   string
		tamper func(testing.TB, *database.DB)
		want   Result
	}{
		{"OK", func(testing.TB, *database.DB) {}, Result{OK: true, Entries: 10}},
		{"EditedOutcome", func(tb testing.TB, db *database.DB) {
			set(tb, db, "audit", byID(3), bson.D{{Key: "outcome", Value: "ok"}}) // was denied
		}, Result{Entries: 2, BrokenAt: 3, Reason: ReasonHash}},
		{"EditedTime", func(tb testing.TB, db *database.DB) {
			set(tb, db, "audit", byID(6), bson.D{{Key: "time", Value: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}})
		}, Result{Entries: 5, BrokenAt: 6, Reason: ReasonHash}},
		{"EditedAndRehashed", func(tb testing.TB, db *database.DB) {
			rehash(tb, db, 3, func(e *Entry) { e.Outcome = "ok" })
		}, Result{Entries: 3, BrokenAt: 4, Reason: ReasonPrev}},
		{"EditedLastAndRehashed", func(tb testing.TB, db *database.DB) {
			rehash(tb, db, 10, func(e *Entry) { e.Actor = "someone-else" })
		}, Result{Entries: 9, BrokenAt: 10, Reason: ReasonHead}},
		{"MovedToAnotherOrg", func(tb testing.TB, db *database.DB) {
			set(tb, db, "audit", byID(4), bson.D{{Key: "org", Value: "LIM"}})
		}, Result{Entries: 3, BrokenAt: 4, Reason: ReasonMissing}},
		{"DeletedFirst", func(tb testing.TB, db *database.DB) {
			del(tb, db, "audit", byID(1))
		}, Result{Entries: 0, BrokenAt: 1, Reason: ReasonMissing}},
		{"DeletedMiddle", func(tb testing.TB, db *database.DB) {
			del(tb, db, "audit", byID(5))
		}, Result{Entries: 4, BrokenAt: 5, Reason: ReasonMissing}},
		{"DeletedLast", func(tb testing.TB, db *database.DB) {
			del(tb, db, "audit", byID(10))
		}, Result{Entries: 9, BrokenAt: 10, Reason: ReasonHead}},
		{"DeletedLastThree", func(tb testing.TB, db *database.DB) {
			for seq := int64(8); seq <= 10; seq++ {
				del(tb, db, "audit", byID(seq))
			}
		}, Result{Entries: 7, BrokenAt: 8, Reason: ReasonHead}},
		{"DeletedHead", func(tb testing.TB, db *database.DB) {
			del(tb, db, "audit_heads", bson.D{{Key: "_id", Value: org}})
		}, Result{Entries: 10, BrokenAt: 11, Reason: ReasonHead}},
		{"HeadAhead", func(tb testing.TB, db *database.DB) {
			set(tb, db, "audit_heads", bson.D{{Key: "_id", Value: org}}, bson.D{{Key: "seq", Value: 12}})
		}, Result{Entries: 10, BrokenAt: 11, Reason: ReasonHead}},
		{"HeadLagging", func(tb testing.TB, db *database.DB) {
			// A crash between inserts and head updates: tolerated.
			set(tb, db, "audit_heads", bson.D{{Key: "_id", Value: org}},
				bson.D{{Key: "seq", Value: 7}, {Key: "hash", Value: rawEntry(tb, db, org, 7).Hash}})
		}, Result{OK: true, Entries: 10}},
		{"HeadLaggingWrongHash", func(tb testing.TB, db *database.DB) {
			set(tb, db, "audit_heads", bson.D{{Key: "_id", Value: org}},
				bson.D{{Key: "seq", Value: 7}, {Key: "hash", Value: rawEntry(tb, db, org, 6).Hash}})
		}, Result{Entries: 6, BrokenAt: 7, Reason: ReasonHead}},
		{"Inserted", func(tb testing.TB, db *database.DB) {
			insertAt(tb, db, 5, false)
		}, Result{Entries: 5, BrokenAt: 6, Reason: ReasonHash}},
		{"InsertedAndRehashed", func(tb testing.TB, db *database.DB) {
			insertAt(tb, db, 5, true)
		}, Result{Entries: 5, BrokenAt: 6, Reason: ReasonPrev}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, db := newTestLog(t)
			seed(t, l, org, 10)
			tc.tamper(t, db)
			if d := cmp.Diff(tc.want, mustVerify(t, l, org)); d != "" {
				t.Error(d)
			}
		})
	}
}
