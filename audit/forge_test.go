package audit

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
)

// The attacker of issue 11 holds the database, not the key file: she can read, delete,
// insert and rewrite any document, and recompute any hash that needs no key.

// storedChain reads org's entries as stored, in seq order.
func storedChain(tb testing.TB, db *database.DB, org string) []Entry {
	tb.Helper()
	ctx := context.Background()
	cur, err := db.Collection("audit").Find(ctx, bson.D{{Key: "org", Value: org}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		tb.Fatal(err)
	}
	var docs []stored
	if err := cur.All(ctx, &docs); err != nil {
		tb.Fatal(err)
	}
	out := make([]Entry, len(docs))
	for i, s := range docs {
		out[i] = s.fromDB()
	}
	return out
}

// unkeyedDoc is e as an installation before the key stored it: no "v" field.
func unkeyedDoc(e Entry) bson.D {
	return bson.D{{Key: "_id", Value: entryID(e.Org, e.Seq)}, {Key: "seq", Value: e.Seq}, {Key: "org", Value: e.Org},
		{Key: "time", Value: e.Time}, {Key: "actor", Value: e.Actor}, {Key: "actor_name", Value: e.ActorName},
		{Key: "action", Value: e.Action}, {Key: "object", Value: e.Object}, {Key: "outcome", Value: e.Outcome},
		{Key: "client", Value: e.Client}, {Key: "detail", Value: e.Detail}, {Key: "prev", Value: e.Prev},
		{Key: "hash", Value: e.Hash}}
}

// forge re-chains entries from position from on (0-based; the ones before keep their
// stored hashes): seqs renumbered from from+1, each linked to the one before and hashed
// with hash, marked with version (versionUnkeyed: stored without "v", as an old
// installation would).
func forge(entries []Entry, from int, version int, hash func(Entry) string) []Entry {
	out := slices.Clone(entries)
	for i := from; i < len(out); i++ {
		e := &out[i]
		e.Seq, e.Version, e.Prev = int64(i+1), version, ""
		if i > 0 {
			e.Prev = out[i-1].Hash
		}
		e.Hash = hash(*e)
	}
	return out
}

// replaceChain writes entries as org's whole chain, in place of what is stored, and
// moves the head to its end: what the attacker does last.
func replaceChain(tb testing.TB, db *database.DB, org string, entries []Entry) {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.Collection("audit").DeleteMany(ctx, bson.D{{Key: "org", Value: org}}); err != nil {
		tb.Fatal(err)
	}
	docs := make([]any, len(entries))
	for i, e := range entries {
		if e.Version == versionUnkeyed {
			docs[i] = unkeyedDoc(e)
		} else {
			docs[i] = stored{ID: entryID(org, e.Seq), Entry: e}
		}
	}
	if _, err := db.Collection("audit").InsertMany(ctx, docs); err != nil {
		tb.Fatal(err)
	}
	last := entries[len(entries)-1]
	if _, err := db.Collection("audit_heads").UpdateOne(ctx, bson.D{{Key: "_id", Value: org}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: last.Seq}, {Key: "hash", Value: last.Hash}}}}); err != nil {
		tb.Fatal(err)
	}
}

// withoutMiddle drops entries 4, 5 and 6 (positions 3 to 5) of a chain.
func withoutMiddle(entries []Entry) []Entry {
	return slices.Concat(entries[:3], entries[6:])
}

var otherKey = []byte("an-attackers-own-32-byte-hmackey")

// TestVerifyForgedWithoutKey is issue 11: the attacker deletes three entries from the
// middle of a chain of 12, re-chains every later entry and moves the head. With the
// published plain SHA-256, marked as keyed or as an old entry, or with an HMAC under a
// key of her own, Verify finds the forgery at the first re-chained entry.
func TestVerifyForgedWithoutKey(t *testing.T) {
	t.Parallel()
	const org = "CAL"
	for _, tc := range []struct {
		name    string
		version int
		hash    func(Entry) string
		want    Result
	}{
		{"SHA256MarkedKeyed", versionKeyed, hashUnkeyed, Result{Entries: 3, BrokenAt: 4, Reason: ReasonHash}},
		{"SHA256AsOldEntries", versionUnkeyed, hashUnkeyed, Result{Entries: 3, BrokenAt: 4, Reason: ReasonUnkeyed}},
		{"HMACUnderOtherKey", versionKeyed, func(e Entry) string { return hashKeyed(otherKey, e) },
			Result{Entries: 3, BrokenAt: 4, Reason: ReasonHash}},
		// The control: the same rewrite with the key passes the chain check, which is
		// why the key must never be in the database.
		{"WithTheKey", versionKeyed, func(e Entry) string { return hashKeyed(testKey, e) },
			Result{OK: true, Entries: 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			seed(t, l, org, 12)
			seed(t, l, "LIM", 3)
			if d := cmp.Diff(Result{OK: true, Entries: 12}, mustVerify(t, l, org)); d != "" {
				t.Fatal(d)
			}
			replaceChain(t, db, org, forge(withoutMiddle(storedChain(t, db, org)), 3, tc.version, tc.hash))
			if d := cmp.Diff(tc.want, mustVerify(t, NewLog(db.Database, testKey, nil), org)); d != "" {
				t.Error(d)
			}
			if d := cmp.Diff(Result{OK: true, Entries: 3}, mustVerify(t, l, "LIM")); d != "" {
				t.Errorf("the other organization: %s", d)
			}
		})
	}
}

// TestVerifyRewrittenAsUnkeyed: the attacker rewrites the whole chain, or its end, as
// version 1 entries, which need no key, as if the installation had never had one.
// Verify refuses them; Rekey, which upgrades version 1 chains, refuses to rekey the end
// of a keyed chain turned back into version 1, even with a marker of her own.
func TestVerifyRewrittenAsUnkeyed(t *testing.T) {
	t.Parallel()
	const org = "CAL"
	for _, tc := range []struct {
		name        string
		from        int    // the first position re-chained
		marker      bool   // she also writes a Rekey marker, without the key
		want        Result // of Verify
		wantUnkeyed bool
		wantRekey   *Result // nil: not tried
	}{
		// A chain that is all version 1 is what an installation before the key holds:
		// nothing in the database tells the two apart, which is why Rekey is run once,
		// on purpose, at the upgrade, and never on a log that was keyed (see Rekey).
		{"WholeChain", 0, false, Result{BrokenAt: 1, Reason: ReasonUnkeyed}, true, nil},
		{"End", 3, false, Result{Entries: 3, BrokenAt: 4, Reason: ReasonUnkeyed}, false,
			&Result{Entries: 3, BrokenAt: 4, Reason: ReasonUnkeyed}},
		{"EndWithForgedMarker", 3, true, Result{Entries: 3, BrokenAt: 4, Reason: ReasonUnkeyed}, true,
			&Result{Entries: 3, BrokenAt: 4, Reason: ReasonUnkeyed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			seed(t, l, org, 12)
			forged := forge(withoutMiddle(storedChain(t, db, org)), tc.from, versionUnkeyed, hashUnkeyed)
			replaceChain(t, db, org, forged)
			if tc.marker {
				last := forged[len(forged)-1]
				m := marker{Seq: last.Seq, V1: last.Hash, MAC: hashUnkeyed(last)}
				if _, err := db.Collection("audit_heads").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: org}},
					bson.D{{Key: "$set", Value: bson.D{{Key: "rekey", Value: m}}}}); err != nil {
					t.Fatal(err)
				}
			}
			if d := cmp.Diff(tc.want, mustVerify(t, l, org)); d != "" {
				t.Error(d)
			}
			// Unkeyed is a hint for the start, not a check: Verify is the check.
			if unkeyed, err := l.Unkeyed(context.Background()); err != nil || unkeyed != tc.wantUnkeyed {
				t.Errorf("Unkeyed = %v, %v; want %v", unkeyed, err, tc.wantUnkeyed)
			}
			if tc.wantRekey == nil {
				return
			}
			writes := countRekeyWrites(l)
			res, err := l.Rekey(context.Background(), org)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(*tc.wantRekey, res); d != "" {
				t.Errorf("Rekey: %s", d)
			}
			if *writes != 0 {
				t.Errorf("Rekey of a refused chain wrote %d times", *writes)
			}
		})
	}
}

// oldChain stores n entries of org as an installation before the key left them (version
// 1 hashes, documents without "v") with their head, and returns them.
func oldChain(tb testing.TB, db *database.DB, org string, n int) []Entry {
	tb.Helper()
	t0 := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Org: org, Time: t0.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprintf("u%d", i%3),
			ActorName: "rosa", Action: "case.read", Object: fmt.Sprintf("case-%d", i%7), Outcome: "ok",
			Client: "192.0.2.10", Detail: fmt.Sprintf("n=%d", i)}
	}
	entries = forge(entries, 0, versionUnkeyed, hashUnkeyed)
	ctx := context.Background()
	for start := 0; start < n; start += 500 {
		var docs []any
		for _, e := range entries[start:min(start+500, n)] {
			docs = append(docs, unkeyedDoc(e))
		}
		if _, err := db.Collection("audit").InsertMany(ctx, docs); err != nil {
			tb.Fatal(err)
		}
	}
	last := entries[n-1]
	if _, err := db.Collection("audit_heads").InsertOne(ctx, bson.D{{Key: "_id", Value: org},
		{Key: "seq", Value: last.Seq}, {Key: "hash", Value: last.Hash}}); err != nil {
		tb.Fatal(err)
	}
	return entries
}
