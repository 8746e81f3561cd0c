package cases

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReferencesPerOrganizationAndYear(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	ctx := context.Background()
	var got []string
	for _, a := range []Actor{ana, bea, carla, ana} {
		got = append(got, mustCreate(t, s, a, validInput()).Ref)
	}
	want := []string{refOf("LIM", 1), refOf("LIM", 2), refOf("CAL", 1), refOf("LIM", 3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	// A new year starts again at 1; the current year's counter goes on.
	for _, tt := range []struct {
		year int
		want string
	}{{2031, "LIM-2031-00001"}, {2031, "LIM-2031-00002"}, {2025, "LIM-2025-00001"}} {
		seq, err := s.propose(ctx, "LIM", tt.year)
		if ref := formatRef("LIM", tt.year, seq); err != nil || ref != tt.want {
			t.Errorf("propose(LIM, %d) = %q, %v; want %q", tt.year, ref, err, tt.want)
		}
	}
	if c := mustCreate(t, s, ana, validInput()); c.Ref != refOf("LIM", 4) {
		t.Errorf("ref = %s, want %s", c.Ref, refOf("LIM", 4))
	}
}

func TestConcurrentCreatesGetDistinctReferences(t *testing.T) {
	t.Parallel()
	s := mustStore(t)
	const n = 40
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  []string
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := ana
			if i%2 == 1 {
				a = bea
			}
			c, _, err := s.Create(context.Background(), a, validInput(), "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			got = append(got, c.Ref)
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d creates failed, first: %v", len(errs), n, errs[0])
	}
	want := make([]string, n)
	for i := range want {
		want[i] = refOf("LIM", i+1)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	// Every case reached the lists too: concurrent list writes lose nothing.
	if l := mustList(t, s, ListQuery{Sources: []Source{{Kind: "org", Org: "LIM"}}}); len(l) != n {
		t.Errorf("organization list holds %d cases, want %d", len(l), n)
	}
	own := mustList(t, s, ListQuery{Sources: []Source{{Kind: "own", Org: "LIM", User: bea.UserID}}})
	if len(own) != n/2 {
		t.Errorf("bea's list holds %d cases, want %d", len(own), n/2)
	}
}
