package accounts

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// deviceLifetime is how long a device token lasts after its last sign-in.
const deviceLifetime = 90 * 24 * time.Hour

// deviceDoc is a device token as stored in "devices": only its SHA-256, like a
// session. A device token says "this phone signed in as her before": SignIn lets it
// through a guard on her username and throttles it apart from other clients. It is
// not a credential: the password (and second factor) are still asked for.
type deviceDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Gen       int64     `bson:"gen"` // userDoc.DeviceGen when issued
	CreatedAt time.Time `bson:"created_at"`
	LastUsed  time.Time `bson:"last_used"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// device looks token up: one {_id} lookup for any well-formed token, whoever it
// names, so that it costs the same for every username. A token that is malformed,
// unknown or expired gives ok false.
func (s *Store) device(ctx context.Context, token string, now time.Time) (_ deviceDoc, ok bool, err error) {
	if !wellFormed(token) {
		return deviceDoc{}, false, nil
	}
	var d deviceDoc
	err = s.devices.FindOne(ctx, bson.D{{Key: "_id", Value: hashToken(token)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return deviceDoc{}, false, nil
	}
	if err != nil {
		return deviceDoc{}, false, err
	}
	return d, now.Before(d.ExpiresAt), nil
}

// trusts reports whether device d vouches for account u: issued to it since its last
// "sign out everywhere" or disabling, and the account enabled.
func (d deviceDoc) trusts(u userDoc, known bool) bool {
	return known && !u.Disabled && d.UserID == u.ID && d.Gen == u.DeviceGen
}

// grantDevice refreshes the device token the client signed in with when it already
// vouched for u, or issues a new one, and returns the token for the client to keep.
func (s *Store) grantDevice(ctx context.Context, u userDoc, token string, trusted bool, now time.Time) (string, error) {
	if trusted {
		_, err := s.devices.UpdateOne(ctx, bson.D{{Key: "_id", Value: hashToken(token)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "last_used", Value: now}, {Key: "expires_at", Value: now.Add(deviceLifetime)}}}})
		return token, err
	}
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	d := deviceDoc{ID: hashToken(token), UserID: u.ID, Gen: u.DeviceGen, CreatedAt: now, LastUsed: now, ExpiresAt: now.Add(deviceLifetime)}
	if _, err := s.devices.InsertOne(ctx, d); err != nil {
		return "", err
	}
	return token, nil
}
