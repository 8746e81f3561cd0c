package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"registro/validation"
)

// claim reserves a username in the "usernames" collection. Keying it by the username
// makes usernames unique on both stores through _id, and makes a sign-in an {_id}
// lookup instead of a scan of the users collection on the embedded store.
type claim struct {
	Username  string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	CreatedAt time.Time `bson:"created_at"`
}

// claimGrace is how long a claim without its user is presumed to belong to a
// CreateUser still between its two inserts; an older one was left by a crash.
const claimGrace = time.Minute

// CreateUser creates an account whose password must be changed at first sign-in:
// whoever creates it, the password is not the owner's own (GeneratePassword makes one
// easy to pass on). It returns a *validation.Error naming every invalid field
// ("username", "org" also when the organization does not exist, "role", "password",
// "lang"), and ErrDuplicate when the username is taken in any letter case.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (_ User, err error) {
	defer wrap(&err, "accounts.Store.CreateUser(%s)", nu.Username)
	now := s.now()
	u := User{
		Username: normalizeUsername(nu.Username), Org: normalizeOrgCode(nu.Org), Role: nu.Role,
		Lang: strings.ToLower(strings.TrimSpace(nu.Lang)), MustChangePassword: true, CreatedAt: now, UpdatedAt: now,
	}
	if u.Lang == "" {
		u.Lang = "es"
	}
	v := &validation.Error{}
	checkUsername(v, u.Username)
	checkOrgCode(v, "org", u.Org)
	if !u.Role.Valid() {
		v.Add("role", validation.UnknownRole)
	}
	checkPassword(v, "password", nu.Password, u.Username, u.Org)
	checkLang(v, u.Lang)
	if _, bad := v.Fields["org"]; !bad {
		if _, err := s.Org(ctx, u.Org); errors.Is(err, ErrNotFound) {
			v.Add("org", validation.UnknownOrg)
		} else if err != nil {
			return User{}, err
		}
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, err
	}
	u.ID = id.String()
	// Hash before claiming, so the window between the two inserts stays short.
	hash, err := hashPassword(nu.Password, s.hashParams())
	if err != nil {
		return User{}, err
	}
	if err := s.claimUsername(ctx, u.Username, u.ID); err != nil {
		return User{}, err
	}
	if _, err := s.users.InsertOne(ctx, userDoc{User: u, PasswordHash: hash}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			// The unique index knows an account with this name that the claim does
			// not name (a repair gone wrong): point the claim back at it.
			if err := s.repointClaim(ctx, u.Username); err != nil {
				return User{}, err
			}
			return User{}, ErrDuplicate
		}
		_ = s.releaseClaim(ctx, u.Username, u.ID)
		return User{}, err
	}
	// A claim repaired by another CreateUser during a long stall of ours now names
	// that account: ours must go, or two accounts would share the username.
	var c claim
	if err := s.usernames.FindOne(ctx, bson.D{{Key: "_id", Value: u.Username}}).Decode(&c); err != nil || c.UserID != u.ID {
		_, _ = s.users.DeleteOne(ctx, bson.D{{Key: "_id", Value: u.ID}})
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return User{}, err
		}
		return User{}, ErrDuplicate
	}
	return u, nil
}

// claimUsername reserves name for user id, or returns ErrDuplicate. A claim whose
// account was never written (a crash between the two inserts) is taken over once
// claimGrace has passed.
func (s *Store) claimUsername(ctx context.Context, name, id string) error {
	now := s.now()
	_, err := s.usernames.InsertOne(ctx, claim{Username: name, UserID: id, CreatedAt: now})
	if err == nil || !mongo.IsDuplicateKeyError(err) {
		return err
	}
	var old claim
	if err := s.usernames.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&old); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return ErrDuplicate // released meanwhile by a failed creator; the caller may retry
		}
		return err
	}
	if _, err := s.userByID(ctx, old.UserID); !errors.Is(err, ErrNotFound) {
		if err == nil {
			return ErrDuplicate
		}
		return err
	}
	if now.Sub(old.CreatedAt) < claimGrace {
		return ErrDuplicate
	}
	if won, err := s.takeOver(ctx, "username/"+name+"/"+old.UserID); err != nil || !won {
		if err == nil {
			err = ErrDuplicate
		}
		return err
	}
	_, err = s.usernames.UpdateOne(ctx, bson.D{{Key: "_id", Value: name}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "user_id", Value: id}, {Key: "created_at", Value: now}}}})
	return err
}

// takeOver decides which of several processes repairs an interrupted write named by
// key: the one whose insert succeeds. A conditional update cannot decide it, since the
// embedded store applies updates as an unguarded read, modify and write.
func (s *Store) takeOver(ctx context.Context, key string) (won bool, err error) {
	_, err = s.takeovers.InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: s.now()}})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// repointClaim makes the claim on name name the account that has it. It scans the
// users collection on the embedded store, which is fine for a repair.
func (s *Store) repointClaim(ctx context.Context, name string) error {
	var d userDoc
	if err := s.users.FindOne(ctx, bson.D{{Key: "username", Value: name}}).Decode(&d); err != nil {
		return err
	}
	_, err := s.usernames.UpdateOne(ctx, bson.D{{Key: "_id", Value: name}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "user_id", Value: d.ID}}}})
	return err
}

// releaseClaim frees name if it is still claimed for id.
func (s *Store) releaseClaim(ctx context.Context, name, id string) error {
	_, err := s.usernames.DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "user_id", Value: id}})
	return err
}
