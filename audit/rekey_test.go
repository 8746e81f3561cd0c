package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
)

// countRekeyWrites counts the writes Rekey makes from now on.
func countRekeyWrites(l *Log) *int {
	n := new(int)
	write := l.rekeyWrite
	l.rekeyWrite = func(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) error {
		*n++
		return write(ctx, coll, models)
	}
	return n
}

// errCrash stands for a process that died, or a connection that broke, mid-Rekey.
var errCrash = errors.New("crash")

// crashAt makes Rekey's write number k (from 1) fail without writing, as a crash
// would; the writes after it are not made either.
func crashAt(l *Log, k int) {
	n := 0
	write := l.rekeyWrite
	l.rekeyWrite = func(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) error {
		if n++; n >= k {
			return errCrash
		}
		return write(ctx, coll, models)
	}
}

// snapshot is every access-log document as stored, for comparing before and after.
func snapshot(tb testing.TB, db *database.DB) []string {
	tb.Helper()
	var out []string
	for _, coll := range []string{"audit", "audit_heads"} {
		cur, err := db.Collection(coll).Find(context.Background(), bson.D{},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			tb.Fatal(err)
		}
		for cur.Next(context.Background()) {
			out = append(out, cur.Current.String())
		}
		if err := cur.Err(); err != nil {
			tb.Fatal(err)
		}
		_ = cur.Close(context.Background())
	}
	return out
}

func mustRekey(tb testing.TB, l *Log, org string) Result {
	tb.Helper()
	res, err := l.Rekey(context.Background(), org)
	if err != nil {
		tb.Fatalf("Rekey(%s): %v", org, err)
	}
	return res
}

func mustUnkeyed(tb testing.TB, l *Log, want bool) {
	tb.Helper()
	got, err := l.Unkeyed(context.Background())
	if err != nil || got != want {
		tb.Errorf("Unkeyed = %v, %v; want %v", got, err, want)
	}
}

// content is what Rekey must leave as it was: everything but the links.
func content(entries []Entry) []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		e.Version, e.Prev, e.Hash = 0, "", ""
		out[i] = e
	}
	return out
}

// TestRekey upgrades a chain that an installation before the key left: 120 version 1
// entries, in three writes of entries. Verify refuses it before and accepts it after,
// with every entry still there and unchanged but for its links; a second Rekey writes
// nothing, and the chain goes on.
func TestRekey(t *testing.T) {
	t.Parallel()
	const n = 120
	l, db := newTestLog(t)
	old := oldChain(t, db, "CAL", n)
	oldChain(t, db, "LIM", 3)
	mustUnkeyed(t, l, true)
	if d := cmp.Diff(Result{BrokenAt: 1, Reason: ReasonUnkeyed}, mustVerify(t, l, "CAL")); d != "" {
		t.Errorf("Verify before Rekey: %s", d)
	}

	writes := countRekeyWrites(l)
	if d := cmp.Diff(Result{OK: true, Entries: n, Rekeyed: n}, mustRekey(t, l, "CAL")); d != "" {
		t.Errorf("Rekey: %s", d)
	}
	if *writes != 1+3+1 { // the marker, 50 + 50 + 20 entries, the head
		t.Errorf("Rekey wrote %d times, want 5", *writes)
	}
	if d := cmp.Diff(Result{OK: true, Entries: n}, mustVerify(t, l, "CAL")); d != "" {
		t.Errorf("Verify after Rekey: %s", d)
	}
	after := storedChain(t, db, "CAL")
	if d := cmp.Diff(content(old), content(after)); d != "" {
		t.Errorf("Rekey changed entries:\n%s", d)
	}
	for _, e := range after {
		if e.Version != versionKeyed {
			t.Fatalf("entry %d is of version %d", e.Seq, e.Version)
		}
	}
	var h head
	if err := db.Collection("audit_heads").FindOne(context.Background(), bson.D{{Key: "_id", Value: "CAL"}}).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(head{Org: "CAL", Seq: n, Hash: after[n-1].Hash}, h); d != "" {
		t.Errorf("head after Rekey: %s", d)
	}
	mustUnkeyed(t, l, true) // LIM is still to do
	if d := cmp.Diff(Result{OK: true, Entries: 3, Rekeyed: 3}, mustRekey(t, l, "LIM")); d != "" {
		t.Errorf("Rekey LIM: %s", d)
	}
	mustUnkeyed(t, l, false)

	*writes = 0
	before := snapshot(t, db)
	if d := cmp.Diff(Result{OK: true, Entries: n}, mustRekey(t, l, "CAL")); d != "" {
		t.Errorf("Rekey of a keyed chain: %s", d)
	}
	if *writes != 0 || !cmp.Equal(before, snapshot(t, db)) {
		t.Errorf("Rekey of a keyed chain wrote (%d writes)", *writes)
	}
	if e := mustAppend(t, l, Entry{Org: "CAL", Action: "login"}); e.Seq != n+1 || e.Prev != after[n-1].Hash {
		t.Errorf("next append: seq %d prev %s", e.Seq, e.Prev)
	}
	if d := cmp.Diff(Result{OK: true, Entries: n + 1}, mustVerify(t, l, "CAL")); d != "" {
		t.Error(d)
	}
}

// TestRekeyAfterKeyedAppends: the server ran with the key before anyone rekeyed, so
// keyed entries follow the old ones, linked to a version 1 hash, and this process
// knows the chain's end. Rekey rewrites both kinds, and the next append links to the
// rewritten end rather than to the hash this process remembered.
func TestRekeyAfterKeyedAppends(t *testing.T) {
	t.Parallel()
	l, db := newTestLog(t)
	oldChain(t, db, "CAL", 5)
	appended := seed(t, l, "CAL", 3)
	if appended[0].Seq != 6 || appended[0].Prev == "" {
		t.Fatalf("appended after the old chain: %+v", appended[0])
	}
	if d := cmp.Diff(Result{OK: true, Entries: 8, Rekeyed: 8}, mustRekey(t, l, "CAL")); d != "" {
		t.Errorf("Rekey: %s", d)
	}
	next := mustAppend(t, l, Entry{Org: "CAL", Action: "logout"})
	if d := cmp.Diff(Result{OK: true, Entries: 9}, mustVerify(t, l, "CAL")); d != "" {
		t.Errorf("Verify after Rekey and an append: %s (appended %+v)", d, next)
	}
}

// TestRekeyRefusesTampered: a version 1 chain that was already tampered with, in ways
// version 1 can tell, is not rekeyed, and nothing is written.
func TestRekeyRefusesTampered(t *testing.T) {
	t.Parallel()
	const org = "CAL"
	byID := func(seq int64) bson.D { return bson.D{{Key: "_id", Value: entryID(org, seq)}} }
	for _, tc := range []struct {
		name   string
		tamper func(testing.TB, *database.DB)
		want   Result
	}{
		{"EditedOutcome", func(tb testing.TB, db *database.DB) {
			if _, err := db.Collection("audit").UpdateOne(context.Background(), byID(30),
				bson.D{{Key: "$set", Value: bson.D{{Key: "outcome", Value: "denied"}}}}); err != nil {
				tb.Fatal(err)
			}
		}, Result{Entries: 29, BrokenAt: 30, Reason: ReasonHash}},
		{"DeletedMiddle", func(tb testing.TB, db *database.DB) {
			if _, err := db.Collection("audit").DeleteOne(context.Background(), byID(12)); err != nil {
				tb.Fatal(err)
			}
		}, Result{Entries: 11, BrokenAt: 12, Reason: ReasonMissing}},
		{"DeletedLast", func(tb testing.TB, db *database.DB) {
			if _, err := db.Collection("audit").DeleteOne(context.Background(), byID(60)); err != nil {
				tb.Fatal(err)
			}
		}, Result{Entries: 59, BrokenAt: 60, Reason: ReasonHead}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			oldChain(t, db, org, 60)
			tc.tamper(t, db)
			before := snapshot(t, db)
			writes := countRekeyWrites(l)
			if d := cmp.Diff(tc.want, mustRekey(t, l, org)); d != "" {
				t.Error(d)
			}
			if *writes != 0 || !cmp.Equal(before, snapshot(t, db)) {
				t.Errorf("Rekey of a tampered chain wrote (%d writes)", *writes)
			}
		})
	}
}

// TestRekeyResumes stops Rekey at each of its writes, as a crash would, then runs it
// again: the second run completes the chain, which then verifies whole.
func TestRekeyResumes(t *testing.T) {
	t.Parallel()
	const n = 120
	for _, tc := range []struct {
		name    string
		crashAt int
		rest    int64 // entries the second run rewrites
	}{
		{"BeforeTheMarker", 1, n},
		{"BeforeTheFirstEntries", 2, n},
		{"AfterFiftyEntries", 3, n - 50},
		{"AfterAHundredEntries", 4, n - 100},
		{"BeforeTheHead", 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			old := oldChain(t, db, "CAL", n)
			crashAt(l, tc.crashAt)
			if _, err := l.Rekey(context.Background(), "CAL"); !errors.Is(err, errCrash) {
				t.Fatalf("Rekey with a crash = %v", err)
			}
			mustUnkeyed(t, l, true)
			if res := mustVerify(t, l, "CAL"); res.OK {
				t.Errorf("Verify of a half-rekeyed chain = %+v", res)
			}

			again := NewLog(db.Database, testKey, nil) // the restarted process
			if d := cmp.Diff(Result{OK: true, Entries: n, Rekeyed: tc.rest}, mustRekey(t, again, "CAL")); d != "" {
				t.Errorf("Rekey again: %s", d)
			}
			if d := cmp.Diff(Result{OK: true, Entries: n}, mustVerify(t, again, "CAL")); d != "" {
				t.Errorf("Verify: %s", d)
			}
			if d := cmp.Diff(content(old), content(storedChain(t, db, "CAL"))); d != "" {
				t.Errorf("entries changed:\n%s", d)
			}
			mustUnkeyed(t, again, false)
		})
	}
}

// TestRekeyResumeRefusesTampered: Rekey stopped after 50 entries, and before it runs
// again the attacker edits an entry that is still of version 1 and re-chains the ones
// after it with plain SHA-256, or removes the marker, or forges one. The marker, which
// only the key makes, holds the version 1 chain's end as Rekey verified it: the rerun
// refuses, and writes nothing.
func TestRekeyResumeRefusesTampered(t *testing.T) {
	t.Parallel()
	const n = 120
	for _, tc := range []struct {
		name   string
		tamper func(testing.TB, *database.DB)
		want   Result
	}{
		{"EditedAndRechained", func(tb testing.TB, db *database.DB) {
			chain := storedChain(tb, db, "CAL")
			chain[79].Outcome = "denied"
			replaceChain(tb, db, "CAL", forge(chain, 79, versionUnkeyed, hashUnkeyed)) // the marker stays
		}, Result{Entries: n - 1, BrokenAt: n, Reason: ReasonHash}},
		{"MarkerRemoved", func(tb testing.TB, db *database.DB) {
			setMarker(tb, db, nil)
		}, Result{Entries: 50, BrokenAt: 51, Reason: ReasonUnkeyed}},
		{"MarkerForged", func(tb testing.TB, db *database.DB) {
			m := markerBefore(tb, db)
			m.MAC = hashKeyed(otherKey, Entry{Seq: m.Seq})
			setMarker(tb, db, m)
		}, Result{Entries: 50, BrokenAt: 51, Reason: ReasonUnkeyed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			oldChain(t, db, "CAL", n)
			crashAt(l, 3)
			if _, err := l.Rekey(context.Background(), "CAL"); !errors.Is(err, errCrash) {
				t.Fatalf("Rekey with a crash = %v", err)
			}
			tc.tamper(t, db)
			again := NewLog(db.Database, testKey, nil)
			before := snapshot(t, db)
			writes := countRekeyWrites(again)
			if d := cmp.Diff(tc.want, mustRekey(t, again, "CAL")); d != "" {
				t.Error(d)
			}
			if *writes != 0 || !cmp.Equal(before, snapshot(t, db)) {
				t.Errorf("Rekey of a tampered chain wrote (%d writes)", *writes)
			}
		})
	}
}

func markerBefore(tb testing.TB, db *database.DB) *marker {
	tb.Helper()
	var h head
	if err := db.Collection("audit_heads").FindOne(context.Background(), bson.D{{Key: "_id", Value: "CAL"}}).Decode(&h); err != nil {
		tb.Fatal(err)
	}
	if h.Rekey == nil {
		tb.Fatal("no marker")
	}
	return h.Rekey
}

func setMarker(tb testing.TB, db *database.DB, m *marker) {
	tb.Helper()
	update := bson.D{{Key: "$unset", Value: bson.D{{Key: "rekey", Value: ""}}}}
	if m != nil {
		update = bson.D{{Key: "$set", Value: bson.D{{Key: "rekey", Value: m}}}}
	}
	if _, err := db.Collection("audit_heads").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "CAL"}}, update); err != nil {
		tb.Fatal(err)
	}
}

// TestAnchorAfterRekey: the auditor takes an anchor after the upgrade; the attacker then
// deletes three entries from the middle and re-chains the rest without the key. Verify
// fails, and so does Extends. An anchor the auditor took before the upgrade, which names
// a version 1 hash, is still extended by the rekeyed chain, but not by the rewritten one.
func TestAnchorAfterRekey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		version int
		hash    func(Entry) string
	}{
		{"SHA256", versionKeyed, hashUnkeyed},
		{"AsOldEntries", versionUnkeyed, hashUnkeyed},
		{"OtherKey", versionKeyed, func(e Entry) string { return hashKeyed(otherKey, e) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, db := newTestLog(t)
			old := oldChain(t, db, "LIM", 20)
			beforeUpgrade := Anchor{Org: "LIM", Seq: 20, Hash: old[19].Hash, Time: old[19].Time}
			mustRekey(t, l, "LIM")
			if err := l.Extends(ctx, beforeUpgrade); err != nil {
				t.Errorf("Extends(anchor taken before Rekey) = %v", err)
			}
			seed(t, l, "LIM", 5)
			a, err := l.Anchor(ctx, "LIM")
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseAnchor(a.String())
			if err != nil || parsed != a || a.Seq != 25 {
				t.Fatalf("anchor %q: %+v, %v", a, parsed, err)
			}
			if err := l.Extends(ctx, parsed); err != nil {
				t.Fatalf("Extends right after Anchor = %v", err)
			}

			forged := forge(withoutMiddle(storedChain(t, db, "LIM")), 3, tc.version, tc.hash)
			// She pads the chain back to 25 entries, so that the anchored seq exists.
			for len(forged) < 25 {
				e := forged[len(forged)-1]
				e.Seq++
				forged = append(forged, e)
				forged = forge(forged, len(forged)-1, tc.version, tc.hash)
			}
			forged[24].Time = a.Time // and gives the last the anchored time
			forged = forge(forged, 24, tc.version, tc.hash)
			replaceChain(t, db, "LIM", forged)
			fresh := NewLog(db.Database, testKey, nil)
			if res := mustVerify(t, fresh, "LIM"); res.OK || res.BrokenAt != 4 {
				t.Errorf("Verify of the rewritten chain = %+v, want broken at 4", res)
			}
			if err := fresh.Extends(ctx, parsed); !errors.Is(err, ErrAnchor) {
				t.Errorf("Extends(anchor after Rekey) = %v, want ErrAnchor", err)
			}
			if err := fresh.Extends(ctx, beforeUpgrade); !errors.Is(err, ErrAnchor) {
				t.Errorf("Extends(anchor before Rekey) = %v, want ErrAnchor", err)
			}
		})
	}
}
