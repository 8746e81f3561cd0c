package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"registro/accounts"
)

// TestShareLength: a share lasts at most the organization's longest share, 180 days
// unless it set another, and is renewed by sharing again; nothing beyond it is stored.
func TestShareLength(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coord := ts.mustUserToken(t, "LIM", "coord", accounts.RoleCoordinator)
	_, outreach := ts.mustUserToken(t, "LIM", "rosa", accounts.RoleOutreach)
	ts.mustUser(t, "LIM", "legal", accounts.RoleLegal)
	id := ts.mustCreateCase(t, outreach, nil)
	share := func(d time.Duration) (int, map[string]any) {
		return ts.do(t, http.MethodPost, "/api/v1/cases/"+id+"/grants", coord,
			map[string]any{"user": "legal", "expires_at": ts.Clock.Now().Add(d).Format(time.RFC3339)})
	}
	st, body := share(181 * 24 * time.Hour)
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	if f, _ := body["error"].(map[string]any)["fields"].(map[string]any); f["expires_at"] == nil {
		t.Errorf("the refusal does not name expires_at: %v", body)
	}
	if st, body := share(24 * 9999 * time.Hour); st != http.StatusUnprocessableEntity {
		t.Errorf("a share until 9999 days from now: %d %v", st, body)
	}
	if st, body := share(180 * 24 * time.Hour); st != http.StatusOK {
		t.Fatalf("a share of 180 days: %d %v", st, body)
	}
	// Renewed by sharing again, from a later day.
	ts.Clock.Advance(100 * 24 * time.Hour)
	coord = ts.login(t, "coord", passwordOf("coord"))
	if st, body := share(180 * 24 * time.Hour); st != http.StatusOK {
		t.Fatalf("renewing the share: %d %v", st, body)
	}
	if _, err := ts.Accounts.SetShareDays(context.Background(), "LIM", 30); err != nil {
		t.Fatal(err)
	}
	if st, _ := share(31 * 24 * time.Hour); st != http.StatusUnprocessableEntity {
		t.Errorf("a share of 31 days with a 30-day limit: %d", st)
	}
	if st, body := share(30 * 24 * time.Hour); st != http.StatusOK {
		t.Errorf("a share of 30 days with a 30-day limit: %d %v", st, body)
	}
}
