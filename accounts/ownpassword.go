package accounts

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// ChangeOwnPassword changes the password of the account userID when current is its
// password, and clears MustChangePassword: the only way to clear it. Other sessions
// of the account end; the session of keepSessionToken (the caller's) goes on.
// Device tokens stay: they are no credential by themselves.
//
// A wrong current password counts as a failed sign-in for the account, and the
// session gets 5 tries in 15 minutes (the fifth failure is answered as throttled). It returns a *validation.Error on "new" (the
// policy, or equal to current), ErrBadCredentials, a *ThrottledError and
// ErrNotFound.
func (s *Store) ChangeOwnPassword(ctx context.Context, userID, current, next, keepSessionToken string) (err error) {
	defer wrap(&err, "accounts.Store.ChangeOwnPassword(%s)", userID)
	d, err := s.userByID(ctx, userID)
	if err != nil {
		return err
	}
	now := s.now()
	key := s.usernameKey(d.Username)
	sessionRing := ring{id: "c/" + key + "/" + clientKey("session", keepSessionToken), username: key, size: clientLimit}
	cs, err := s.scan(ctx, sessionRing, now)
	if err != nil {
		return err
	}
	if cs.full() {
		return &ThrottledError{RetryAfter: cs.retryAfter}
	}
	// The new password is judged before the current one is checked: its problems
	// tell nothing about the current one.
	v := &validation.Error{}
	checkPassword(v, "new", next, d.Username, d.Org)
	if next == current {
		v.Add("new", validation.SamePassword)
	}
	if err := v.Err(); err != nil {
		return err
	}
	ok, err := s.verify(current, d.PasswordHash)
	if err != nil {
		return err
	}
	if !ok || d.Disabled {
		accountRing := ring{id: "u/" + key, username: key, size: accountLimit}
		as, err := s.scan(ctx, accountRing, now)
		if err != nil {
			return err
		}
		if _, err := s.record(ctx, accountRing, as, now); err != nil {
			return err
		}
		if cs, err = s.record(ctx, sessionRing, cs, now); err != nil {
			return err
		}
		if cs.full() {
			return &ThrottledError{RetryAfter: cs.retryAfter}
		}
		return ErrBadCredentials
	}
	hash, err := hashPassword(next, s.hashParams())
	if err != nil {
		return err
	}
	var nd userDoc
	err = s.users.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: d.ID}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "password_hash", Value: hash}, {Key: "must_change_password", Value: false}, {Key: "updated_at", Value: now}}},
		{Key: "$inc", Value: bson.D{{Key: "session_gen", Value: 1}}},
	}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&nd)
	if err != nil {
		return err
	}
	if _, err := s.keepOnly(ctx, d, keepSessionToken, nd.SessionGen); err != nil {
		return err
	}
	return s.forget(ctx, sessionRing, cs, now)
}
