package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"registro/validation"
)

const adminUsername = "admin"

// bootstrapLease is how long a started bootstrap is presumed alive. It exceeds
// claimGrace, so a resumed bootstrap finds the admin claim of a crashed one
// repairable.
const bootstrapLease = 2 * time.Minute

// BootstrapResult tells what Bootstrap did. Password is set only when Generated, for
// the caller to show once; a password the caller supplied is not echoed back.
type BootstrapResult struct {
	Created   bool
	Org       string
	Username  string
	Password  string
	Generated bool
}

// bootstrapMark sits on the first organization until its admin account exists. With
// no transactions, it is what lets a bootstrap interrupted between the two writes be
// finished by the next start instead of leaving an installation nobody can sign in to.
type bootstrapMark struct {
	Owner string    `bson:"owner"`
	Since time.Time `bson:"since"`
}

type orgDoc struct {
	Org       `bson:",inline"`
	Bootstrap *bootstrapMark `bson:"bootstrap,omitempty"`
}

// Bootstrap creates, on a database without organizations, the organization (code,
// name) and an "admin" account with role admin in it; password "" has one generated.
// The admin must change the password at first sign-in, printed or given: it passed
// through a terminal or the environment.
// On a database that has organizations it returns Created=false, and so does every
// process but one when several race. It returns a *validation.Error naming "code",
// "name" or "password" for invalid input.
func (s *Store) Bootstrap(ctx context.Context, orgCode, orgName, password string) (_ BootstrapResult, err error) {
	defer wrap(&err, "accounts.Store.Bootstrap(%s)", orgCode)
	v := &validation.Error{}
	o := s.newOrg(v, orgCode, orgName)
	generated := password == ""
	if generated {
		password = generatePassword()
	} else {
		checkPassword(v, "password", password, adminUsername, o.Code)
	}
	if err := v.Err(); err != nil {
		return BootstrapResult{}, err
	}
	owner := uuid.NewString()
	code, won, err := s.bootstrapOrg(ctx, o, owner)
	if err != nil || !won {
		return BootstrapResult{}, err
	}
	if err := s.bootstrapAdmin(ctx, code, password); err != nil {
		return BootstrapResult{}, err
	}
	_, err = s.orgs.UpdateOne(ctx, bson.D{{Key: "_id", Value: code}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "bootstrap", Value: ""}}}})
	if err != nil {
		return BootstrapResult{}, err
	}
	res := BootstrapResult{Created: true, Org: code, Username: adminUsername, Generated: generated}
	if generated {
		res.Password = password
	}
	return res, nil
}

// bootstrapOrg makes owner the one process that bootstraps, and returns the code of
// the organization to finish: a new one, or one whose bootstrap was interrupted and
// whose lease has run out. won is false when there is nothing for this process to do.
func (s *Store) bootstrapOrg(ctx context.Context, o Org, owner string) (code string, won bool, err error) {
	now := o.CreatedAt
	var pending orgDoc
	err = s.orgs.FindOne(ctx, bson.D{{Key: "bootstrap", Value: bson.D{{Key: "$exists", Value: true}}}}).Decode(&pending)
	switch {
	case err == nil:
		if pending.Bootstrap == nil || now.Sub(pending.Bootstrap.Since) < bootstrapLease {
			return "", false, nil // another process is at it
		}
		// One of several restarting processes resumes.
		if won, err := s.takeOver(ctx, "bootstrap/"+pending.Bootstrap.Owner); err != nil || !won {
			return "", false, err
		}
		_, err := s.orgs.UpdateOne(ctx, bson.D{{Key: "_id", Value: pending.Code}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "bootstrap", Value: bootstrapMark{Owner: owner, Since: now}}}}})
		if err != nil {
			return "", false, err
		}
		return pending.Code, true, nil
	case !errors.Is(err, mongo.ErrNoDocuments):
		return "", false, err
	}
	n, err := s.orgs.CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
	if err != nil || n > 0 {
		return "", false, err
	}
	// The insert by _id decides between racing processes: one succeeds.
	_, err = s.orgs.InsertOne(ctx, orgDoc{Org: o, Bootstrap: &bootstrapMark{Owner: owner, Since: now}})
	if mongo.IsDuplicateKeyError(err) {
		return "", false, nil
	}
	return o.Code, err == nil, err
}

// bootstrapAdmin creates the admin account in code, or, when an interrupted bootstrap
// already created it, gives it this password: the earlier one was never shown.
func (s *Store) bootstrapAdmin(ctx context.Context, code, password string) error {
	_, err := s.CreateUser(ctx, NewUser{Username: adminUsername, Org: code, Role: RoleAdmin, Password: password, Lang: "es"})
	if !errors.Is(err, ErrDuplicate) {
		return err
	}
	u, err := s.User(ctx, adminUsername)
	if err != nil {
		return err
	}
	if u.Org != code {
		return fmt.Errorf("an account named %q already exists in organization %s", adminUsername, u.Org)
	}
	enabled, role := false, RoleAdmin
	_, err = s.UpdateUser(ctx, u.ID, UserPatch{Password: &password, Disabled: &enabled, Role: &role})
	return err
}
