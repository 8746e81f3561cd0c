package cases

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestCreateIdempotency(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	first, replayed, err := s.Create(ctx, ana, validInput(), "form-1")
	if err != nil || replayed {
		t.Fatalf("first Create = %v, replayed %v", err, replayed)
	}

	t.Run("OKSameKeySameInput", func(t *testing.T) {
		again, replayed, err := s.Create(ctx, ana, validInput(), "form-1")
		if err != nil {
			t.Fatal(err)
		}
		if !replayed {
			t.Error("replayed = false, want true")
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("replayed case (-first +replay):\n%s", diff)
		}
	})
	t.Run("ErrIdempotencyMismatch", func(t *testing.T) {
		in := validInput()
		in.Narrative = "another story"
		c, _, err := s.Create(ctx, ana, in, "form-1")
		if !errors.Is(err, ErrIdempotencyMismatch) || c != nil {
			t.Fatalf("Create = %v, %v; want ErrIdempotencyMismatch", c, err)
		}
	})
	t.Run("OKSameKeyOtherUser", func(t *testing.T) {
		c, replayed, err := s.Create(ctx, bea, validInput(), "form-1")
		if err != nil || replayed {
			t.Fatalf("Create = %v, replayed %v", err, replayed)
		}
		if c.ID == first.ID || c.Ref != refOf("LIM", 2) || c.RecordedBy != bea.UserID {
			t.Errorf("other user's case = %s %s by %s, want a new case %s by %s", c.ID, c.Ref, c.RecordedBy, refOf("LIM", 2), bea.UserID)
		}
	})
	t.Run("OKSameKeyOtherOrganization", func(t *testing.T) {
		c, replayed, err := s.Create(ctx, carla, validInput(), "form-1")
		if err != nil || replayed || c.Ref != refOf("CAL", 1) {
			t.Fatalf("Create = %v, replayed %v", err, replayed)
		}
	})
	// The replay and the mismatch stored nothing and took no number.
	if n := mustCount(t, s.cases); n != 3 {
		t.Errorf("%d cases stored, want 3", n)
	}
	if c := mustCreate(t, s, ana, validInput()); c.Ref != refOf("LIM", 3) {
		t.Errorf("next ref = %s, want %s", c.Ref, refOf("LIM", 3))
	}
}

func TestCreateIdempotencyAfterInterruptedAttempt(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	first, _, err := s.Create(ctx, ana, validInput(), "form-1")
	if err != nil {
		t.Fatal(err)
	}
	// Simulate an attempt that claimed the key and stopped before storing its case.
	if _, err := s.cases.DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	c, replayed, err := s.Create(ctx, ana, validInput(), "form-1")
	if err != nil {
		t.Fatal(err)
	}
	if replayed || c.ID != first.ID || !c.RecordedAt.Equal(idTime(first.ID)) {
		t.Errorf("retry = %s (replayed %v), want the claimed id %s finished", c.ID, replayed, first.ID)
	}
	if _, err := s.Case(ctx, first.ID, allowAll); err != nil {
		t.Errorf("finished case: %v", err)
	}
}

func TestCreateIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	type result struct {
		c        *Case
		replayed bool
		err      error
	}
	results := make([]result, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.c, r.replayed, r.err = s.Create(context.Background(), ana, validInput(), "sent-twice")
		}()
	}
	wg.Wait()
	fresh := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		if !r.replayed {
			fresh++
		}
		if r.c.ID != results[0].c.ID || r.c.Ref != refOf("LIM", 1) {
			t.Errorf("request %d got %s %s, want the one case %s", i, r.c.ID, r.c.Ref, refOf("LIM", 1))
		}
	}
	if fresh != 1 {
		t.Errorf("%d requests created the case, want 1 (the others replayed)", fresh)
	}
	if c := mustCreate(t, s, ana, validInput()); c.Ref != refOf("LIM", 2) {
		t.Errorf("next ref = %s, want %s: the repeats took numbers", c.Ref, refOf("LIM", 2))
	}
}

// TestForgetIdempotencyKeys: a key is remembered for the window, then forgotten.
func TestForgetIdempotencyKeys(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	first, _, err := s.Create(ctx, ana, validInput(), "form-1")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.ForgetIdempotencyKeys(ctx); err != nil || n != 0 {
		t.Fatalf("forgot %d keys (%v) inside the window", n, err)
	}
	s.SetClock(func() time.Time { return time.Now().Add(IdempotencyWindow + time.Hour) })
	if n, err := s.ForgetIdempotencyKeys(ctx); err != nil || n != 1 {
		t.Fatalf("forgot %d keys (%v) after the window, want 1", n, err)
	}
	again, replayed, err := s.Create(ctx, ana, validInput(), "form-1")
	if err != nil || replayed || again.ID == first.ID {
		t.Fatalf("after the window the key made a new case: replayed=%v err=%v", replayed, err)
	}
}
