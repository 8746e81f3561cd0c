package audit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"registro/validation"
)

func TestAppend(t *testing.T) {
	l, db := newTestLog(t)
	first := mustAppend(t, l, Entry{Org: "CAL", Actor: "u1", ActorName: "rosa", Action: "login",
		Outcome: "ok", Client: "192.0.2.10"})
	want := Entry{Seq: 1, Org: "CAL", Time: time.Date(2026, 5, 14, 10, 1, 0, 123_000_000, time.UTC),
		Actor: "u1", ActorName: "rosa", Action: "login", Outcome: "ok", Client: "192.0.2.10", Version: versionKeyed}
	want.Hash = hashKeyed(testKey, want)
	if d := cmp.Diff(want, first); d != "" {
		t.Errorf("first entry:\n%s", d)
	}

	lima := time.FixedZone("PET", -5*3600)
	second := mustAppend(t, l, Entry{Org: "CAL", Action: "case.read", Object: "c1", Outcome: "ok",
		Time: time.Date(2026, 5, 14, 5, 0, 0, 456_789_000, lima), Detail: strings.Repeat("x", 250)})
	want = Entry{Seq: 2, Org: "CAL", Time: time.Date(2026, 5, 14, 10, 0, 0, 456_000_000, time.UTC),
		Action: "case.read", Object: "c1", Outcome: "ok", Detail: strings.Repeat("x", MaxText),
		Prev: first.Hash, Version: versionKeyed}
	want.Hash = hashKeyed(testKey, want)
	if d := cmp.Diff(want, second); d != "" {
		t.Errorf("second entry:\n%s", d)
	}
	// What Append returns is what was stored.
	if d := cmp.Diff(second, rawEntry(t, db, "CAL", 2).Entry); d != "" {
		t.Errorf("stored second entry:\n%s", d)
	}
	var h head
	if err := db.Collection("audit_heads").FindOne(context.Background(),
		bson.D{{Key: "_id", Value: "CAL"}}).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(head{Org: "CAL", Seq: 2, Hash: second.Hash}, h); d != "" {
		t.Errorf("head:\n%s", d)
	}
}

func TestAppendInvalid(t *testing.T) {
	l, _ := newTestLog(t)
	for _, tc := range []struct {
		name  string
		entry Entry
		want  map[string]string
	}{
		{"ErrOrgAndActionRequired", Entry{Actor: "u1"}, map[string]string{"org": "required", "action": "required"}},
		{"ErrActionRequired", Entry{Org: "CAL"}, map[string]string{"action": "required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Append(context.Background(), tc.entry)
			var verr *validation.Error
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want *validation.Error", err)
			}
			if d := cmp.Diff(tc.want, verr.Messages()); d != "" {
				t.Error(d)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Entry{Org: "CAL", Action: "login"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Append error = %v, want context.Canceled", err)
	}
}

// TestAppendAfterLostHead starts a new Log (no cached state, as after a restart) on a
// chain whose head lags or is gone, and expects it to continue the chain correctly.
func TestAppendAfterLostHead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		update func(second Entry) bson.D
	}{
		{"HeadLagging", func(second Entry) bson.D {
			return bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: 2}, {Key: "hash", Value: second.Hash}}}}
		}},
		{"HeadMissing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, db := newTestLog(t)
			entries := seed(t, l, "CAL", 5)
			heads := db.Collection("audit_heads")
			filter := bson.D{{Key: "_id", Value: "CAL"}}
			var err error
			if tc.update != nil {
				_, err = heads.UpdateOne(context.Background(), filter, tc.update(entries[1]))
			} else {
				_, err = heads.DeleteOne(context.Background(), filter)
			}
			if err != nil {
				t.Fatal(err)
			}
			page, next, err := l.Entries(context.Background(), Filter{Org: "CAL"})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]int64{5, 4, 3, 2, 1}, seqsOf(page)); d != "" || next != 0 {
				t.Errorf("newest page (next %d):\n%s", next, d)
			}
			restarted := NewLog(db.Database, testKey, nil)
			got := mustAppend(t, restarted, Entry{Org: "CAL", Action: "logout"})
			if got.Seq != 6 || got.Prev != entries[4].Hash {
				t.Errorf("appended seq %d prev %s, want 6 and %s", got.Seq, got.Prev, entries[4].Hash)
			}
			if d := cmp.Diff(Result{OK: true, Entries: 6}, mustVerify(t, l, "CAL")); d != "" {
				t.Error(d)
			}
		})
	}
}
