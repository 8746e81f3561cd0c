// Package accounts holds organizations, the accounts of the people who use Registro,
// their passwords and their sessions, in one store over MongoDB (or the embedded
// store). It never logs: passwords, hashes and tokens must not reach any output.
package accounts

import (
	"errors"
	"fmt"
	"sync/atomic"
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
	Code      string `bson:"_id" json:"code"`
	Name      string `bson:"name" json:"name"`
	Threshold int    `bson:"threshold" json:"threshold"` // statistics disclosure threshold k
	// ShareDays is the longest a case may be shared with a legal partner in one grant,
	// in days (0: DefaultShareDays); a share is renewed by granting it again.
	ShareDays int       `bson:"share_days,omitempty" json:"share_days"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// Bounds of Org.ShareDays.
const (
	DefaultShareDays = 180
	MaxShareDays     = 730
)

// MaxShare is the longest one grant of the organization may last.
func (o Org) MaxShare() time.Duration {
	d := o.ShareDays
	if d <= 0 {
		d = DefaultShareDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// K is the organization's disclosure threshold k: its own, or the default for an
// organization stored before it had one.
func (o Org) K() int {
	if o.Threshold < minThreshold {
		return defaultThreshold
	}
	return o.Threshold
}

// User is an account. Its password hash is stored with it (userDoc), its failed
// sign-ins and second factor beside it (failureSlot, factorDoc), but none of them is
// part of this type, so no encoder can leak them.
type User struct {
	ID       string `bson:"_id" json:"id"`
	Username string `bson:"username" json:"username"`
	Org      string `bson:"org" json:"org"`
	Role     Role   `bson:"role" json:"role"`
	Disabled bool   `bson:"disabled" json:"disabled"`
	Lang     string `bson:"lang" json:"lang"`
	// MustChangePassword is set whenever someone else set the password (creation,
	// bootstrap, a reset); only ChangeOwnPassword clears it.
	MustChangePassword bool `bson:"must_change_password" json:"must_change_password"`
	// SecondFactor says a TOTP authenticator is enrolled (ConfirmTOTP).
	SecondFactor bool      `bson:"second_factor" json:"second_factor"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at" json:"updated_at"`
}

// Errors of this package, matched with errors.Is; invalid input is a
// *validation.Error instead.
var (
	// ErrNotFound: no organization or account by that code, id or username.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: the organization code or username is taken.
	ErrDuplicate = errors.New("already exists")
	// ErrBadCredentials: unknown username, wrong password, disabled account, or a
	// wrong or reused second-factor code, on purpose indistinguishable.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrSecondFactorRequired: the password is right and the account has a second
	// factor; sign in again with its code.
	ErrSecondFactorRequired = errors.New("second factor code required")
	// ErrThrottled: too many failed sign-ins; the error is a *ThrottledError that says
	// how long to wait.
	ErrThrottled = errors.New("too many failed sign-ins")
	// ErrNoSecretKey: second factors need Options.SecretKey (32 bytes).
	ErrNoSecretKey = errors.New("no key for second factors configured")
	// ErrSessionExpired: the token does not (or no longer) authenticate anyone.
	ErrSessionExpired = errors.New("session expired or unknown")
)

// ThrottledError is how SignIn refuses a throttled client; it matches ErrThrottled.
// It depends only on the failures recorded for the username typed, so it says
// nothing about whether that account exists. The owner still gets in at once with
// her password and second-factor code together, or from a device she signed in on
// before (Attempt.Device).
type ThrottledError struct {
	// RetryAfter is how long until the refusal ends, unless failures continue.
	RetryAfter time.Duration
	// Guarded: the refusal comes from the guard on the username as a whole (failures
	// from many clients), not only from this client's failures.
	Guarded bool
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s: retry in %s", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) (and the deprecated ErrLocked) match.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Second-factor modes for Options.SecondFactor.
const (
	SecondFactorModeRequired = "required" // required for the roles that read or judge cases
	SecondFactorModeOptional = "optional" // optional for everyone (tests, training)
)

// Options tune sessions and second factors; zero fields take the defaults.
type Options struct {
	IdleTimeout time.Duration // default 30m
	MaxLifetime time.Duration // default 12h
	// SecretKey (32 bytes, from the key file, never the database) seals TOTP secrets
	// and keys recovery codes and failure records. Without it, the TOTP methods return
	// ErrNoSecretKey.
	SecretKey []byte
	// SecondFactor is SecondFactorModeRequired (default) or SecondFactorModeOptional;
	// any other value counts as required.
	SecondFactor string
	// InsecureFastHashes makes new password hashes cheap (argon2id m=64 KiB, t=1) for
	// test fixtures only: a test suite signs hundreds of accounts in. Every stored hash
	// carries its own cost, so either kind verifies. Never set in production.
	InsecureFastHashes bool
	Now                func() time.Time // default time.Now; tests inject a clock
}

// Store keeps organizations, accounts and sessions.
type Store struct {
	opts        Options
	orgs        *mongo.Collection
	users       *mongo.Collection
	usernames   *mongo.Collection // username → user id, so a sign-in is an {_id} lookup
	sessions    *mongo.Collection
	failures    *mongo.Collection      // failed sign-ins, one document each (failureSlot)
	takeovers   *mongo.Collection      // decides who repairs an interrupted write
	devices     *mongo.Collection      // device tokens, by hash (deviceDoc)
	factors     *mongo.Collection      // TOTP secrets and recovery codes, by user id (factorDoc)
	factorUses  *mongo.Collection      // used TOTP steps and recovery codes, one document each
	hashes      atomic.Int64           // argon2 verifications done, which tests compare
	decoy       atomic.Pointer[string] // an account id that sign-ins of unknown usernames read
	usernameKey func(name string) string
}

// NewStore returns a store over db's collections "orgs", "users", "usernames",
// "sessions", "login_failures", "takeovers", "devices", "second_factors" and
// "second_factor_uses".
func NewStore(db *mongo.Database, opts Options) *Store {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.MaxLifetime <= 0 {
		opts.MaxLifetime = 12 * time.Hour
	}
	if opts.SecondFactor != SecondFactorModeOptional {
		opts.SecondFactor = SecondFactorModeRequired
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{
		opts:       opts,
		orgs:       db.Collection("orgs"),
		users:      db.Collection("users"),
		usernames:  db.Collection("usernames"),
		sessions:   db.Collection("sessions"),
		failures:   db.Collection("login_failures"),
		takeovers:  db.Collection("takeovers"),
		devices:    db.Collection("devices"),
		factors:    db.Collection("second_factors"),
		factorUses: db.Collection("second_factor_uses"),
	}
	s.usernameKey = newUsernameKey(opts.SecretKey)
	return s
}

// RequiresSecondFactor reports whether an account of role must enrol a second factor
// under mode (Options.SecondFactor): the roles that read case content or check others
// (coordinator, legal, auditor, admin) when mode is required; nobody when optional.
func RequiresSecondFactor(role Role, mode string) bool {
	if mode == SecondFactorModeOptional {
		return false
	}
	switch role {
	case RoleCoordinator, RoleLegal, RoleAuditor, RoleAdmin:
		return true
	}
	return false
}

// SecondFactorRequired reports whether an account of role must use a second factor
// under this store's mode (Options.SecondFactor), the one place that rule is read.
func (s *Store) SecondFactorRequired(role Role) bool {
	return RequiresSecondFactor(role, s.opts.SecondFactor)
}

// MustEnrolSecondFactor reports whether u has yet to enrol the second factor her role
// requires under this store's mode; the server lets her do nothing else until then.
func (s *Store) MustEnrolSecondFactor(u User) bool {
	return !u.SecondFactor && s.SecondFactorRequired(u.Role)
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

// hashParams are the argon2id costs of the password hashes this store writes.
func (s *Store) hashParams() argonParams {
	if s.opts.InsecureFastHashes {
		return argonParams{Memory: 64, Time: 1, Threads: 1}
	}
	return defaultParams
}

// IdleTimeout is how long a session lives without a request.
func (s *Store) IdleTimeout() time.Duration { return s.opts.IdleTimeout }
