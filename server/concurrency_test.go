package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/accounts"
)

// TestConcurrentAccess runs reads, lists and follow-ups in parallel with grants,
// revocations and role changes (run it with -race). Every answer must fit one of the
// states the changes pass through, no follow-up may be lost, and at the end the lists
// must follow the authorization rule exactly.
func TestConcurrentAccess(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, o1 := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	_, o2 := ts.mustUserToken(t, "LIM", "outreach2", accounts.RoleOutreach) // her role flips
	_, coord := ts.mustUserToken(t, "LIM", "coordinator", accounts.RoleCoordinator)
	_, legal := ts.mustUserToken(t, "LIM", "legal", accounts.RoleLegal)
	var own1, own2 []string
	for i := 0; i < 3; i++ {
		own1 = append(own1, ts.mustCreateCase(t, o1, nil))
		own2 = append(own2, ts.mustCreateCase(t, o2, nil))
	}
	all := append(slices.Clone(own1), own2...)
	slices.Sort(all)
	fixed, toggled := own1[0], own2[0] // shared with legal throughout / on and off
	grant := func() (int, map[string]any, error) {
		return ts.try(http.MethodPost, "/api/v1/cases/"+toggled+"/grants", coord, map[string]any{
			"user": "legal", "expires_at": ts.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)})
	}
	if st, body := ts.do(t, http.MethodPost, "/api/v1/cases/"+fixed+"/grants", coord, map[string]any{
		"user": "legal", "expires_at": ts.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)}); st != http.StatusOK {
		t.Fatalf("grant: status %d, body %v", st, body)
	}

	var mu sync.Mutex
	followups := map[string]int{} // successful follow-ups by case
	count := func(id string) {
		mu.Lock()
		followups[id]++
		mu.Unlock()
	}
	sorted := func(ids []string) []string { slices.Sort(ids); return ids }
	oneOf := func(got []string, wants ...[]string) bool {
		got = sorted(slices.Clone(got))
		return slices.ContainsFunc(wants, func(w []string) bool { return slices.Equal(sorted(slices.Clone(w)), got) })
	}

	stop := make(chan struct{})
	mutatorDone := make(chan struct{})
	rounds := 0
	go func() {
		defer close(mutatorDone)
		role := "coordinator"
		for ; ; rounds++ {
			select {
			case <-stop:
				return
			default:
			}
			if st, body, err := grant(); err != nil || st != http.StatusOK {
				t.Errorf("grant: %d %v %v", st, body, err)
			}
			if st, body, err := ts.try(http.MethodDelete, "/api/v1/cases/"+toggled+"/grants/legal", coord, nil); err != nil || st != http.StatusNoContent {
				t.Errorf("revoke: %d %v %v", st, body, err)
			}
			if st, body, err := ts.try(http.MethodPatch, "/api/v1/users/outreach2", coord, map[string]any{"role": role}); err != nil || st != http.StatusOK {
				t.Errorf("role %s: %d %v %v", role, st, body, err)
			}
			role = map[string]string{"coordinator": "outreach", "outreach": "coordinator"}[role]
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 4; j++ {
				if err := concurrentStep(ts, (w+j)%4, stepTokens{o1, o2, coord, legal}, own1, own2, all, fixed, toggled, count, oneOf); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-mutatorDone
	t.Logf("%d rounds of grant, revocation and role change ran alongside the workers", rounds)
	if rounds == 0 {
		t.Errorf("no round of changes overlapped the workers")
	}

	// The final state: toggled shared again, outreach2 an outreach worker.
	if st, body, err := grant(); err != nil || st != http.StatusOK {
		t.Fatalf("final grant: %d %v %v", st, body, err)
	}
	if st, body := ts.do(t, http.MethodPatch, "/api/v1/users/outreach2", coord, map[string]any{"role": "outreach"}); st != http.StatusOK {
		t.Fatalf("final role: %d %v", st, body)
	}
	for name, c := range map[string]struct {
		token string
		want  []string
	}{
		"outreach1": {o1, own1}, "outreach2": {o2, own2}, "coordinator": {coord, all}, "legal": {legal, []string{fixed, toggled}},
	} {
		_, got := ts.listIDs(t, c.token)
		if diff := cmp.Diff(sorted(slices.Clone(c.want)), sorted(got)); diff != "" {
			t.Errorf("%s: final list (-want +got):\n%s", name, diff)
		}
	}
	for _, id := range all {
		if got, want := len(ts.storedCase(t, id).Followups), followups[id]; got != want {
			t.Errorf("case %s holds %d follow-ups, %d were answered 201", id, got, want)
		}
	}
	if res, err := ts.Audit.Verify(t.Context(), "LIM"); err != nil || !res.OK {
		t.Errorf("access log after the concurrent requests: %+v, %v", res, err)
	}
}

type stepTokens struct{ o1, o2, coord, legal string }

// concurrentStep is one step of a worker of TestConcurrentAccess; it reports what does
// not fit any state the concurrent changes pass through.
func concurrentStep(ts *testServer, kind int, tok stepTokens, own1, own2, all []string, fixed, toggled string,
	count func(string), oneOf func([]string, ...[]string) bool) error {
	switch kind {
	case 0: // outreach1 sees her cases only, and follows one up
		if st, ids, err := ts.tryListIDs(tok.o1); err != nil || st != 200 || !oneOf(ids, own1) {
			return fmt.Errorf("outreach1 list: %d %v %v", st, ids, err)
		}
		if st, _, err := ts.try(http.MethodGet, "/api/v1/cases/"+own2[1], tok.o1, nil); err != nil || st != 404 {
			return fmt.Errorf("outreach1 reads another's case: %d %v", st, err)
		}
		st, _, err := ts.try(http.MethodPost, "/api/v1/cases/"+own1[1]+"/followups", tok.o1, map[string]any{"note": "visita"})
		if err != nil || st != 201 {
			return fmt.Errorf("outreach1 follow-up: %d %v", st, err)
		}
		count(own1[1])
	case 1: // legal sees the fixed share, and the toggled one while it holds
		if st, ids, err := ts.tryListIDs(tok.legal); err != nil || st != 200 || !oneOf(ids, []string{fixed}, []string{fixed, toggled}) {
			return fmt.Errorf("legal list: %d %v %v", st, ids, err)
		}
		st, _, err := ts.try(http.MethodPost, "/api/v1/cases/"+toggled+"/followups", tok.legal, map[string]any{"note": "escrito presentado"})
		if err != nil || (st != 201 && st != 404) {
			return fmt.Errorf("legal follow-up on the toggled share: %d %v", st, err)
		}
		if st == 201 {
			count(toggled)
		}
		if st, _, err := ts.try(http.MethodGet, "/api/v1/cases/"+own1[2], tok.legal, nil); err != nil || st != 404 {
			return fmt.Errorf("legal reads an unshared case: %d %v", st, err)
		}
	case 2: // outreach2 sees her own cases as outreach, all of them as coordinator
		if st, ids, err := ts.tryListIDs(tok.o2); err != nil || st != 200 || !oneOf(ids, own2, all) {
			return fmt.Errorf("outreach2 list: %d %v %v", st, ids, err)
		}
		if st, _, err := ts.try(http.MethodGet, "/api/v1/cases/"+own1[0], tok.o2, nil); err != nil || (st != 200 && st != 404) {
			return fmt.Errorf("outreach2 reads another's case: %d %v", st, err)
		}
		st, _, err := ts.try(http.MethodPost, "/api/v1/cases/"+own2[2]+"/followups", tok.o2, map[string]any{"note": "llamada"})
		if err != nil || st != 201 {
			return fmt.Errorf("outreach2 follow-up: %d %v", st, err)
		}
		count(own2[2])
	case 3: // the coordinator sees everything and follows up the toggled case
		if st, ids, err := ts.tryListIDs(tok.coord); err != nil || st != 200 || !oneOf(ids, all) {
			return fmt.Errorf("coordinator list: %d %v %v", st, ids, err)
		}
		st, _, err := ts.try(http.MethodPost, "/api/v1/cases/"+toggled+"/followups", tok.coord, map[string]any{"note": "revisión"})
		if err != nil || st != 201 {
			return fmt.Errorf("coordinator follow-up: %d %v", st, err)
		}
		count(toggled)
	}
	return nil
}
