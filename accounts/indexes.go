package accounts

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/database"
)

// EnsureIndexes creates the indexes the store's queries need on MongoDB; it is
// idempotent and returns the database's error if one cannot be built. The embedded
// store accepts them too (and enforces the unique one) though it only speeds up
// {_id} lookups, which is why the hot paths use nothing else.
func (s *Store) EnsureIndexes(ctx context.Context) (err error) {
	defer wrap(&err, "accounts.Store.EnsureIndexes")
	// Every collection exists from the start, so the embedded store's _id index
	// (database.IndexIDs) covers them all.
	if err := database.EnsureCollections(ctx, s.users.Database(), s.orgs.Name(), s.users.Name(),
		s.usernames.Name(), s.sessions.Name(), s.failures.Name(), s.takeovers.Name(),
		s.devices.Name(), s.factors.Name(), s.factorUses.Name()); err != nil {
		return err
	}
	// The usernames collection already makes usernames unique through its _id; the
	// unique index on users.username is a second guard should a claim ever be
	// repaired wrongly.
	userIdx := []mongo.IndexModel{
		{Keys: bson.D{{Key: "username", Value: 1}}, Options: options.Index().SetName("username_unique").SetUnique(true)},
		{Keys: bson.D{{Key: "org", Value: 1}, {Key: "username", Value: 1}}, Options: options.Index().SetName("org_username")},
	}
	if err := database.CreateIndexes(ctx, s.users, userIdx...); err != nil {
		return err
	}
	// Sessions are found by user when a password changes or an account is disabled,
	// and by time by DeleteExpiredSessions (no TTL indexes on the embedded store).
	sessionIdx := []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
		{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")},
		{Keys: bson.D{{Key: "last_seen", Value: 1}}, Options: options.Index().SetName("last_seen")},
	}
	if err := database.CreateIndexes(ctx, s.sessions, sessionIdx...); err != nil {
		return err
	}
	// The rest serve rare writes (a reset, "sign out everywhere") and the tidying in
	// DeleteExpiredSessions; sign-in reads them by _id only.
	for _, ci := range []struct {
		coll *mongo.Collection
		keys []string
	}{
		{s.failures, []string{"username", "at"}},
		{s.devices, []string{"user_id", "expires_at"}},
		{s.factorUses, []string{"until"}},
	} {
		for _, k := range ci.keys {
			idx := mongo.IndexModel{Keys: bson.D{{Key: k, Value: 1}}, Options: options.Index().SetName(k)}
			if err := database.CreateIndexes(ctx, ci.coll, idx); err != nil {
				return err
			}
		}
	}
	return nil
}
