package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestAnchorCatchesATruncatedChain: the attacker has the database (not the key file,
// not the auditor's notebook). Without the key she cannot re-chain anything, but she
// can delete the newest entries and move the head back to an entry that stays: Verify
// alone finds a sound, shorter chain, as it must; the anchor the auditor wrote down
// before finds the cut.
func TestAnchorCatchesATruncatedChain(t *testing.T) {
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

	// The cut: entries 8 to 11 go, and the head names entry 7 as stored.
	if _, err := l.entries.DeleteMany(ctx, bson.D{{Key: "org", Value: "LIM"}, {Key: "seq", Value: bson.D{{Key: "$gte", Value: 8}}}}); err != nil {
		t.Fatal(err)
	}
	var seventh stored
	if err := l.entries.FindOne(ctx, bson.D{{Key: "_id", Value: entryID("LIM", 7)}}).Decode(&seventh); err != nil {
		t.Fatal(err)
	}
	if _, err := l.heads.UpdateOne(ctx, bson.D{{Key: "_id", Value: "LIM"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: 7}, {Key: "hash", Value: seventh.Hash}}}}); err != nil {
		t.Fatal(err)
	}
	fresh := NewLog(l.entries.Database(), testKey, nil) // a restarted server
	if res, err := fresh.Verify(ctx, "LIM"); err != nil || !res.OK || res.Entries != 7 {
		t.Fatalf("Verify of the cut log = %+v, %v: a chain cut at its end passes the chain check alone", res, err)
	}
	if err := fresh.Extends(ctx, parsed); !errors.Is(err, ErrAnchor) {
		t.Errorf("Extends after the cut = %v, want ErrAnchor", err)
	}
}

func TestAnchorEmpty(t *testing.T) {
	t.Parallel()
	l, _ := newTestLog(t)
	if _, err := l.Anchor(context.Background(), "NONE"); !errors.Is(err, ErrEmpty) {
		t.Errorf("Anchor of an organization without entries = %v, want ErrEmpty", err)
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
