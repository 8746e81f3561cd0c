package accounts

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	disabled := true
	if _, err := s.UpdateUser(ctx, bea.ID, UserPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, username, password, want string }{
		{"OK", "ana", testPassword, "OK"},
		{"OKUsernameOtherCase", " Ana ", testPassword, "OK"},
		{"ErrBadCredentialsWrongPassword", "ana", "Correct horse battery", "ErrBadCredentials"},
		{"ErrBadCredentialsUnknownUser", "nadie", testPassword, "ErrBadCredentials"},
		{"ErrBadCredentialsMalformedUser", "", testPassword, "ErrBadCredentials"},
		{"ErrBadCredentialsDisabled", "bea", testPassword, "ErrBadCredentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Authenticate(ctx, tt.username, tt.password)
			if got := outcome(err); got != tt.want {
				t.Fatalf("Authenticate(%q) = %s, want %s", tt.username, got, tt.want)
			}
			if err == nil {
				if d := diff(ana, u); d != "" {
					t.Errorf("user:%s", d)
				}
			}
		})
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{MaxFailures: 3, LockoutDuration: 10 * time.Minute})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	const wrong = "wrong password!"
	// Steps run in order: the lock depends on what came before.
	steps := []struct {
		name     string
		advance  time.Duration
		password string
		want     string
	}{
		{"Failure1", 0, wrong, "ErrBadCredentials"},
		{"SuccessResetsCount", 0, testPassword, "OK"},
		{"Failure1Again", 0, wrong, "ErrBadCredentials"},
		{"Failure2", 0, wrong, "ErrBadCredentials"},
		{"Failure3Locks", 0, wrong, "ErrLocked"},
		{"ErrLockedRightPassword", 9 * time.Minute, testPassword, "ErrLocked"},
		{"ErrLockedWrongPassword", 0, wrong, "ErrLocked"},
		{"OKAfterLockout", time.Minute, testPassword, "OK"},
		{"FreshCountFailure1", 0, wrong, "ErrBadCredentials"},
		{"FreshCountFailure2", 0, wrong, "ErrBadCredentials"},
		{"FreshCountFailure3Locks", 0, wrong, "ErrLocked"},
	}
	for _, st := range steps {
		c.Add(st.advance)
		if _, err := s.Authenticate(ctx, "ana", st.password); outcome(err) != st.want {
			t.Fatalf("%s: Authenticate = %s, want %s", st.name, outcome(err), st.want)
		}
	}
	// A password reset by a coordinator lifts the lock.
	newPassword := "a brand new password"
	if _, err := s.UpdateUser(ctx, ana.ID, UserPatch{Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "ana", newPassword); err != nil {
		t.Errorf("Authenticate after a password reset: %v", err)
	}
	if _, err := s.Authenticate(ctx, "ana", testPassword); outcome(err) != "ErrBadCredentials" {
		t.Errorf("Authenticate with the old password = %v, want ErrBadCredentials", err)
	}
}

// Concurrent guesses are counted atomically, so none slips past the limit.
func TestLockoutConcurrent(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{MaxFailures: 4})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _, _ = s.Authenticate(ctx, "ana", "wrong password!") })
	}
	wg.Wait()
	if _, err := s.Authenticate(ctx, "ana", testPassword); outcome(err) != "ErrLocked" {
		t.Errorf("Authenticate after 4 concurrent failures = %v, want ErrLocked", err)
	}
}
