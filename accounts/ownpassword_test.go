package accounts

import (
	"context"
	"testing"
)

// Every password set by someone else must be changed at first sign-in, and only
// ChangeOwnPassword clears the flag.
func TestMustChangePassword(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	res, err := s.Bootstrap(ctx, "LIM", "Red Lima", "")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := mustSignIn(t, s, Attempt{Username: "admin", Password: res.Password})
	typed := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	generated, err := s.CreateUser(ctx, NewUser{Username: "bea", Org: "LIM", Role: RoleLegal, Password: GeneratePassword()})
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]User{"BootstrapGenerated": admin, "CreateUserTyped": typed, "CreateUserGenerated": generated} {
		if !u.MustChangePassword {
			t.Errorf("%s: MustChangePassword = false", name)
		}
	}

	stored := func() bool {
		t.Helper()
		u, err := s.User(ctx, typed.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.MustChangePassword
	}
	tok, _ := mustSession(t, s, typed)
	const own = "mi propia clave de ana"
	steps := []struct {
		name   string
		change func() error
		want   bool
	}{
		{"KeptBySignIn", func() error {
			_, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword})
			return err
		}, true},
		{"KeptByOtherChanges", func() error {
			_, err := s.UpdateUser(ctx, typed.ID, UserPatch{Role: ptr(RoleAdvocate), Lang: ptr("en"), Disabled: ptr(false)})
			return err
		}, true},
		{"ClearedByChangeOwnPassword", func() error { return s.ChangeOwnPassword(ctx, typed.ID, testPassword, own, tok) }, false},
		{"SetByReset", func() error {
			// A coordinator's reset and the command line's both go through UpdateUser.
			_, err := s.UpdateUser(ctx, typed.ID, UserPatch{Password: ptr(testPassword)})
			return err
		}, true},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := stored(); got != st.want {
			t.Errorf("%s: MustChangePassword = %v, want %v", st.name, got, st.want)
		}
	}
	// Bootstrap with a given password, and the repair of an interrupted one, too.
	s2, _, _ := newStore(t, Options{})
	if _, err := s2.Bootstrap(ctx, "CAL", "Callao", "given password 123"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s2.User(ctx, "admin"); !u.MustChangePassword {
		t.Error("Bootstrap with a given password: MustChangePassword = false")
	}
}

func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	mine, _ := mustSession(t, s, ana)
	other, _ := mustSession(t, s, ana)
	const next = "la luna sale tarde"
	tests := []struct {
		name, current, next string
		want                string
		wantFields          map[string]string
	}{
		{"InvalidWeak", testPassword, "password123!", "Invalid", map[string]string{"new": en(problemCommon)}},
		{"InvalidSame", testPassword, testPassword, "Invalid", map[string]string{"new": "must differ from the current password"}},
		{"InvalidUsername", testPassword, "Ana-2026-ana", "Invalid", map[string]string{"new": en(problemContext)}},
		{"ErrBadCredentials", wrongPassword, next, "ErrBadCredentials", nil},
		{"OK", testPassword, next, "OK", nil},
		{"ErrBadCredentialsOldPassword", testPassword, "otra frase larga más", "ErrBadCredentials", nil},
	}
	for _, tt := range tests {
		err := s.ChangeOwnPassword(ctx, ana.ID, tt.current, tt.next, mine)
		if got := outcome(err); got != tt.want {
			t.Fatalf("%s: ChangeOwnPassword = %s, want %s", tt.name, got, tt.want)
		}
		if d := diff(tt.wantFields, invalidFields(err)); d != "" {
			t.Errorf("%s: fields:%s", tt.name, d)
		}
	}
	if _, _, err := s.Authenticated(ctx, mine); err != nil {
		t.Errorf("the session that changed the password: %v, want it kept", err)
	}
	if _, _, err := s.Authenticated(ctx, other); outcome(err) != "ErrSessionExpired" {
		t.Errorf("another session: %v, want ErrSessionExpired", err)
	}
	if u, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: next}); err != nil || u.MustChangePassword {
		t.Errorf("SignIn with the new password = %+v, %v", u, err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword}); outcome(err) != "ErrBadCredentials" {
		t.Errorf("SignIn with the old password = %v", err)
	}
	// Another account's session, or one already ended, is not kept (nor revived).
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	beaTok, _ := mustSession(t, s, bea)
	if err := s.ChangeOwnPassword(ctx, ana.ID, next, "otra frase larga más", beaTok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticated(ctx, mine); outcome(err) != "ErrSessionExpired" {
		t.Errorf("ana's session after a change kept bea's token: %v, want ErrSessionExpired", err)
	}
	if _, _, err := s.Authenticated(ctx, beaTok); err != nil {
		t.Errorf("bea's session: %v, want untouched", err)
	}
}

// Wrong current passwords count as failed sign-ins: the session gets five, and they
// count toward guarding the username.
func TestChangeOwnPasswordThrottled(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	tok, _ := mustSession(t, s, ana)
	for i := range clientLimit {
		want := map[bool]string{false: "ErrBadCredentials", true: "ErrThrottled"}[i == clientLimit-1]
		if err := s.ChangeOwnPassword(ctx, ana.ID, wrongPassword, "la luna sale tarde", tok); outcome(err) != want {
			t.Fatalf("try %d: %v, want %s", i+1, err, want)
		}
	}
	if err := s.ChangeOwnPassword(ctx, ana.ID, testPassword, "la luna sale tarde", tok); outcome(err) != "ErrThrottled" {
		t.Errorf("sixth try, right password: %v, want ErrThrottled", err)
	}
	for i := range accountLimit - clientLimit {
		_, _, _ = s.SignIn(ctx, Attempt{Username: "ana", Password: wrongPassword, Client: string(rune('a' + i))})
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword, Client: "new"}); outcome(err) != "ErrThrottled" {
		t.Errorf("SignIn after 5 wrong current passwords and 5 failed sign-ins = %v, want ErrThrottled (guarded)", err)
	}
}
