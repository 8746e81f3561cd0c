package accounts

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Attempt is one try at signing in.
type Attempt struct {
	Username string
	Password string
	Code     string // a TOTP code or a recovery code; "" if none
	Client   string // the client's address as the server sees it
	Device   string // the device token of an earlier Grant; "" if none
}

// Grant is what a sign-in gives besides the account.
type Grant struct {
	// Device is a device token for the client to keep and send with its next
	// sign-ins (Attempt.Device): the one it sent, refreshed, or a new one.
	Device string
}

// noAccount is the id looked up when a username has no account, so that an unknown
// username costs the same round trips as a known one.
const noAccount = "00000000-0000-0000-0000-000000000000"

// SignIn checks an attempt to sign in and returns the account and a device token.
//
// Guessing is slowed without letting a stranger lock anyone out:
//   - a client (an address, or a device token of the account) that failed 5 times
//     within 15 minutes for a username is throttled for it until the oldest of
//     those failures is 15 minutes old (the fifth failure is already answered
//     with the refusal);
//   - a username that failed 10 times within 15 minutes, from any clients, is
//     guarded: every client without a device token of the account is throttled.
//
// A throttled client gets a *ThrottledError for every attempt but one with the
// right password and a valid second-factor code together, which signs in as usual.
// So neither answers nor refusals help a guesser, and whoever hammers a username
// cannot keep out its owner: her password and authenticator, or the device she
// signed in on before, get her in at once. An account without a second factor is
// kept out of new devices while guarded.
//
// Failures are recorded by username, whether or not an account has it, and an
// unknown username costs the same {_id} lookups and the same one argon2 verification
// as a known one, so neither answers nor timing tell which usernames exist. Refusals
// before any password is looked at (throttled) do no verification, for either.
//
// It returns ErrBadCredentials alike for an unknown username, a wrong password, a
// disabled account and a wrong or reused code (each counted as a failure);
// ErrSecondFactorRequired when the password is right but the account's second-factor
// code is missing (not counted); and a *ThrottledError matching ErrThrottled.
func (s *Store) SignIn(ctx context.Context, a Attempt) (_ User, _ Grant, err error) {
	defer wrap(&err, "accounts.Store.SignIn")
	return s.signIn(ctx, a)
}

func (s *Store) signIn(ctx context.Context, a Attempt) (User, Grant, error) {
	name := normalizeUsername(a.Username)
	now := s.now()
	d, known, err := s.signInAccount(ctx, name)
	if err != nil {
		return User{}, Grant{}, err
	}
	dev, devOK, err := s.device(ctx, a.Device, now)
	if err != nil {
		return User{}, Grant{}, err
	}
	trusted := devOK && dev.trusts(d, known)
	key := s.usernameKey(name)
	client := clientKey("addr", a.Client)
	if trusted {
		// Her device is throttled apart from her address, which she may share with
		// the guesser (a carrier's NAT, a café).
		client = clientKey("device", dev.ID)
	}
	clientRing := ring{id: "c/" + key + "/" + client, username: key, size: clientLimit}
	accountRing := ring{id: "u/" + key, username: key, size: accountLimit}
	cs, err := s.scan(ctx, clientRing, now)
	if err != nil {
		return User{}, Grant{}, err
	}
	if cs.full() && a.Code == "" {
		return User{}, Grant{}, &ThrottledError{RetryAfter: cs.retryAfter}
	}
	as, err := s.scan(ctx, accountRing, now)
	if err != nil {
		return User{}, Grant{}, err
	}
	// A throttled client gets in only with the password and a second-factor code
	// together, and hears ErrThrottled for anything less: no answer tells a guesser
	// which half was wrong, and no guesser keeps out the owner who has both.
	refusal := refusalOf(cs, as, trusted)
	refusing := refusal != nil
	if refusing && a.Code == "" {
		return User{}, Grant{}, refusal
	}

	// From here on, the same work whatever the username: a code costs one lookup of
	// a second factor, and the password one argon2 verification.
	var f factorDoc
	if a.Code != "" {
		id := noAccount
		if known {
			id = d.ID
		}
		if f, _, err = s.factor(ctx, id); err != nil {
			return User{}, Grant{}, err
		}
		if !known || !d.SecondFactor {
			f = factorDoc{} // a leftover of an interrupted removal vouches for nothing
		}
	}
	hash := dummyHash
	if known {
		hash = d.PasswordHash
	}
	ok, err := s.verify(a.Password, hash)
	if err != nil {
		return User{}, Grant{}, err
	}
	ok = ok && known && !d.Disabled
	if ok && (d.SecondFactor || refusing) {
		if a.Code == "" {
			return User{}, Grant{}, ErrSecondFactorRequired
		}
		if ok, err = s.checkCode(ctx, f, a.Code, now); err != nil {
			return User{}, Grant{}, err
		}
	}
	if !ok {
		// The failure that reaches a limit is answered as the refusals after it.
		if cs, err = s.record(ctx, clientRing, cs, now); err != nil {
			return User{}, Grant{}, err
		}
		if as, err = s.record(ctx, accountRing, as, now); err != nil {
			return User{}, Grant{}, err
		}
		if refusal := refusalOf(cs, as, trusted); refusal != nil {
			return User{}, Grant{}, refusal
		}
		return User{}, Grant{}, ErrBadCredentials
	}

	// Her earlier failures from this client are forgiven; the account's stay, since
	// they may be someone else's.
	if err := s.forget(ctx, clientRing, cs, now); err != nil {
		return User{}, Grant{}, err
	}
	var g Grant
	if g.Device, err = s.grantDevice(ctx, d, a.Device, trusted, now); err != nil {
		return User{}, Grant{}, err
	}
	return d.User, g, nil
}

// refusalOf returns the refusal for a client whose failures are cs and whose
// username's are as, or nil when neither limit is reached. A device the account
// trusts is not held by the guard on the username.
func refusalOf(cs, as ringState, trusted bool) *ThrottledError {
	guarded := as.full() && !trusted
	if !cs.full() && !guarded {
		return nil
	}
	e := &ThrottledError{Guarded: guarded}
	if cs.full() {
		e.RetryAfter = cs.retryAfter
	}
	if guarded {
		e.RetryAfter = max(e.RetryAfter, as.retryAfter)
	}
	return e
}

// signInAccount finds the account of a normalized username, reporting whether there
// is one: always two {_id} lookups, the username's claim and an account. For a
// username without one, the account read is the last one signed in to (the decoy),
// and discarded: a document found costs a little more than none.
func (s *Store) signInAccount(ctx context.Context, name string) (userDoc, bool, error) {
	claimID := name
	if len(claimID) > 64 { // no username is that long; bound what is sent
		claimID = ""
	}
	var c claim
	err := s.usernames.FindOne(ctx, bson.D{{Key: "_id", Value: claimID}}).Decode(&c)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return userDoc{}, false, err
	}
	found := err == nil
	id := noAccount
	if decoy := s.decoy.Load(); decoy != nil {
		id = *decoy
	}
	if found {
		id = c.UserID
	}
	d, err := s.userByID(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return userDoc{}, false, nil
	case err != nil:
		return userDoc{}, false, err
	case !found || d.Username != name:
		return userDoc{}, false, nil
	}
	s.decoy.Store(&d.ID)
	return d, true, nil
}
