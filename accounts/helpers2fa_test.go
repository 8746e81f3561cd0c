package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database/dbtest"
)

// codeAt is the TOTP code of secret at t.
func codeAt(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	code, err := totp.GenerateCodeCustom(secret, t, totpOpts)
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// mustEnrol enrols an authenticator for u and returns its secret and recovery codes.
// The code used to confirm is spent: the clock moves one step on.
func mustEnrol(tb testing.TB, s *Store, c *clock, u User) (string, []string) {
	tb.Helper()
	ctx := context.Background()
	e, err := s.BeginTOTP(ctx, u.ID)
	if err != nil {
		tb.Fatalf("BeginTOTP(%s): %v", u.Username, err)
	}
	recovery, err := s.ConfirmTOTP(ctx, u.ID, codeAt(tb, e.Secret, c.Now()))
	if err != nil {
		tb.Fatalf("ConfirmTOTP(%s): %v", u.Username, err)
	}
	c.Add(totpPeriod * time.Second)
	return e.Secret, recovery
}

// mustSignIn signs in and fails the test unless it succeeds.
func mustSignIn(tb testing.TB, s *Store, a Attempt) (User, Grant) {
	tb.Helper()
	u, g, err := s.SignIn(context.Background(), a)
	if err != nil {
		tb.Fatalf("SignIn(%s from %q): %v", a.Username, a.Client, err)
	}
	return u, g
}

// answer describes a SignIn result in full: outcome, and for a refusal how long and
// whether guarded.
func answer(err error) string {
	var te *ThrottledError
	if errors.As(err, &te) {
		return fmt.Sprintf("ErrThrottled(retry %s, guarded %v)", te.RetryAfter, te.Guarded)
	}
	return outcome(err)
}

// commandLog records the commands a store sends to its database, described by
// command, collection and filter shape ("{_id}" for an exact _id lookup).
type commandLog struct {
	mu   sync.Mutex
	on   bool
	cmds []string
}

func (l *commandLog) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.cmds = true, nil
}

func (l *commandLog) stop() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.cmds
}

func (l *commandLog) started(_ context.Context, e *event.CommandStartedEvent) {
	var coll string
	switch e.CommandName {
	case "find", "insert", "update", "delete", "findAndModify":
		coll, _ = e.Command.Lookup(e.CommandName).StringValueOK()
	default:
		return
	}
	var filter bson.Raw
	switch e.CommandName {
	case "find":
		filter, _ = e.Command.Lookup("filter").DocumentOK()
	case "findAndModify":
		filter, _ = e.Command.Lookup("query").DocumentOK()
	case "update", "delete":
		plural := map[string]string{"update": "updates", "delete": "deletes"}[e.CommandName]
		if arr, ok := e.Command.Lookup(plural).ArrayOK(); ok {
			if first, err := arr.IndexErr(0); err == nil {
				filter, _ = first.Document().Lookup("q").DocumentOK()
			}
		}
	}
	desc := e.CommandName + " " + coll
	if filter != nil {
		desc += " " + filterShape(filter)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		l.cmds = append(l.cmds, desc)
	}
}

// filterShape is "{_id}" for {_id: value}, the only filter the embedded store does
// not answer by scanning, else the filter's keys.
func filterShape(f bson.Raw) string {
	elems, _ := f.Elements()
	if len(elems) == 1 && elems[0].Key() == "_id" && elems[0].Value().Type != bson.TypeEmbeddedDocument {
		return "{_id}"
	}
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = e.Key()
	}
	return "scan{" + strings.Join(keys, ",") + "}"
}

// newMonitoredStore returns a store on a FerretDB server of its own whose client
// reports every command to the returned log.
func newMonitoredStore(tb testing.TB, opts Options) (*Store, *clock, *commandLog) {
	tb.Helper()
	ctx := context.Background()
	uri := dbtest.Standalone(tb)
	log := &commandLog{}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetMonitor(&event.CommandMonitor{Started: log.started}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	c := newClock()
	opts.Now = c.Now
	s := NewStore(client.Database("registro_test"), opts)
	if err := s.EnsureIndexes(ctx); err != nil {
		tb.Fatal(err)
	}
	return s, c, log
}
