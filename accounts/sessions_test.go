package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestCreateSession(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	token, sess := mustSession(t, s, ana)

	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v; want 32 bytes of unpadded base64url", token, len(raw), err)
	}
	sum := sha256.Sum256([]byte(token))
	want := Session{ID: hex.EncodeToString(sum[:]), UserID: ana.ID, CreatedAt: c.Now(), LastSeen: c.Now(),
		ExpiresAt: c.Now().Add(12 * time.Hour), CSRF: sess.CSRF}
	if d := diff(want, sess); d != "" {
		t.Errorf("session:%s", d)
	}
	if len(sess.CSRF) < 43 || sess.CSRF == token {
		t.Errorf("CSRF %q: want a random value of its own", sess.CSRF)
	}

	// The stored document must not hold the token in any form.
	doc, err := db.Collection("sessions").FindOne(ctx, bson.D{{Key: "_id", Value: sess.ID}}).Raw()
	if err != nil {
		t.Fatalf("stored session: %v", err)
	}
	for _, secret := range [][]byte{[]byte(token), raw, []byte(base64.StdEncoding.EncodeToString(raw)), []byte(hex.EncodeToString(raw))} {
		if bytes.Contains(doc, secret) {
			t.Errorf("stored session %s contains the token", doc)
		}
	}
	if _, _, err := s.Authenticated(ctx, sess.ID); outcome(err) != "ErrSessionExpired" {
		t.Errorf("Authenticated(stored id) = %v, want ErrSessionExpired: the hash must not work as a token", err)
	}
}

// The session ends after IdleTimeout without use or MaxLifetime in all, whichever
// comes first; LastSeen is written at most once a minute.
func TestAuthenticatedExpiry(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{IdleTimeout: 30 * time.Minute, MaxLifetime: 2 * time.Hour})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	idle, idleSess := mustSession(t, s, ana)
	busy, _ := mustSession(t, s, ana)
	start := c.Now()
	storedLastSeen := func(id string) time.Time {
		var sd sessionDoc
		_ = db.Collection("sessions").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sd)
		return sd.LastSeen
	}
	steps := []struct {
		name         string
		advance      time.Duration
		token        string
		want         string
		wantLastSeen time.Duration // since start, as stored after the call
	}{
		{"OKFresh", 0, idle, "OK", 0},
		{"OKNoWriteWithinAMinute", 59 * time.Second, idle, "OK", 0},
		{"OKWriteAfterAMinute", time.Second, idle, "OK", time.Minute},
		{"OKJustBeforeIdle", 29*time.Minute + 59*time.Second, idle, "OK", 30*time.Minute + 59*time.Second},
		{"ErrSessionExpiredIdle", 30 * time.Minute, idle, "ErrSessionExpired", -1},
		{"ErrSessionExpiredIdleStays", 0, idle, "ErrSessionExpired", -1},
	}
	for _, st := range steps {
		c.Add(st.advance)
		_, sess, err := s.Authenticated(ctx, st.token)
		if outcome(err) != st.want {
			t.Fatalf("%s: Authenticated = %s, want %s", st.name, outcome(err), st.want)
		}
		if st.wantLastSeen >= 0 {
			want := start.Add(st.wantLastSeen)
			if got := storedLastSeen(idleSess.ID); !got.Equal(want) || !sess.LastSeen.Equal(want) {
				t.Errorf("%s: LastSeen returned %v, stored %v; want %v", st.name, sess.LastSeen, got, want)
			}
		}
	}
	if got := storedLastSeen(idleSess.ID); !got.IsZero() {
		t.Errorf("expired session still stored (last seen %v)", got)
	}

	// busy is used every 20 minutes, yet ends after two hours.
	c.Add(-c.Now().Sub(start))
	for c.Now().Sub(start) < 2*time.Hour {
		if _, _, err := s.Authenticated(ctx, busy); err != nil {
			t.Fatalf("busy session at %v: %v", c.Now().Sub(start), err)
		}
		c.Add(20 * time.Minute)
	}
	if _, _, err := s.Authenticated(ctx, busy); outcome(err) != "ErrSessionExpired" {
		t.Errorf("busy session after its lifetime = %v, want ErrSessionExpired", err)
	}
}

func TestAuthenticatedFollowsAccount(t *testing.T) {
	t.Parallel()
	s, _, db := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	tokA, _ := mustSession(t, s, ana)
	tokB, _ := mustSession(t, s, bea)

	// A role change is seen on the very next request, without ending the session.
	role := RoleCoordinator
	if _, err := s.UpdateUser(ctx, ana.ID, UserPatch{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if u, _, err := s.Authenticated(ctx, tokA); err != nil || u.Role != RoleCoordinator {
		t.Fatalf("after role change: Authenticated = %v, %v; want role coordinator", u.Role, err)
	}

	// Disabling ends every session at once, and they stay ended after re-enabling.
	disabled, enabled := true, false
	if _, err := s.UpdateUser(ctx, ana.ID, UserPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticated(ctx, tokA); outcome(err) != "ErrSessionExpired" {
		t.Errorf("after disabling: Authenticated = %v, want ErrSessionExpired", err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword}); outcome(err) != "ErrBadCredentials" {
		t.Errorf("after disabling: SignIn = %v, want ErrBadCredentials", err)
	}
	if _, _, err := s.CreateSession(ctx, ana); outcome(err) != "ErrBadCredentials" {
		t.Errorf("after disabling: CreateSession = %v, want ErrBadCredentials", err)
	}
	if _, err := s.UpdateUser(ctx, ana.ID, UserPatch{Disabled: &enabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticated(ctx, tokA); outcome(err) != "ErrSessionExpired" {
		t.Errorf("after re-enabling: old session = %v, want ErrSessionExpired", err)
	}

	// A new password ends the sessions, also one created by a sign-in that raced
	// with the change (simulated: its session survives the deletion, but its
	// generation is stale).
	tokB2, sessB2 := mustSession(t, s, bea)
	stale, err := db.Collection("sessions").FindOne(ctx, bson.D{{Key: "_id", Value: sessB2.ID}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	password := "another good password"
	if _, err := s.UpdateUser(ctx, bea.ID, UserPatch{Password: &password}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("sessions").InsertOne(ctx, stale); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tokB, tokB2} {
		if _, _, err := s.Authenticated(ctx, tok); outcome(err) != "ErrSessionExpired" {
			t.Errorf("after a password change: Authenticated = %v, want ErrSessionExpired", err)
		}
	}

	// An account that is gone ends its sessions.
	tokB3, _ := mustSession(t, s, bea)
	if _, err := db.Collection("users").DeleteOne(ctx, bson.D{{Key: "_id", Value: bea.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticated(ctx, tokB3); outcome(err) != "ErrSessionExpired" {
		t.Errorf("account gone: Authenticated = %v, want ErrSessionExpired", err)
	}
}

func TestDeleteSession(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	tok, _ := mustSession(t, s, ana)
	other, _ := mustSession(t, s, ana)
	tests := []struct{ name, token string }{
		{"OK", tok},
		{"OKAgain", tok},
		{"OKUnknown", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"OKMalformed", "x"},
	}
	for _, tt := range tests {
		if err := s.DeleteSession(ctx, tt.token); err != nil {
			t.Errorf("%s: DeleteSession = %v, want nil", tt.name, err)
		}
	}
	if _, _, err := s.Authenticated(ctx, tok); outcome(err) != "ErrSessionExpired" {
		t.Errorf("after logout: Authenticated = %v, want ErrSessionExpired", err)
	}
	if _, _, err := s.Authenticated(ctx, other); err != nil {
		t.Errorf("logout ended another session: %v", err)
	}
	for _, tok := range []string{"", "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, _, err := s.Authenticated(ctx, tok); outcome(err) != "ErrSessionExpired" {
			t.Errorf("Authenticated(%q) = %v, want ErrSessionExpired", tok, err)
		}
	}
}

func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{IdleTimeout: 30 * time.Minute, MaxLifetime: 45 * time.Minute})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	old, _ := mustSession(t, s, ana)  // used regularly: ends by lifetime
	idle, _ := mustSession(t, s, ana) // never used again: ends by idleness
	c.Add(20 * time.Minute)
	recent, _ := mustSession(t, s, ana)
	mustAuth := func(tok string) {
		t.Helper()
		if _, _, err := s.Authenticated(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	mustAuth(old)
	c.Add(20 * time.Minute)
	mustAuth(old)
	mustAuth(recent)
	fresh, _ := mustSession(t, s, ana)
	c.Add(10 * time.Minute) // 50 minutes after old and idle began

	n, err := s.DeleteExpiredSessions(ctx)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 2 (lifetime and idle)", n, err)
	}
	for _, tok := range []string{recent, fresh} {
		mustAuth(tok)
	}
	if n, err := s.DeleteExpiredSessions(ctx); err != nil || n != 0 {
		t.Errorf("second DeleteExpiredSessions = %d, %v; want 0", n, err)
	}
	for _, tok := range []string{old, idle} {
		if _, _, err := s.Authenticated(ctx, tok); outcome(err) != "ErrSessionExpired" {
			t.Errorf("deleted session: Authenticated = %v, want ErrSessionExpired", err)
		}
	}
}
