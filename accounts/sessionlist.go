package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// SessionInfo describes a live session for the account page. ID names it without
// being the token or its stored hash.
type SessionInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
	Current   bool      `json:"current"` // the session of the token the caller passed
}

func publicSessionID(storedID string) string {
	sum := sha256.Sum256([]byte("session|" + storedID))
	return hex.EncodeToString(sum[:8])
}

// Sessions returns the live sessions of the account userID, most recently used
// first, marking the one of currentToken. It scans the account's sessions (the
// account page only); it returns ErrNotFound.
func (s *Store) Sessions(ctx context.Context, userID, currentToken string) (_ []SessionInfo, err error) {
	defer wrap(&err, "accounts.Store.Sessions(%s)", userID)
	d, err := s.userByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	live, err := s.liveSessions(ctx, d)
	if err != nil {
		return nil, err
	}
	current := ""
	if wellFormed(currentToken) {
		current = hashToken(currentToken)
	}
	out := make([]SessionInfo, 0, len(live))
	for _, sd := range live {
		out = append(out, SessionInfo{ID: publicSessionID(sd.ID), CreatedAt: sd.CreatedAt, LastSeen: sd.LastSeen,
			ExpiresAt: sd.ExpiresAt, Current: sd.ID == current})
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int { return b.LastSeen.Compare(a.LastSeen) })
	return out, nil
}

// liveSessions returns the sessions of d that Authenticated would still accept.
func (s *Store) liveSessions(ctx context.Context, d userDoc) ([]sessionDoc, error) {
	cur, err := s.sessions.Find(ctx, bson.D{{Key: "user_id", Value: d.ID}})
	if err != nil {
		return nil, err
	}
	var all []sessionDoc
	if err := cur.All(ctx, &all); err != nil {
		return nil, err
	}
	now := s.now()
	return slices.DeleteFunc(all, func(sd sessionDoc) bool { return !s.alive(sd, d, now) }), nil
}

// alive reports whether session sd of account d may still be used at now.
func (s *Store) alive(sd sessionDoc, d userDoc, now time.Time) bool {
	return !d.Disabled && sd.Gen == d.SessionGen && now.Before(sd.ExpiresAt) && now.Before(sd.LastSeen.Add(s.opts.IdleTimeout))
}

// EndOtherSessions signs the account out everywhere but in the session of keepToken
// ("" to end them all), and returns how many live sessions it ended. Its device
// tokens stop counting as trusted devices too. It returns ErrNotFound.
func (s *Store) EndOtherSessions(ctx context.Context, userID, keepToken string) (_ int, err error) {
	defer wrap(&err, "accounts.Store.EndOtherSessions(%s)", userID)
	d, err := s.userByID(ctx, userID)
	if err != nil {
		return 0, err
	}
	live, err := s.liveSessions(ctx, d)
	if err != nil {
		return 0, err
	}
	keep := ""
	if wellFormed(keepToken) {
		keep = hashToken(keepToken)
	}
	ended := 0
	for _, sd := range live {
		if sd.ID != keep {
			ended++
		}
	}
	var nd userDoc
	err = s.users.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: d.ID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "session_gen", Value: 1}, {Key: "device_gen", Value: 1}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&nd)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if _, err := s.keepOnly(ctx, d, keepToken, nd.SessionGen); err != nil {
		return 0, err
	}
	// The raised device generation already disowns them; deleting is tidying.
	if _, err := s.devices.DeleteMany(ctx, bson.D{{Key: "user_id", Value: d.ID}}); err != nil {
		return 0, err
	}
	return ended, nil
}

// keepOnly follows a raise of d's session generation to gen: the session of keepToken,
// if it was alive, moves to gen and so survives; the others are deleted (they are
// already ended by the raise: deleting is tidying). It reports whether one was kept.
func (s *Store) keepOnly(ctx context.Context, d userDoc, keepToken string, gen int64) (bool, error) {
	keep := ""
	if wellFormed(keepToken) {
		keep = hashToken(keepToken)
		var sd sessionDoc
		err := s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: keep}}).Decode(&sd)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			keep = ""
		case err != nil:
			return false, err
		case sd.UserID != d.ID || !s.alive(sd, d, s.now()):
			keep = "" // another account's, or already ended: not revived
		default:
			_, err := s.sessions.UpdateOne(ctx, bson.D{{Key: "_id", Value: keep}}, bson.D{{Key: "$set", Value: bson.D{{Key: "gen", Value: gen}}}})
			if err != nil {
				return false, err
			}
		}
	}
	_, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "user_id", Value: d.ID}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: keep}}}})
	return keep != "", err
}
