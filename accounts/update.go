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

// UpdateUser changes the account named by id (or username) on someone else's behalf
// (a coordinator, an administrator, the command line). A new password must be
// changed at first sign-in, ends all the account's sessions and lifts the throttles
// on its username; it keeps her device tokens and her second factor. Disabling ends
// the sessions and disowns the device tokens. It returns ErrNotFound for an unknown
// account and a *validation.Error naming "role", "password" or "lang" when invalid.
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
	endSessions, disownDevices := false, false
	if p.Role != nil {
		if !p.Role.Valid() {
			v.Add("role", validation.UnknownRole)
		}
		set = append(set, bson.E{Key: "role", Value: *p.Role})
	}
	if p.Lang != nil {
		lang := strings.ToLower(strings.TrimSpace(*p.Lang))
		checkLang(v, lang)
		set = append(set, bson.E{Key: "lang", Value: lang})
	}
	if p.Password != nil {
		checkPassword(v, "password", *p.Password, d.Username, d.Org)
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if p.Disabled != nil {
		set = append(set, bson.E{Key: "disabled", Value: *p.Disabled})
		endSessions, disownDevices = *p.Disabled, *p.Disabled
	}
	if p.Password != nil {
		hash, err := hashPassword(*p.Password, s.hashParams())
		if err != nil {
			return User{}, err
		}
		set = append(set, bson.E{Key: "password_hash", Value: hash}, bson.E{Key: "must_change_password", Value: true})
		endSessions = true
	}
	update := bson.D{{Key: "$set", Value: set}}
	inc := bson.D{}
	if endSessions {
		// Raising the generation ends the sessions at once, also one being created
		// right now by a sign-in with the old password; deleting them is tidying.
		inc = append(inc, bson.E{Key: "session_gen", Value: 1})
	}
	if disownDevices {
		inc = append(inc, bson.E{Key: "device_gen", Value: 1})
	}
	if len(inc) > 0 {
		update = append(update, bson.E{Key: "$inc", Value: inc})
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
		// A reset is how a coordinator helps someone who forgot her password: she may
		// try the new one at once from the phone she was failing on.
		if err := s.liftThrottles(ctx, d.Username); err != nil {
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
