package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"registro/accounts"
	"registro/audit"
	"registro/cases"
)

// TestPublishDue runs the automatic publisher of `registro serve` against a fake
// clock: a closed quarter waits REGISTRO_RELEASE_DELAY for its coordinator, then is
// published once, by "auto", and recorded in the access log; an organization without
// cases gets nothing; the loop stops with its context.
func TestPublishDue(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("exercises the embedded store")
	}
	ctx := context.Background()
	env := testEnv(t.TempDir())
	env["REGISTRO_RELEASE_DELAY"] = "15"
	a, err := open(ctx, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	for _, code := range []string{"LIM", "CAL"} {
		if _, err := a.accounts.CreateOrg(ctx, code, "Organización "+code); err != nil {
			t.Fatal(err)
		}
	}
	u, err := a.accounts.CreateUser(ctx, accounts.NewUser{Username: "rosa", Org: "LIM", Role: accounts.RoleCoordinator, Password: "coordinadora-segura"})
	if err != nil {
		t.Fatal(err)
	}
	actor := cases.Actor{UserID: u.ID, Username: u.Username, Org: "LIM", Role: string(u.Role)}
	for i := range 6 {
		var in cases.Input
		raw := fmt.Sprintf(`{"uic": "MAJO%02d85", "incident": {"date": "2026-05-14", "date_precision": "day", "district": "150115", "place": "street"},
			"perpetrators": ["police"], "violations": ["physical"], "consent": {"record": true, "statistics": true},
			"narrative": "Caso de prueba."}`, i+1)
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.cases.Create(ctx, actor, in, ""); err != nil {
			t.Fatal(err)
		}
	}
	var now time.Time
	a.releases.SetClock(func() time.Time { return now })

	// Q2 2026 ends at midnight in Lima after June 30: 2026-07-01 05:00 UTC.
	now = time.Date(2026, 7, 16, 4, 0, 0, 0, time.UTC)
	if n, err := a.publishDue(ctx, a.cfg.ReleaseDelay); err != nil || n != 0 {
		t.Fatalf("14 days after the quarter: published %d, %v; want none", n, err)
	}
	now = time.Date(2026, 7, 16, 6, 0, 0, 0, time.UTC)
	if n, err := a.publishDue(ctx, a.cfg.ReleaseDelay); err != nil || n != 1 {
		t.Fatalf("15 days after the quarter: published %d, %v; want 1", n, err)
	}
	list, err := a.releases.List(ctx, "LIM")
	if err != nil || len(list) != 1 || list[0].Period != "2026-Q2" || list[0].By != "auto" {
		t.Fatalf("LIM's releases: %+v, %v", list, err)
	}
	if list, _ := a.releases.List(ctx, "CAL"); len(list) != 0 {
		t.Errorf("CAL, without cases, got releases: %+v", list)
	}
	entries, _, err := a.audit.Entries(ctx, audit.Filter{Org: "LIM", Action: "stats.publish"})
	if err != nil || len(entries) != 1 || entries[0].ActorName != "auto" || entries[0].Object != "2026-Q2" {
		t.Errorf("access log: %+v, %v", entries, err)
	}
	if n, err := a.publishDue(ctx, a.cfg.ReleaseDelay); err != nil || n != 0 {
		t.Errorf("again: published %d, %v; want none (already released)", n, err)
	}

	// The loop publishes at once, then stops with its context.
	now = time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC) // Q3 2026 over, without cases
	var logs strings.Builder
	a.log = testLogger(&logs)
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.publishReleases(loopCtx, time.Hour, a.cfg.ReleaseDelay) }()
	time.Sleep(50 * time.Millisecond)
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher did not stop with its context")
	}
	if strings.Contains(logs.String(), "Caso de prueba") {
		t.Error("the publisher logged case content")
	}
}
