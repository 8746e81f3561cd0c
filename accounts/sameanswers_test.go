package accounts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Under the same attack, an unknown username gets the same answers in the same
// sequence as existing ones (with and without a second factor, disabled), after the
// same database commands (all {_id} lookups or inserts) and the same number of
// argon2 verifications.
func TestSignInUnknownAnswersLikeExisting(t *testing.T) {
	t.Parallel()
	s, c, log := newMonitoredStore(t, Options{SecretKey: testKey})
	ctx := context.Background()
	mustCreateOrg(t, s, "LIM")
	mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	coco := mustCreateUser(t, s, "coco", "LIM", RoleCoordinator)
	mustEnrol(t, s, c, coco)
	bea := mustCreateUser(t, s, "bea", "LIM", RoleOutreach)
	disabled := true
	if _, err := s.UpdateUser(ctx, bea.ID, UserPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	strangerDevice, err := randomToken()
	if err != nil {
		t.Fatal(err)
	}
	script := []struct {
		advance      time.Duration
		client, code string
		device       string
		times        int
	}{
		{0, "10.0.0.1", "", "", clientLimit + 1},             // five failures, then throttled
		{0, "10.0.0.1", "123456", "", 1},                     // throttled, with a code
		{time.Minute, "10.0.0.2", "", "", clientLimit},       // ten in all: guarded
		{0, "10.0.0.3", "", "", 1},                           // guarded
		{0, "10.0.0.3", "654321", "", 1},                     // guarded, with a code
		{0, "10.0.0.3", "abcde-fghij", "", 1},                // guarded, with a recovery code
		{0, "10.0.0.3", "", strangerDevice, 1},               // guarded, with a device token of nobody
		{0, "10.0.0.3", "", "x", 1},                          // guarded, with a malformed device token
		{failureWindow + time.Minute, "10.0.0.4", "", "", 1}, // all aged out
	}
	usernames := []string{"nadie", "ana", "coco", "bea"}
	transcripts := make(map[string][]string)
	for _, st := range script {
		c.Add(st.advance)
		for range st.times {
			for _, name := range usernames {
				before := s.hashes.Load()
				log.start()
				_, _, err := s.SignIn(ctx, Attempt{Username: name, Password: wrongPassword, Code: st.code, Client: st.client, Device: st.device})
				cmds := log.stop()
				line := fmt.Sprintf("%s after %d verification(s) and %s", answer(err), s.hashes.Load()-before, strings.Join(cmds, "; "))
				transcripts[name] = append(transcripts[name], line)
				for _, cmd := range cmds {
					if strings.Contains(cmd, "scan") {
						t.Errorf("%s: %s scans", name, cmd)
					}
				}
			}
		}
	}
	for _, name := range usernames[1:] {
		if d := diff(transcripts["nadie"], transcripts[name]); d != "" {
			t.Errorf("%s answered unlike an unknown username (-unknown +%s):%s", name, name, d)
		}
	}
	// The fifth failure from a client, and the tenth for the username, are answered
	// as the refusals after them. The throttled try with a code was verified and
	// counted for the username: the fourth failure from the second client is its
	// tenth.
	bad, guarded := "ErrBadCredentials", "ErrThrottled(retry 14m0s, guarded true)"
	throttled := "ErrThrottled(retry 15m0s, guarded false)"
	want := []string{bad, bad, bad, bad, throttled,
		throttled, throttled,
		bad, bad, bad, guarded, guarded,
		guarded, guarded, guarded, guarded, guarded,
		bad}
	var got []string
	for _, line := range transcripts["nadie"] {
		got = append(got, line[:strings.Index(line, " after ")])
	}
	if d := diff(want, got); d != "" {
		t.Errorf("answers to the attack:%s", d)
	}
	for i, line := range transcripts["nadie"] {
		t.Logf("%2d %s", i+1, line)
	}
}

// A request's session is found by {_id} alone, however many sessions are stored.
func TestAuthenticatedLooksUpByID(t *testing.T) {
	t.Parallel()
	s, c, log := newMonitoredStore(t, Options{})
	mustCreateOrg(t, s, "LIM")
	ana := mustCreateUser(t, s, "ana", "LIM", RoleOutreach)
	tok, _ := mustSession(t, s, ana)
	c.Add(2 * touchInterval)
	log.start()
	if _, _, err := s.Authenticated(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	want := []string{"find sessions {_id}", "find users {_id}", "update sessions {_id}"}
	if d := diff(want, log.stop()); d != "" {
		t.Errorf("commands:%s", d)
	}
}
