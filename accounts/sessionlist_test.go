package accounts

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSessionsAndEndOtherSessions(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{IdleTimeout: 30 * time.Minute})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	_, _ = mustSession(t, s, ana) // left idle: not listed
	c.Add(31 * time.Minute)
	phone, phoneSess := mustSession(t, s, ana)
	c.Add(5 * time.Minute)
	laptop, laptopSess := mustSession(t, s, ana)
	beaTok, _ := mustSession(t, s, bea)

	got, err := s.Sessions(ctx, ana.ID, phone)
	if err != nil {
		t.Fatal(err)
	}
	want := []SessionInfo{
		{ID: publicSessionID(laptopSess.ID), CreatedAt: laptopSess.CreatedAt, LastSeen: laptopSess.LastSeen, ExpiresAt: laptopSess.ExpiresAt},
		{ID: publicSessionID(phoneSess.ID), CreatedAt: phoneSess.CreatedAt, LastSeen: phoneSess.LastSeen, ExpiresAt: phoneSess.ExpiresAt, Current: true},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("Sessions:%s", d)
	}
	for _, si := range got {
		if strings.Contains(phone+laptop+phoneSess.ID+laptopSess.ID, si.ID) {
			t.Errorf("session id %q is the token or its stored hash, or part of them", si.ID)
		}
	}

	n, err := s.EndOtherSessions(ctx, ana.ID, phone)
	if err != nil || n != 1 {
		t.Fatalf("EndOtherSessions = %d, %v; want 1 (the laptop)", n, err)
	}
	for tok, want := range map[string]string{phone: "OK", laptop: "ErrSessionExpired", beaTok: "OK"} {
		if _, _, err := s.Authenticated(ctx, tok); outcome(err) != want {
			t.Errorf("Authenticated after EndOtherSessions = %v, want %s", err, want)
		}
	}
	if got, _ := s.Sessions(ctx, ana.ID, phone); len(got) != 1 || !got[0].Current {
		t.Errorf("Sessions after EndOtherSessions = %+v, want the current one", got)
	}
	// Keeping another account's token keeps nothing and ends all.
	if n, err := s.EndOtherSessions(ctx, ana.ID, beaTok); err != nil || n != 1 {
		t.Errorf("EndOtherSessions(bea's token) = %d, %v; want 1", n, err)
	}
	if _, _, err := s.Authenticated(ctx, phone); outcome(err) != "ErrSessionExpired" {
		t.Errorf("phone after ending all = %v", err)
	}
	if _, err := s.EndOtherSessions(ctx, "00000000-0000-0000-0000-000000000001", ""); outcome(err) != "ErrNotFound" {
		t.Errorf("EndOtherSessions(unknown) = %v, want ErrNotFound", err)
	}
}
