package changes

import (
	"context"
	"testing"
	"time"

	"registro/database/dbtest"
)

// TestNotices: a coordinator sees the notices of her organization made from outside it
// until she marks them seen, never another organization's, and the recent list holds
// every change, newest first.
func TestNotices(t *testing.T) {
	db := dbtest.New(t)
	clock := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s := NewStore(db.Database, func() time.Time { clock = clock.Add(time.Second); return clock })
	ctx := context.Background()
	for _, c := range []Change{
		{Org: "LIM", By: "rosa", ByRole: "coordinator", Account: "ana", Role: "outreach", What: "created"},
		{Org: "LIM", By: Shell, Account: "rosa", Role: "coordinator", What: "password", Notice: true},
		{Org: "CAL", By: "admin", ByRole: "admin", Account: "eva", Role: "auditor", What: "created", Notice: true},
	} {
		if err := s.Record(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := s.Recent(ctx, "LIM", 10)
	if err != nil || len(recent) != 2 || recent[0].What != "password" || recent[1].Account != "ana" {
		t.Fatalf("Recent = %+v, %v", recent, err)
	}
	unseen, err := s.Unseen(ctx, "LIM", "u-rosa")
	if err != nil || len(unseen) != 1 || unseen[0].By != Shell {
		t.Fatalf("Unseen = %+v, %v", unseen, err)
	}
	if err := s.MarkSeen(ctx, "u-rosa", unseen[0].At); err != nil {
		t.Fatal(err)
	}
	if unseen, err := s.Unseen(ctx, "LIM", "u-rosa"); err != nil || len(unseen) != 0 {
		t.Fatalf("after MarkSeen: %+v, %v", unseen, err)
	}
	if unseen, err := s.Unseen(ctx, "LIM", "u-other"); err != nil || len(unseen) != 1 {
		t.Fatalf("another coordinator's notices: %+v, %v", unseen, err)
	}
	if err := s.Record(ctx, Change{Org: "LIM", By: Shell, Account: "ana", Role: "outreach", What: "password", Notice: true}); err != nil {
		t.Fatal(err)
	}
	if unseen, err := s.Unseen(ctx, "LIM", "u-rosa"); err != nil || len(unseen) != 1 || unseen[0].Account != "ana" {
		t.Fatalf("a later notice: %+v, %v", unseen, err)
	}
}
