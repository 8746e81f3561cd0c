package accounts

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// userDoc is a user as stored: the account and its secrets, which stay in this
// package. Failed sign-ins are counted elsewhere (see failureSlot), so that signing in
// never writes this document.
type userDoc struct {
	User         `bson:",inline"`
	PasswordHash string `bson:"password_hash"`
	// SessionGen is copied into each new session; raising it (password change,
	// disabling) ends every older session even one created in a race with the change.
	SessionGen int64 `bson:"session_gen"`
	// DeviceGen does the same for device tokens: disabling and "sign out everywhere"
	// raise it, a password change does not.
	DeviceGen int64 `bson:"device_gen"`
}

// NewUser is the input for CreateUser.
type NewUser struct {
	Username string
	Org      string
	Role     Role
	Password string
	Lang     string // "es" (default) or "en"
}

func normalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// checkUsername records a problem with a normalized username.
func checkUsername(v *validation.Error, u string) {
	switch {
	case !usernameRE.MatchString(u):
		v.Add("username", validation.Username)
	case isUUID(u):
		// User(ctx, x) takes an id or a username, so a username must not look like an id.
		v.Add("username", validation.UsernameLikeID)
	}
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// checkLang records a problem with a language code; "" means the default.
func checkLang(v *validation.Error, lang string) {
	if lang != "es" && lang != "en" {
		v.Add("lang", validation.Lang)
	}
}

// User returns the account with the given id or username (case-insensitive), or
// ErrNotFound. Both are {_id} lookups: usernames are claimed in their own collection.
func (s *Store) User(ctx context.Context, idOrUsername string) (_ User, err error) {
	defer wrap(&err, "accounts.Store.User(%s)", idOrUsername)
	d, err := s.userDoc(ctx, idOrUsername)
	return d.User, err
}

// userDoc finds a stored user by id or username.
func (s *Store) userDoc(ctx context.Context, idOrUsername string) (userDoc, error) {
	if id, err := uuid.Parse(strings.TrimSpace(idOrUsername)); err == nil {
		return s.userByID(ctx, id.String())
	}
	return s.userByUsername(ctx, normalizeUsername(idOrUsername))
}

// userByUsername finds a stored user by normalized username: two {_id} lookups.
func (s *Store) userByUsername(ctx context.Context, name string) (userDoc, error) {
	if !usernameRE.MatchString(name) {
		return userDoc{}, ErrNotFound
	}
	var c claim
	err := s.usernames.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return userDoc{}, ErrNotFound
	}
	if err != nil {
		return userDoc{}, err
	}
	d, err := s.userByID(ctx, c.UserID)
	if err == nil && d.Username != name {
		return userDoc{}, ErrNotFound // cannot happen while claims and accounts agree
	}
	return d, err
}

func (s *Store) userByID(ctx context.Context, id string) (userDoc, error) {
	var d userDoc
	err := s.users.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return userDoc{}, ErrNotFound
	}
	return d, err
}

// Users returns the accounts of org (every organization's when org is ""), sorted by
// username; only database errors are returned. It scans, which is fine: accounts
// number in the hundreds and listing them is an administrator's page.
func (s *Store) Users(ctx context.Context, org string) (_ []User, err error) {
	defer wrap(&err, "accounts.Store.Users(%s)", org)
	filter := bson.D{}
	if org != "" {
		filter = bson.D{{Key: "org", Value: normalizeOrgCode(org)}}
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "username", Value: 1}}).
		SetProjection(bson.D{{Key: "password_hash", Value: 0}})
	cur, err := s.users.Find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	users := []User{}
	if err := cur.All(ctx, &users); err != nil {
		return nil, err
	}
	return users, nil
}
