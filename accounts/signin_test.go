package accounts

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const wrongPassword = "not her password"

func TestSignIn(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	disabled := true
	if _, err := s.UpdateUser(ctx, bea.ID, UserPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	secret, _ := mustEnrol(t, s, c, coco)
	coco, _ = s.User(ctx, coco.ID)
	code := codeAt(t, secret, c.Now())
	// In order on one store: the replay follows the first use of the code.
	tests := []struct {
		name string
		a    Attempt
		want string
		user User
	}{
		{"OK", Attempt{Username: "ana", Password: testPassword}, "OK", ana},
		{"OKUsernameOtherCase", Attempt{Username: " Ana ", Password: testPassword}, "OK", ana},
		{"OKCodeWithoutSecondFactorIgnored", Attempt{Username: "ana", Password: testPassword, Code: "123456"}, "OK", ana},
		{"ErrBadCredentialsWrongPassword", Attempt{Username: "ana", Password: "Correct horse battery"}, "ErrBadCredentials", User{}},
		{"ErrBadCredentialsUnknownUser", Attempt{Username: "nadie", Password: testPassword}, "ErrBadCredentials", User{}},
		{"ErrBadCredentialsMalformedUser", Attempt{Username: "", Password: testPassword}, "ErrBadCredentials", User{}},
		{"ErrBadCredentialsLongUser", Attempt{Username: strings.Repeat("a", 1000), Password: testPassword}, "ErrBadCredentials", User{}},
		{"ErrBadCredentialsDisabled", Attempt{Username: "bea", Password: testPassword}, "ErrBadCredentials", User{}},
		{"ErrSecondFactorRequired", Attempt{Username: "coco", Password: testPassword}, "ErrSecondFactorRequired", User{}},
		{"ErrBadCredentialsWrongPasswordRightCode", Attempt{Username: "coco", Password: wrongPassword, Code: code}, "ErrBadCredentials", User{}},
		{"ErrBadCredentialsWrongCode", Attempt{Username: "coco", Password: testPassword, Code: "000000"}, "ErrBadCredentials", User{}},
		{"OKWithCode", Attempt{Username: "coco", Password: testPassword, Code: code}, "OK", coco},
		{"ErrBadCredentialsCodeReplayed", Attempt{Username: "coco", Password: testPassword, Code: code}, "ErrBadCredentials", User{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, g, err := s.SignIn(ctx, tt.a)
			if got := outcome(err); got != tt.want {
				t.Fatalf("SignIn = %s, want %s", got, tt.want)
			}
			if d := diff(tt.user, u); d != "" {
				t.Errorf("user:%s", d)
			}
			if (err == nil) != (g.Device != "") {
				t.Errorf("grant %+v with error %v: want a device token exactly on success", g, err)
			}
		})
	}
}

// Five failures within 15 minutes throttle that client for that username, until the
// oldest of them is 15 minutes old; other clients and usernames go on.
func TestThrottlePerClient(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{})
	mustCreateOrg(t, s, "LIM")
	mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	const a, b = "10.0.0.1", "10.0.0.2"
	steps := []struct {
		name            string
		advance         time.Duration
		username        string
		client          string
		password        string
		want            string
		wantRetry       time.Duration
		wantGuardedFlag bool
	}{
		{"Failure1", 0, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"Failure2", time.Minute, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"Failure3", time.Minute, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"Failure4", time.Minute, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"Failure5ReachesTheLimit", time.Minute, "ana", a, wrongPassword, "ErrThrottled", 11 * time.Minute, false},
		{"ThrottledWrongPassword", time.Minute, "ana", a, wrongPassword, "ErrThrottled", 10 * time.Minute, false},
		{"ThrottledRightPassword", 0, "ana", a, testPassword, "ErrThrottled", 10 * time.Minute, false},
		{"OKOtherClient", 0, "ana", b, testPassword, "OK", 0, false},
		{"OtherUsernameSameClient", 0, "bea", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"ThrottledUntilOldestAgesOut", 9*time.Minute + 59*time.Second, "ana", a, testPassword, "ErrThrottled", time.Second, false},
		{"OneMoreTryAfterOldestAgedOut", time.Second, "ana", a, wrongPassword, "ErrThrottled", time.Minute, false},
		{"ThrottledAgain", 0, "ana", a, testPassword, "ErrThrottled", time.Minute, false},
		{"OKOnceNextAgesOut", time.Minute, "ana", a, testPassword, "OK", 0, false},
		// Success forgave this client's failures: five fresh tries.
		{"FreshFailure1", 0, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"FreshFailure2", 0, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"FreshFailure3", 0, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"FreshFailure4", 0, "ana", a, wrongPassword, "ErrBadCredentials", 0, false},
		{"FreshFailure5", 0, "ana", a, wrongPassword, "ErrThrottled", 15 * time.Minute, false},
		{"FreshThrottled", 0, "ana", a, testPassword, "ErrThrottled", 15 * time.Minute, false},
	}
	for _, st := range steps {
		c.Add(st.advance)
		_, _, err := s.SignIn(context.Background(), Attempt{Username: st.username, Password: st.password, Client: st.client})
		want := st.want
		if want == "ErrThrottled" {
			want = fmt.Sprintf("ErrThrottled(retry %s, guarded %v)", st.wantRetry, st.wantGuardedFlag)
		}
		if got := answer(err); got != want {
			t.Fatalf("%s: SignIn = %s, want %s", st.name, got, want)
		}
	}
}

// Concurrent failures are each recorded (inserts by _id decide), so none slips
// past the limit.
func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	mustCreateOrg(t, s, "LIM")
	mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	var wg sync.WaitGroup
	for range clientLimit {
		wg.Go(func() {
			_, _, _ = s.SignIn(context.Background(), Attempt{Username: "ana", Password: wrongPassword, Client: "x"})
		})
	}
	wg.Wait()
	if _, _, err := s.SignIn(context.Background(), Attempt{Username: "ana", Password: testPassword, Client: "x"}); outcome(err) != "ErrThrottled" {
		t.Errorf("SignIn after %d concurrent failures = %v, want ErrThrottled", clientLimit, err)
	}
}

// Ten failures within 15 minutes from any clients guard the username: a client
// without her device needs the password and a code together.
func TestGuard(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	secret, _ := mustEnrol(t, s, c, coco)
	_, anaPhone := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword, Client: "home"})
	for i := range accountLimit {
		for _, name := range []string{"ana", "coco"} {
			_, _, err := s.SignIn(ctx, Attempt{Username: name, Password: wrongPassword, Client: fmt.Sprintf("10.1.0.%d", i)})
			want := map[bool]string{false: "ErrBadCredentials", true: "ErrThrottled(retry 15m0s, guarded true)"}[i == accountLimit-1]
			if answer(err) != want {
				t.Fatalf("failure %d for %s = %s, want %s", i+1, name, answer(err), want)
			}
		}
	}
	c.Add(totpPeriod * time.Second)
	guarded := fmt.Sprintf("ErrThrottled(retry %s, guarded true)", failureWindow-totpPeriod*time.Second)
	steps := []struct {
		name string
		a    Attempt
		want string
	}{
		{"GuardedRightPassword", Attempt{Username: "ana", Password: testPassword, Client: "new"}, guarded},
		{"GuardedRightPasswordNoCode", Attempt{Username: "coco", Password: testPassword, Client: "new"}, guarded},
		{"GuardedRightPasswordWrongCode", Attempt{Username: "coco", Password: testPassword, Client: "new", Code: "999999"}, guarded},
		{"GuardedNoSecondFactorAnyCode", Attempt{Username: "ana", Password: testPassword, Client: "new", Code: "123456"}, guarded},
		{"OKPasswordAndCode", Attempt{Username: "coco", Password: testPassword, Client: "new", Code: codeAt(t, secret, c.Now())}, "OK"},
		{"OKHerDevice", Attempt{Username: "ana", Password: testPassword, Client: "new", Device: anaPhone.Device}, "OK"},
		{"HerDeviceWrongPassword", Attempt{Username: "ana", Password: wrongPassword, Client: "new", Device: anaPhone.Device}, "ErrBadCredentials"},
	}
	for _, st := range steps {
		if _, _, err := s.SignIn(ctx, st.a); answer(err) != st.want {
			t.Fatalf("%s: SignIn = %s, want %s", st.name, answer(err), st.want)
		}
	}
	c.Add(failureWindow)
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword, Client: "new"}); err != nil {
		t.Errorf("SignIn once the failures aged out: %v", err)
	}
}

// The promise: whoever hammers a username, from as many clients as she
// likes, also from the owner's own address, and even knowing the password, cannot
// keep out the owner who has her password and authenticator, or her usual device.
func TestAttackerCannotKeepOwnerOut(t *testing.T) {
	t.Parallel()
	s, c, _ := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach) // no second factor
	secret, _ := mustEnrol(t, s, c, coco)
	const shared = "190.42.0.7" // her carrier's NAT: the attacker has it too
	_, cocoPhone := mustSignIn(t, s, Attempt{Username: "coco", Password: testPassword, Code: codeAt(t, secret, c.Now()), Client: shared})
	_, anaPhone := mustSignIn(t, s, Attempt{Username: "ana", Password: testPassword, Client: shared})
	c.Add(totpPeriod * time.Second)

	// The attacker: 12 addresses and the shared one, 6 tries each, wrong passwords,
	// now and then a made-up code, and for coco the right password (she leaked it,
	// not her phone) with a wrong code.
	verifications := s.hashes.Load()
	seen := map[string]int{}
	for round := range 6 {
		for i := range 13 {
			client := fmt.Sprintf("203.0.113.%d", i)
			if i == 12 {
				client = shared
			}
			for _, name := range []string{"coco", "ana"} {
				a := Attempt{Username: name, Password: fmt.Sprintf("guess %d %d xyz", round, i), Client: client}
				switch {
				case i%4 == 1:
					a.Code = fmt.Sprintf("%06d", round*13+i)
				case i%4 == 2 && name == "coco":
					a.Password, a.Code = testPassword, "000000"
				}
				_, _, err := s.SignIn(ctx, a)
				seen[outcome(err)]++
			}
		}
	}
	if len(seen) != 2 || seen["ErrBadCredentials"] == 0 || seen["ErrThrottled"] == 0 {
		t.Errorf("the attacker saw %v; want only ErrBadCredentials and ErrThrottled", seen)
	}
	t.Logf("attacker: %v, %d password verifications", seen, s.hashes.Load()-verifications)

	steps := []struct {
		name string
		a    Attempt
	}{
		{"OKSharedAddressPasswordAndCode", Attempt{Username: "coco", Password: testPassword, Client: shared}},
		{"OKNewAddressPasswordAndCode", Attempt{Username: "coco", Password: testPassword, Client: "café"}},
		{"OKHerDeviceSharedAddress", Attempt{Username: "coco", Password: testPassword, Client: shared, Device: cocoPhone.Device}},
		{"OKNoSecondFactorHerDevice", Attempt{Username: "ana", Password: testPassword, Client: shared, Device: anaPhone.Device}},
	}
	for _, st := range steps {
		c.Add(totpPeriod * time.Second)
		if st.a.Username == "coco" {
			st.a.Code = codeAt(t, secret, c.Now())
		}
		u, _, err := s.SignIn(ctx, st.a)
		if err != nil {
			t.Errorf("%s: SignIn = %s, want OK", st.name, answer(err))
			continue
		}
		if want := map[string]string{"coco": coco.ID, "ana": ana.ID}[st.a.Username]; u.ID != want {
			t.Errorf("%s: signed in as %s", st.name, u.Username)
		}
	}
	// Only without both does the guard hold, and only for a device she never used.
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword, Client: "café"}); answer(err) == "OK" {
		t.Errorf("ana from a new device while guarded: OK, want ErrThrottled")
	}
}

// A new password set by someone else lifts the throttles on the username: the owner
// who forgot hers may try the new one at once from the phone she failed on.
func TestResetLiftsThrottle(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	for range clientLimit + 1 {
		_, _, _ = s.SignIn(ctx, Attempt{Username: "ana", Password: wrongPassword, Client: "phone"})
	}
	newPassword := "otra clave para ana"
	if _, err := s.UpdateUser(ctx, ana.ID, UserPatch{Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: newPassword, Client: "phone"}); err != nil {
		t.Errorf("SignIn after the reset: %v", err)
	}
	if _, _, err := s.SignIn(ctx, Attempt{Username: "ana", Password: testPassword, Client: "phone"}); outcome(err) != "ErrBadCredentials" {
		t.Errorf("SignIn with the old password = %v, want ErrBadCredentials", err)
	}
}

// The embedded store has no TTL indexes: the session job also removes failures out
// of the window and used TOTP steps past their memory, and nothing younger.
func TestDeleteExpiredSessionsTidies(t *testing.T) {
	t.Parallel()
	s, c, db := newStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	mustEnrol(t, s, c, coco) // marks used steps
	_, _, _ = s.SignIn(ctx, Attempt{Username: "nadie", Password: wrongPassword})
	count := func(coll string) int64 {
		n, err := db.Collection(coll).CountDocuments(ctx, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := s.DeleteExpiredSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if count("login_failures") != 2 || count("second_factor_uses") != 3 {
		t.Fatalf("young records deleted: %d failures, %d used steps; want 2 and 3", count("login_failures"), count("second_factor_uses"))
	}
	c.Add(failureWindow)
	if _, err := s.DeleteExpiredSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if count("login_failures") != 0 || count("second_factor_uses") != 0 {
		t.Errorf("after the window: %d failures, %d used steps left; want none", count("login_failures"), count("second_factor_uses"))
	}
}
