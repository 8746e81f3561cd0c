package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"registro/accounts"
	"registro/alerts"
	"registro/audit"
	"registro/authz"
	"registro/cases"
	"registro/database"
	"registro/database/dbtest"
	"registro/keyring"
	"registro/server"
	"registro/stats/releases"
	"registro/vocabulary"
)

// testRing is the key-encryption key ring of every test server.
const testRing = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// testClock is the controllable clock shared by the server and its stores, so that a
// test can let a grant or a lockout run out.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// syncBuffer collects the server's log output; the handlers write to it concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServer is the whole server over a real (embedded) database, reached over HTTP.
type testServer struct {
	URL      string
	DB       *database.DB
	Cases    *cases.Store
	Accounts *accounts.Store
	Audit    *audit.Log
	Releases *releases.Store
	Alerts   *alerts.Store
	Clock    *testClock
	Logs     *syncBuffer
	deps     server.Deps
	client   *http.Client
}

// newTestServer builds the server on a fresh database of its own. Options adjust the
// dependencies before server.New sees them.
func newTestServer(tb testing.TB, opts ...func(*server.Deps)) *testServer {
	tb.Helper()
	return newTestServerOn(tb, dbtest.New(tb), opts...)
}

// newTestServerOn builds the server on db.
func newTestServerOn(tb testing.TB, db *database.DB, opts ...func(*server.Deps)) *testServer {
	tb.Helper()
	ctx := context.Background()
	clock := newTestClock(time.Now().UTC().Truncate(time.Millisecond))
	vocab, err := vocabulary.Baseline()
	if err != nil {
		tb.Fatalf("vocabulary.Baseline: %v", err)
	}
	ring, err := keyring.ParseRing(testRing)
	if err != nil {
		tb.Fatalf("keyring.ParseRing: %v", err)
	}
	cs := cases.NewStore(db, vocab, ring, keyring.NewOrgKeys(db.Database, ring))
	cs.SetClock(clock.Now)
	// Sessions outlive the clock jumps the tests make; the session rules have tests of
	// their own in the accounts package.
	// Second factors are optional here, as on a training installation, so that most
	// tests sign in with a password; the tests of second factors turn them on.
	as := testAccounts(db, clock, accounts.SecondFactorModeOptional)
	az, err := authz.New()
	if err != nil {
		tb.Fatalf("authz.New: %v", err)
	}
	al := audit.NewLog(db.Database, []byte("registro-test-audit-key-32-bytes"), clock.Now)
	rs := releases.NewStore(db, cs)
	rs.SetClock(clock.Now)
	als := alerts.NewStore(db.Database, vocab, clock.Now)
	for name, ensure := range map[string]func(context.Context) error{
		"cases": cs.EnsureIndexes, "accounts": as.EnsureIndexes, "audit": al.EnsureIndexes, "releases": rs.EnsureIndexes, "alerts": als.EnsureIndexes,
	} {
		if err := ensure(ctx); err != nil {
			tb.Fatalf("%s.EnsureIndexes: %v", name, err)
		}
	}
	// As the server's start wires them: case writes log themselves.
	cs.SetAccessLog(al)
	if err := cs.Start(ctx); err != nil {
		tb.Fatalf("cases.Start: %v", err)
	}
	logs := &syncBuffer{}
	// A page that asked for a text the catalogue lacks logged it: that fails the test.
	tb.Cleanup(func() {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "catalogue text missing") {
				tb.Errorf("a page asked for a text the catalogue lacks: %s", line)
			}
		}
	})
	deps := server.Deps{
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DB:     db, Cases: cs, Accounts: as, Authz: az, Audit: al, Releases: rs, Alerts: als,
		LoginLimit: 1000, Now: clock.Now,
	}
	ts := &testServer{DB: db, Cases: cs, Accounts: as, Audit: al, Releases: rs, Alerts: als, Clock: clock, Logs: logs, deps: deps}
	return ts.variant(tb, opts...)
}

// testAccounts is the tests' accounts store, second factors under mode.
func testAccounts(db *database.DB, clock *testClock, mode string) *accounts.Store {
	return accounts.NewStore(db.Database, accounts.Options{
		Now: clock.Now, IdleTimeout: 30 * 24 * time.Hour, MaxLifetime: 60 * 24 * time.Hour, InsecureFastHashes: true,
		SecretKey: testSecretKey, SecondFactor: mode,
	})
}

// secondFactorRequired is a server over the same stores on an installation that
// requires second factors (REGISTRO_2FA=required).
func (ts *testServer) secondFactorRequired(tb testing.TB) *testServer {
	tb.Helper()
	as := testAccounts(ts.DB, ts.Clock, accounts.SecondFactorModeRequired)
	v := ts.variant(tb, func(d *server.Deps) { d.Accounts = as })
	v.Accounts = as
	return v
}

// variant starts another server over the same stores, clock and log, with opts
// applied to its dependencies. (The stores' indexes are not ensured twice: on the
// embedded store that fails for the cases and the access log.)
func (ts *testServer) variant(tb testing.TB, opts ...func(*server.Deps)) *testServer {
	tb.Helper()
	v := *ts
	for _, o := range opts {
		o(&v.deps)
	}
	h, err := server.New(v.deps)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(h)
	tb.Cleanup(hs.Close)
	v.URL, v.client = hs.URL, hs.Client()
	return &v
}

// mustOrg creates an organization straight through the accounts store.
func (ts *testServer) mustOrg(tb testing.TB, code string) accounts.Org {
	tb.Helper()
	o, err := ts.Accounts.CreateOrg(context.Background(), code, "Organización "+code)
	if err != nil {
		tb.Fatalf("CreateOrg(%s): %v", code, err)
	}
	return o
}

// passwordOf is the password mustUser gives username.
func passwordOf(username string) string { return "pw-" + username + "-Lima-2026" }

// testSecretKey seals the test accounts' second-factor secrets.
var testSecretKey = []byte("registro-test-accounts-key-32byt")

// mustUser creates an account straight through the accounts store and, as its owner
// would at first sign-in, replaces the password it was given by passwordOf(username).
func (ts *testServer) mustUser(tb testing.TB, org, username string, role accounts.Role) accounts.User {
	tb.Helper()
	ctx := context.Background()
	u, err := ts.Accounts.CreateUser(ctx, accounts.NewUser{
		Username: username, Org: org, Role: role, Password: "given " + passwordOf(username),
	})
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", username, err)
	}
	if err := ts.Accounts.ChangeOwnPassword(ctx, u.ID, "given "+passwordOf(username), passwordOf(username), ""); err != nil {
		tb.Fatalf("ChangeOwnPassword(%s): %v", username, err)
	}
	u.MustChangePassword = false
	return u
}

// login signs in and returns the session token.
func (ts *testServer) login(tb testing.TB, username, password string) string {
	tb.Helper()
	st, body := ts.do(tb, http.MethodPost, "/api/v1/login", "", map[string]string{"username": username, "password": password})
	if st != http.StatusOK {
		tb.Fatalf("login %s: status %d, body %v", username, st, body)
	}
	token, _ := body["token"].(string)
	if token == "" {
		tb.Fatalf("login %s: no token in %v", username, body)
	}
	return token
}

// mustUserToken creates an account and signs it in.
func (ts *testServer) mustUserToken(tb testing.TB, org, username string, role accounts.Role) (accounts.User, string) {
	tb.Helper()
	u := ts.mustUser(tb, org, username, role)
	return u, ts.login(tb, username, passwordOf(username))
}
