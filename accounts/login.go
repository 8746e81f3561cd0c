package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// failureSlot records one failed sign-in in the "login_failures" collection, as
// "<user id>/<n>" for n = 1…MaxFailures; slot MaxFailures doubles as the lock, which
// lasts LockoutDuration from its time.
//
// Why slots rather than a counter on the account: the embedded store runs an update
// as read, modify in Go, write back the whole document, so concurrent $inc updates
// lose counts and a counter write can undo a concurrent disabling or password change
// of the same account. An insert by _id is atomic on both stores, so each failure
// claims a slot of its own, and the account document is never written at sign-in.
type failureSlot struct {
	ID     string    `bson:"_id"`
	UserID string    `bson:"user_id"`
	At     time.Time `bson:"at"`
}

func slotID(userID string, n int) string { return fmt.Sprintf("%s/%d", userID, n) }

// Authenticate checks a username and password. It returns ErrBadCredentials alike for
// an unknown username, a wrong password and a disabled account (an unknown username
// still costs one hash, so timing does not tell them apart either), and ErrLocked
// while the account is locked out, even with the right password; the failure that
// reaches Options.MaxFailures also returns ErrLocked. Success resets the count.
func (s *Store) Authenticate(ctx context.Context, username, password string) (_ User, err error) {
	defer wrap(&err, "accounts.Store.Authenticate")
	d, err := s.userByUsername(ctx, normalizeUsername(username))
	if errors.Is(err, ErrNotFound) {
		burnDummy(password)
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	now := s.now()
	var lock failureSlot
	err = s.failures.FindOne(ctx, bson.D{{Key: "_id", Value: slotID(d.ID, s.opts.MaxFailures)}}).Decode(&lock)
	switch {
	case err == nil && now.Before(lock.At.Add(s.opts.LockoutDuration)):
		// No hash while locked: it would give a guesser a free oracle and cost CPU.
		return User{}, ErrLocked
	case err == nil: // the lock has run out: MaxFailures fresh tries
		if err := s.clearFailures(ctx, d.ID); err != nil {
			return User{}, err
		}
	case !errors.Is(err, mongo.ErrNoDocuments):
		return User{}, err
	}
	ok, _, err := verifyPassword(password, d.PasswordHash)
	if err != nil {
		return User{}, err
	}
	if d.Disabled {
		return User{}, ErrBadCredentials
	}
	if !ok {
		return User{}, s.recordFailure(ctx, d.ID, now)
	}
	err = s.failures.FindOne(ctx, bson.D{{Key: "_id", Value: slotID(d.ID, 1)}}).Err()
	if err == nil {
		err = s.clearFailures(ctx, d.ID)
	}
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, err
	}
	return d.User, nil
}

// recordFailure claims the first free slot; claiming the last one locks the account.
func (s *Store) recordFailure(ctx context.Context, userID string, now time.Time) error {
	for n := 1; n <= s.opts.MaxFailures; n++ {
		_, err := s.failures.InsertOne(ctx, failureSlot{ID: slotID(userID, n), UserID: userID, At: now})
		switch {
		case err == nil && n == s.opts.MaxFailures:
			return ErrLocked
		case err == nil:
			return ErrBadCredentials
		case !mongo.IsDuplicateKeyError(err):
			return err
		}
	}
	return ErrLocked // every slot taken: a concurrent failure has just locked it
}

// clearFailures resets the count (after a success, a lockout's end or a new
// password). The filter scans on the embedded store, but the collection holds at
// most MaxFailures small documents per account, and this runs only after failures.
func (s *Store) clearFailures(ctx context.Context, userID string) error {
	_, err := s.failures.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return err
}
