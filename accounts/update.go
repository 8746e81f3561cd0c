package accounts

import (
	"context"
	"errors"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

// UserPatch lists the changes UpdateUser makes; nil fields stay as they are.
type UserPatch struct {
	Disabled *bool
	Role     *Role
	Password *string
	Lang     *string
}

// UpdateUser changes the account named by id (or username). A new password or
// disabling ends all the account's sessions, and a new password also lifts a
// lockout. It returns ErrNotFound for an unknown account and a *validation.Error
// naming "role", "password" or "lang" when invalid.
func (s *Store) UpdateUser(ctx context.Context, id string, p UserPatch) (_ User, err error) {
	defer wrap(&err, "accounts.Store.UpdateUser(%s)", id)
	d, err := s.userDoc(ctx, id)
	if err != nil {
		return User{}, err
	}
	if p == (UserPatch{}) {
		return d.User, nil
	}
	v := &validation.Error{}
	set := bson.D{{Key: "updated_at", Value: s.now()}}
	endSessions := false
	if p.Role != nil {
		if !p.Role.Valid() {
			v.Add("role", "unknown role")
		}
		set = append(set, bson.E{Key: "role", Value: *p.Role})
	}
	if p.Lang != nil {
		lang := strings.ToLower(strings.TrimSpace(*p.Lang))
		checkLang(v, lang)
		set = append(set, bson.E{Key: "lang", Value: lang})
	}
	if p.Password != nil {
		checkPassword(v, *p.Password, d.Username)
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if p.Disabled != nil {
		set = append(set, bson.E{Key: "disabled", Value: *p.Disabled})
		endSessions = *p.Disabled
	}
	if p.Password != nil {
		hash, err := hashPassword(*p.Password, defaultParams)
		if err != nil {
			return User{}, err
		}
		set = append(set, bson.E{Key: "password_hash", Value: hash})
		endSessions = true
	}
	update := bson.D{{Key: "$set", Value: set}}
	if endSessions {
		// Raising the generation ends the sessions at once, also one being created
		// right now by a sign-in with the old password; deleting them is tidying.
		update = append(update, bson.E{Key: "$inc", Value: bson.D{{Key: "session_gen", Value: 1}}})
	}
	var nd userDoc
	err = s.users.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: d.ID}}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&nd)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	if p.Password != nil {
		// A reset is how a coordinator helps someone locked out, so it lifts the lock.
		if err := s.clearFailures(ctx, d.ID); err != nil {
			return User{}, err
		}
	}
	if endSessions {
		if _, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "user_id", Value: d.ID}}); err != nil {
			return User{}, err
		}
	}
	return nd.User, nil
}
