// Package accounts holds organizations, the accounts of the people who use Registro,
// their passwords and their sessions, in one store over MongoDB (or the embedded
// store). It never logs: passwords, hashes and tokens must not reach any output.
package accounts

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Role is what an account may do in its organization (SPEC §1); Casbin policy lines
// are written against these codes.
type Role string

// The roles of SPEC §1.
const (
	RoleOutreach    Role = "outreach"
	RoleCoordinator Role = "coordinator"
	RoleLegal       Role = "legal"
	RoleAdvocate    Role = "advocate"
	RoleAuditor     Role = "auditor"
	RoleAdmin       Role = "admin"
)

// Roles lists every role, in the order forms offer them.
var Roles = []Role{RoleOutreach, RoleCoordinator, RoleLegal, RoleAdvocate, RoleAuditor, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Org is an organization: the Casbin domain that separates cases.
type Org struct {
	Code      string    `bson:"_id" json:"code"`
	Name      string    `bson:"name" json:"name"`
	Threshold int       `bson:"threshold" json:"threshold"` // statistics disclosure threshold k
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// K is the organization's disclosure threshold k: its own, or the default for an
// organization stored before it had one.
func (o Org) K() int {
	if o.Threshold < minThreshold {
		return defaultThreshold
	}
	return o.Threshold
}

// User is an account. Its password hash is stored with it (userDoc) and its failed
// sign-ins beside it (failureSlot), but neither is part of this type, so no encoder
// can leak them.
type User struct {
	ID        string    `bson:"_id" json:"id"`
	Username  string    `bson:"username" json:"username"`
	Org       string    `bson:"org" json:"org"`
	Role      Role      `bson:"role" json:"role"`
	Disabled  bool      `bson:"disabled" json:"disabled"`
	Lang      string    `bson:"lang" json:"lang"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
}

// Errors of this package, matched with errors.Is; invalid input is a
// *validation.Error instead.
var (
	// ErrNotFound: no organization or account by that code, id or username.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: the organization code or username is taken.
	ErrDuplicate = errors.New("already exists")
	// ErrBadCredentials: unknown username, wrong password or disabled account, on
	// purpose indistinguishable.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrLocked: too many consecutive failed sign-ins; wait for LockoutDuration.
	ErrLocked = errors.New("account temporarily locked after too many failed sign-ins")
	// ErrSessionExpired: the token does not (or no longer) authenticate anyone.
	ErrSessionExpired = errors.New("session expired or unknown")
)

// Options tune sessions and lockout; zero fields take the defaults.
type Options struct {
	IdleTimeout     time.Duration    // default 30m
	MaxLifetime     time.Duration    // default 12h
	MaxFailures     int              // default 5 consecutive failures lock the account
	LockoutDuration time.Duration    // default 15m
	Now             func() time.Time // default time.Now; tests inject a clock
}

// Store keeps organizations, accounts and sessions.
type Store struct {
	opts      Options
	orgs      *mongo.Collection
	users     *mongo.Collection
	usernames *mongo.Collection // username → user id, so a login is an {_id} lookup
	sessions  *mongo.Collection
	failures  *mongo.Collection // failed sign-ins, one document each
	takeovers *mongo.Collection // decides who repairs an interrupted write
}

// NewStore returns a store over db's collections "orgs", "users", "usernames",
// "sessions", "login_failures" and "takeovers".
func NewStore(db *mongo.Database, opts Options) *Store {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.MaxLifetime <= 0 {
		opts.MaxLifetime = 12 * time.Hour
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	if opts.LockoutDuration <= 0 {
		opts.LockoutDuration = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{
		opts:      opts,
		orgs:      db.Collection("orgs"),
		users:     db.Collection("users"),
		usernames: db.Collection("usernames"),
		sessions:  db.Collection("sessions"),
		failures:  db.Collection("login_failures"),
		takeovers: db.Collection("takeovers"),
	}
}

// now is the store's clock at the precision BSON keeps (milliseconds, UTC), so that a
// value returned to the caller equals the one read back later.
func (s *Store) now() time.Time {
	return s.opts.Now().UTC().Truncate(time.Millisecond)
}

// wrap labels a returned error once per method, keeping it matchable with errors.Is
// and errors.As. Labels never carry passwords or tokens.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
