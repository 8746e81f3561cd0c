package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Failed sign-ins slow further guesses without locking anyone out (see SignIn).
const (
	failureWindow = 15 * time.Minute
	clientLimit   = 5  // failures per username and client within failureWindow
	accountLimit  = 10 // failures per username, all clients, before it is guarded
)

// failureSlot records one failed sign-in in the "login_failures" collection.
//
// Why slots rather than a counter: the embedded store runs an update as read, modify
// in Go, write back the whole document, so concurrent $inc updates lose counts and a
// counter on the account could undo a concurrent disabling or password change. An
// insert by _id is atomic on both stores, so each failure claims a slot of its own.
//
// A ring of size n holds slots 1…n; slot k is stored once per period of
// failureWindow as "<ring>/<k>/<period>", so a slot is reused by inserting a new
// document, never by updating or deleting one. Slot k is taken while its record of
// this period exists, or its record of the previous period is less than
// failureWindow old. A ring whose n slots are all taken has seen n failures within
// failureWindow: that is the limit, and it lifts when the oldest record ages out.
type failureSlot struct {
	ID string `bson:"_id"`
	// Username is the keyed hash of the username (usernameKey), so that a new
	// password can lift the username's throttles.
	Username string    `bson:"username"`
	At       time.Time `bson:"at"`
}

// ring is one limit: its id prefix, the username key it belongs to, and its size.
type ring struct {
	id, username string
	size         int
}

// ringState is what scan found: the first free slot (0 when full), the records
// taken, and, when full, how long until the oldest ages out.
type ringState struct {
	free       int
	taken      []failureSlot
	retryAfter time.Duration
}

func (st ringState) full() bool { return st.free == 0 }

// newUsernameKey returns the function that turns a typed username into the key of its
// failure records. A keyed hash, so that the collection does not hold what people type
// as a username, which is now and then their password.
func newUsernameKey(secret []byte) func(string) string {
	return func(name string) string {
		var sum []byte
		if len(secret) > 0 {
			m := hmac.New(sha256.New, secret)
			m.Write([]byte("username|" + name))
			sum = m.Sum(nil)
		} else {
			s := sha256.Sum256([]byte("username|" + name))
			sum = s[:]
		}
		return hex.EncodeToString(sum[:16])
	}
}

// clientKey names a client in a ring id without storing its address.
func clientKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + "|" + value))
	return kind + ":" + hex.EncodeToString(sum[:8])
}

func period(t time.Time) int64 { return t.UnixMilli() / failureWindow.Milliseconds() }

func slotID(r ring, k int, p int64) string { return fmt.Sprintf("%s/%d/%d", r.id, k, p) }

// scan reads r's slots in order up to the first free one: one or two {_id} lookups
// per slot, which depend only on the failures recorded, never on the account.
func (s *Store) scan(ctx context.Context, r ring, now time.Time) (ringState, error) {
	return s.scanFrom(ctx, r, 1, ringState{}, now)
}

// scanFrom goes on with scan from slot k, adding to st.
func (s *Store) scanFrom(ctx context.Context, r ring, k int, st ringState, now time.Time) (ringState, error) {
	for ; k <= r.size; k++ {
		f, taken, err := s.slot(ctx, r, k, now)
		if err != nil {
			return ringState{}, err
		}
		if !taken {
			st.free = k
			return st, nil
		}
		st.taken = append(st.taken, f)
	}
	oldest := now
	for _, f := range st.taken {
		if f.At.Before(oldest) {
			oldest = f.At
		}
	}
	st.free, st.retryAfter = 0, max(oldest.Add(failureWindow).Sub(now), time.Second)
	return st, nil
}

// slot reads slot k of r and reports whether it is taken at now.
func (s *Store) slot(ctx context.Context, r ring, k int, now time.Time) (failureSlot, bool, error) {
	p := period(now)
	for _, q := range []int64{p, p - 1} {
		var f failureSlot
		err := s.failures.FindOne(ctx, bson.D{{Key: "_id", Value: slotID(r, k, q)}}).Decode(&f)
		switch {
		case err == nil && now.Sub(f.At) < failureWindow:
			return f, true, nil
		case err == nil, errors.Is(err, mongo.ErrNoDocuments):
		default:
			return failureSlot{}, false, err
		}
	}
	return failureSlot{}, false, nil
}

// record claims a free slot of r for a failure at now, starting from the one scan
// found, and returns the ring's state after it: full when this failure reached the
// limit. A slot claimed meanwhile by a concurrent failure (duplicate key) sends it
// to the next free one; a full ring records nothing more.
func (s *Store) record(ctx context.Context, r ring, st ringState, now time.Time) (ringState, error) {
	for !st.full() {
		k := st.free
		f := failureSlot{ID: slotID(r, k, period(now)), Username: r.username, At: now}
		_, err := s.failures.InsertOne(ctx, f)
		dup := mongo.IsDuplicateKeyError(err)
		if err != nil && !dup {
			return st, err
		}
		st.taken = append(st.taken, f) // ours, or a concurrent failure's of about now
		if st, err = s.scanFrom(ctx, r, k+1, st, now); err != nil || !dup {
			return st, err
		}
	}
	return st, nil
}

// forget deletes r's records (a success from that client), when scan found any: by
// _id, every slot of this period and the last, since scan stops at a free slot.
func (s *Store) forget(ctx context.Context, r ring, st ringState, now time.Time) error {
	if len(st.taken) == 0 {
		return nil
	}
	p := period(now)
	for k := 1; k <= r.size; k++ {
		for _, q := range []int64{p, p - 1} {
			if _, err := s.failures.DeleteOne(ctx, bson.D{{Key: "_id", Value: slotID(r, k, q)}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// liftThrottles deletes every failure recorded for the username (a password set by
// someone else: she may try it at once). It scans on the embedded store; resets are
// rare.
func (s *Store) liftThrottles(ctx context.Context, username string) error {
	_, err := s.failures.DeleteMany(ctx, bson.D{{Key: "username", Value: s.usernameKey(username)}})
	return err
}
