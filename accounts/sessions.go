package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Session is a signed-in browser or API client. The token itself is given to the
// client once and never stored: ID is its SHA-256, so a database dump cannot be
// replayed as a login.
type Session struct {
	ID        string    `bson:"_id" json:"-"`
	UserID    string    `bson:"user_id" json:"user_id"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	LastSeen  time.Time `bson:"last_seen" json:"last_seen"`
	ExpiresAt time.Time `bson:"expires_at" json:"expires_at"` // absolute end; idleness may end it sooner
	CSRF      string    `bson:"csrf" json:"-"`                // for form posts authenticated by cookie
}

// sessionDoc is a session as stored, with the account's session generation at
// sign-in (see userDoc.SessionGen).
type sessionDoc struct {
	Session `bson:",inline"`
	Gen     int64 `bson:"gen"`
}

const (
	tokenBytes = 32
	// touchInterval spaces LastSeen writes: one per session per minute instead of
	// one per request, at the price of a minute's slack on the idle timeout.
	touchInterval = time.Minute
)

var tokenEncoding = base64.RawURLEncoding

func randomToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return tokenEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed spares the database a lookup for a token that cannot be ours.
func wellFormed(token string) bool {
	return len(token) == tokenEncoding.EncodedLen(tokenBytes)
}

// CreateSession signs u in and returns the token to hand to the client. It returns
// ErrNotFound when the account no longer exists and ErrBadCredentials when it is
// disabled (it re-reads the account rather than trusting u).
func (s *Store) CreateSession(ctx context.Context, u User) (token string, _ Session, err error) {
	defer wrap(&err, "accounts.Store.CreateSession(%s)", u.ID)
	d, err := s.userByID(ctx, u.ID)
	if err != nil {
		return "", Session{}, err
	}
	if d.Disabled {
		return "", Session{}, ErrBadCredentials
	}
	token, err = randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	sess := Session{ID: hashToken(token), UserID: d.ID, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(s.opts.MaxLifetime), CSRF: csrf}
	if _, err := s.sessions.InsertOne(ctx, sessionDoc{Session: sess, Gen: d.SessionGen}); err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

// Authenticated returns the account and session behind token. It returns
// ErrSessionExpired when the token is unknown, idle or past its lifetime, or its
// account is disabled, gone, or had its password changed since sign-in. It reads the
// account on every call, so a role change or disabling holds from the next request.
func (s *Store) Authenticated(ctx context.Context, token string) (_ User, _ Session, err error) {
	defer wrap(&err, "accounts.Store.Authenticated")
	if !wellFormed(token) {
		return User{}, Session{}, ErrSessionExpired
	}
	id := bson.D{{Key: "_id", Value: hashToken(token)}}
	var sd sessionDoc
	err = s.sessions.FindOne(ctx, id).Decode(&sd)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, Session{}, ErrSessionExpired
	}
	if err != nil {
		return User{}, Session{}, err
	}
	now := s.now()
	d, err := s.userByID(ctx, sd.UserID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, Session{}, err
	}
	if err != nil || !s.alive(sd, d, now) {
		// Tidying, DeleteExpiredSessions catches misses. Not for a generation newer
		// than the session's: ChangeOwnPassword and EndOtherSessions may be about to
		// move the session they keep to it.
		if err != nil || sd.Gen == d.SessionGen {
			_, _ = s.sessions.DeleteOne(ctx, id)
		}
		return User{}, Session{}, ErrSessionExpired
	}
	if now.Sub(sd.LastSeen) >= touchInterval {
		_, err := s.sessions.UpdateOne(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen", Value: now}}}})
		if err != nil {
			return User{}, Session{}, err
		}
		sd.LastSeen = now
	}
	return d.User, sd.Session, nil
}

// DeleteSession ends the session of token (logout). It is idempotent: an unknown
// token is not an error; only database errors are returned.
func (s *Store) DeleteSession(ctx context.Context, token string) (err error) {
	defer wrap(&err, "accounts.Store.DeleteSession")
	if !wellFormed(token) {
		return nil
	}
	_, err = s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: hashToken(token)}})
	return err
}

// DeleteExpiredSessions removes sessions past their lifetime or idle timeout and
// returns how many; only database errors are returned. It also removes what else
// has run out: failed sign-ins out of the window, expired device tokens and used
// TOTP steps. A background job calls it, since the embedded store has no TTL indexes.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "accounts.Store.DeleteExpiredSessions")
	now := s.now()
	res, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "last_seen", Value: bson.D{{Key: "$lte", Value: now.Add(-s.opts.IdleTimeout)}}}},
	}}})
	if err != nil {
		return 0, err
	}
	for _, t := range []struct {
		coll   *mongo.Collection
		filter bson.D
	}{
		{s.failures, bson.D{{Key: "at", Value: bson.D{{Key: "$lte", Value: now.Add(-failureWindow)}}}}},
		{s.devices, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: now}}}}},
		{s.factorUses, bson.D{{Key: "until", Value: bson.D{{Key: "$lte", Value: now}}}}},
	} {
		if _, err := t.coll.DeleteMany(ctx, t.filter); err != nil {
			return 0, err
		}
	}
	return int(res.DeletedCount), nil
}
