package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"registro/database"
	"registro/database/dbtest"
	"registro/validation"
)

// testPassword is long enough for the policy; tests hash it sparingly because argon2
// at OWASP cost takes ~0.1 s under -race.
const testPassword = "correct horse battery"

// testKey is Options.SecretKey for tests that need second factors.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// clock is an injectable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newStore returns a store on a fresh database, with opts.Now set to a test clock.
func newStore(tb testing.TB, opts Options) (*Store, *clock, *database.DB) {
	tb.Helper()
	db := dbtest.New(tb)
	c := newClock()
	opts.Now = c.Now
	s := NewStore(db.Database, opts)
	if err := s.EnsureIndexes(context.Background()); err != nil {
		tb.Fatalf("EnsureIndexes: %v", err)
	}
	return s, c, db
}

func mustCreateOrg(tb testing.TB, s *Store, code string) Org {
	tb.Helper()
	o, err := s.CreateOrg(context.Background(), code, "Organización "+code)
	if err != nil {
		tb.Fatalf("CreateOrg(%s): %v", code, err)
	}
	return o
}

func mustCreateUser(tb testing.TB, s *Store, username, org string, role Role) User {
	tb.Helper()
	u, err := s.CreateUser(context.Background(), NewUser{Username: username, Org: org, Role: role, Password: testPassword})
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

func mustSession(tb testing.TB, s *Store, u User) (string, Session) {
	tb.Helper()
	token, sess, err := s.CreateSession(context.Background(), u)
	if err != nil {
		tb.Fatalf("CreateSession(%s): %v", u.Username, err)
	}
	return token, sess
}

// outcome names an error the way the table tests do.
func outcome(err error) string {
	var v *validation.Error
	for _, o := range []struct {
		err  error
		name string
	}{
		{ErrNotFound, "ErrNotFound"}, {ErrDuplicate, "ErrDuplicate"},
		{ErrBadCredentials, "ErrBadCredentials"}, {ErrThrottled, "ErrThrottled"},
		{ErrSecondFactorRequired, "ErrSecondFactorRequired"}, {ErrNoSecretKey, "ErrNoSecretKey"},
		{ErrSessionExpired, "ErrSessionExpired"},
	} {
		if errors.Is(err, o.err) {
			return o.name
		}
	}
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &v):
		return "Invalid"
	}
	return "unexpected error: " + err.Error()
}

// invalidFields returns the fields of a validation error, or nil.
func invalidFields(err error) map[string]string {
	var v *validation.Error
	if errors.As(err, &v) {
		return v.Messages()
	}
	return nil
}

// diff reports how got differs from want (-want +got), "" when they are equal.
func diff(want, got any) string {
	if d := cmp.Diff(want, got); d != "" {
		return "\n" + d
	}
	return ""
}

func TestNewStoreDefaults(t *testing.T) {
	t.Parallel()
	s := NewStore(dbtest.New(t).Database, Options{})
	got := s.opts
	got.Now = nil
	want := Options{IdleTimeout: 30 * time.Minute, MaxLifetime: 12 * time.Hour, SecondFactor: SecondFactorModeRequired}
	if d := diff(want, got); d != "" {
		t.Errorf("defaults:%s", d)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, r := range Roles {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	for _, r := range []Role{"", "Admin", "root"} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
	}
}

func TestEnsureIndexesIdempotent(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t, Options{})
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatalf("second EnsureIndexes: %v", err)
	}
}

// en is a problem's English text, as invalidFields gives it.
func en(code validation.Code) string { return validation.P(code).English() }
