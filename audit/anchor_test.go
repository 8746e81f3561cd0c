package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestAnchorCatchesARewrittenChain: the attacker has the database (not the auditor's
// notebook). She deletes three entries, renumbers and re-chains every later one with
// the published hash, and moves the head: Verify alone finds a sound chain, as it must
// with an unkeyed hash; the anchor the auditor wrote down before finds the rewrite.
func TestAnchorCatchesARewrittenChain(t *testing.T) {
	t.Parallel()
	l, _ := newTestLog(t)
	ctx := context.Background()
	for i := range 10 {
		mustAppend(t, l, Entry{Org: "LIM", Actor: "u1", Action: "case.read", Object: fmt.Sprintf("c%d", i), Outcome: "ok"})
	}
	early, err := l.Anchor(ctx, "LIM")
	if err != nil {
		t.Fatal(err)
	}
	if early.Seq != 10 {
		t.Fatalf("anchor at seq %d, want 10", early.Seq)
	}
	line := early.String()
	if !strings.HasPrefix(line, "registro-anchor/1 LIM 10 ") {
		t.Fatalf("anchor line %q", line)
	}
	parsed, err := ParseAnchor(line)
	if err != nil || parsed != early {
		t.Fatalf("ParseAnchor(%q) = %+v, %v; want %+v", line, parsed, err, early)
	}
	// The log goes on: it still extends the anchor.
	mustAppend(t, l, Entry{Org: "LIM", Actor: "u1", Action: "case.read", Object: "c10", Outcome: "ok"})
	if err := l.Extends(ctx, parsed); err != nil {
		t.Fatalf("a log that only grew: %v", err)
	}

	// The rewrite.
	cur, err := l.entries.Find(ctx, bson.D{{Key: "org", Value: "LIM"}})
	if err != nil {
		t.Fatal(err)
	}
	var all []stored
	if err := cur.All(ctx, &all); err != nil {
		t.Fatal(err)
	}
	if _, err := l.entries.DeleteMany(ctx, bson.D{{Key: "org", Value: "LIM"}}); err != nil {
		t.Fatal(err)
	}
	prev := ""
	var seq int64
	for _, s := range all {
		if s.Seq >= 3 && s.Seq <= 5 {
			continue
		}
		seq++
		e := s.Entry
		e.Seq, e.Prev = seq, prev
		e.Hash = hashEntry(e)
		prev = e.Hash
		if _, err := l.entries.InsertOne(ctx, stored{ID: entryID("LIM", seq), Entry: e}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.heads.UpdateOne(ctx, bson.D{{Key: "_id", Value: "LIM"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: seq}, {Key: "hash", Value: prev}}}}); err != nil {
		t.Fatal(err)
	}
	fresh := NewLog(l.entries.Database(), nil) // a restarted server
	if res, err := fresh.Verify(ctx, "LIM"); err != nil || !res.OK {
		t.Fatalf("Verify of the re-chained log = %+v, %v: the attack should pass the chain check alone", res, err)
	}
	if err := fresh.Extends(ctx, parsed); !errors.Is(err, ErrAnchor) {
		t.Errorf("Extends after the rewrite = %v, want ErrAnchor", err)
	}
}

func TestParseAnchorRejects(t *testing.T) {
	t.Parallel()
	h := strings.Repeat("ab", 32)
	for _, line := range []string{
		"", "registro-anchor/1 LIM 10", "registro-anchor/2 LIM 10 " + h + " 2026-12-02T15:10:00.000Z",
		"registro-anchor/1 LIM 0 " + h + " 2026-12-02T15:10:00.000Z",
		"registro-anchor/1 LIM 10 " + strings.ToUpper(h) + " 2026-12-02T15:10:00.000Z",
		"registro-anchor/1 LIM 10 " + h + " yesterday",
	} {
		if _, err := ParseAnchor(line); err == nil {
			t.Errorf("ParseAnchor(%q) accepted", line)
		}
	}
}
