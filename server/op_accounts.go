package server

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/validation"
)

type orgInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (s *Server) opCreateOrg(c *gin.Context, in orgInput) (o accounts.Org, err error) {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return accounts.Org{}, err
	}
	le := entry{Action: "org.create", Object: in.Code}
	defer s.logged(c, &err, &le)
	if o, err = s.Accounts.CreateOrg(c.Request.Context(), in.Code, in.Name); err == nil {
		le.Object = o.Code
	}
	return o, err
}

func (s *Server) opListOrgs(c *gin.Context) ([]accounts.Org, error) {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return nil, err
	}
	return s.Accounts.Orgs(c.Request.Context())
}

type userInput struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Org      string `json:"org"`
	Password string `json:"password"`
	Lang     string `json:"lang"`
}

// Account powers (SPEC §3): what may be done to an account depends on its role, and
// the policy says it per role ("account.<role>": manage, disable, first). Nobody may
// turn them into someone else's access: an admin creates only an organization's first
// coordinator and its auditors and never sets the password of an account that reads
// cases; a coordinator never manages auditors.

// accountPower is one power over accounts of a role.
type accountPower string

const (
	powerManage  accountPower = "manage"  // create, change role, set password or second factor, disable
	powerDisable accountPower = "disable" // disable or enable only
	powerFirst   accountPower = "first"   // create an organization's first coordinator
)

// hasPower reports whether the caller holds power over accounts of role in org.
func (s *Server) hasPower(c *gin.Context, org string, role accounts.Role, p accountPower) (bool, error) {
	sub, ok := subjectOf(c)
	if !ok {
		return false, errUnauthenticated
	}
	if !role.Valid() {
		return false, nil
	}
	return s.Authz.Can(sub, "account."+string(role), string(p), org)
}

// mayCreate checks that the caller may create an account of role in org: with the
// manage power, or (an admin) as the organization's first coordinator while it has
// none, disabled ones included (disabling the coordinator must not open the way to a
// new one of the admin's making).
func (s *Server) mayCreate(c *gin.Context, org string, role accounts.Role) error {
	if _, err := s.can(c, "accounts", "manage", org); err != nil {
		return err
	}
	if !role.Valid() {
		return validation.Field("role", validation.UnknownRole)
	}
	ok, err := s.hasPower(c, org, role, powerManage)
	if err == nil && !ok && role == accounts.RoleCoordinator {
		if ok, err = s.hasPower(c, org, role, powerFirst); err == nil && ok {
			ok, err = s.orgHasNoCoordinator(c, org)
		}
	}
	if err != nil {
		return err
	}
	if !ok {
		_ = s.record(c, "account."+string(role)+".manage", "", "denied", "create")
		return errForbidden
	}
	return nil
}

func (s *Server) orgHasNoCoordinator(c *gin.Context, org string) (bool, error) {
	users, err := s.Accounts.Users(c.Request.Context(), org)
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Role == accounts.RoleCoordinator {
			return false, nil
		}
	}
	return true, nil
}

// mayChange checks that the caller may make change to target: the manage power over
// its role (and over the new role, when the role changes), or the disable power when
// the change only disables or enables it. A coordinator asking about an account of
// another organization is told it does not exist.
func (s *Server) mayChange(c *gin.Context, target accounts.User, in userPatchInput) error {
	me := userOf(c)
	if _, err := s.can(c, "accounts", "manage", target.Org); err != nil {
		if errors.Is(err, errForbidden) && me.Role != accounts.RoleAdmin && target.Org != me.Org {
			return errNotFound
		}
		return err
	}
	need := powerManage
	if in.Disabled != nil && in.Role == nil && in.Password == nil && in.Lang == nil && in.SecondFactor == nil {
		need = powerDisable
	}
	ok, err := s.hasPower(c, target.Org, target.Role, powerManage)
	if err == nil && !ok && need == powerDisable {
		ok, err = s.hasPower(c, target.Org, target.Role, powerDisable)
	}
	if err == nil && ok && in.Role != nil {
		ok, err = s.hasPower(c, target.Org, accounts.Role(*in.Role), powerManage)
	}
	if err != nil {
		return err
	}
	if !ok {
		_ = s.record(c, "account."+string(target.Role)+"."+string(need), target.ID, "denied", changed(in))
		return errForbidden
	}
	return nil
}

// opCreateUser creates an account. Without a password one is generated and returned
// this once, to hand to the person by a safe channel.
func (s *Server) opCreateUser(c *gin.Context, in userInput) (_ accounts.User, generated string, _ error) {
	in.Org = orgCode(in.Org)
	if in.Org == "" {
		in.Org = userOf(c).Org
	}
	if err := s.mayCreate(c, in.Org, accounts.Role(in.Role)); err != nil {
		return accounts.User{}, "", err
	}
	if in.Password == "" {
		generated = accounts.GeneratePassword()
		in.Password = generated
	}
	u, err := func() (u accounts.User, err error) {
		le := entry{Action: "user.create"}
		defer s.logged(c, &err, &le)
		u, err = s.Accounts.CreateUser(c.Request.Context(), accounts.NewUser{
			Username: in.Username, Org: in.Org, Role: accounts.Role(in.Role), Password: in.Password, Lang: in.Lang,
		})
		le.Object, le.Detail = u.ID, string(u.Role)
		return u, err
	}()
	if err != nil {
		return accounts.User{}, "", err
	}
	if err := s.noteChange(c, u, "created"); err != nil {
		return accounts.User{}, "", err
	}
	return u, generated, nil
}

// opListUsers lists the accounts of org ("" for an admin: every organization; for
// anyone else: her own).
func (s *Server) opListUsers(c *gin.Context, org string) ([]accounts.User, error) {
	org = orgCode(org)
	me := userOf(c)
	if org == "" && me.Role != accounts.RoleAdmin {
		org = me.Org
	}
	if _, err := s.can(c, "accounts", "manage", orDefault(org, me.Org)); err != nil {
		return nil, err
	}
	return s.Accounts.Users(c.Request.Context(), org)
}

type userPatchInput struct {
	Disabled *bool   `json:"disabled"`
	Role     *string `json:"role"`
	Password *string `json:"password"`
	Lang     *string `json:"lang"`
	// SecondFactor false removes the account's second factor (a lost phone and lost
	// recovery codes); only its owner sets one up, on her own account.
	SecondFactor *bool `json:"second_factor"`
}

// opUpdateUser changes the account named by id (its id or username).
func (s *Server) opUpdateUser(c *gin.Context, id string, in userPatchInput) (accounts.User, error) {
	ctx := c.Request.Context()
	target, err := s.Accounts.User(ctx, id)
	if err != nil {
		return accounts.User{}, err
	}
	if err := s.mayChange(c, target, in); err != nil {
		return accounts.User{}, err
	}
	p := accounts.UserPatch{Disabled: in.Disabled, Password: in.Password, Lang: in.Lang}
	if in.Role != nil {
		r := accounts.Role(*in.Role)
		p.Role = &r
	}
	if target.ID == userOf(c).ID && (in.Disabled != nil && *in.Disabled || in.Role != nil) {
		return accounts.User{}, validation.Field("id", validation.NotYourself)
	}
	if target.ID == userOf(c).ID && in.SecondFactor != nil {
		return accounts.User{}, validation.Field("id", validation.OwnSecondFactor)
	}
	if in.SecondFactor != nil && *in.SecondFactor {
		return accounts.User{}, validation.Field("second_factor", validation.OnlyRemove)
	}
	u, err := func() (u accounts.User, err error) {
		defer s.logged(c, &err, &entry{Action: "user.update", Object: target.ID, Detail: changed(in)})
		u, err = s.Accounts.UpdateUser(ctx, target.ID, p)
		if err == nil && in.SecondFactor != nil {
			if err = s.Accounts.RemoveSecondFactor(ctx, target.ID); err == nil {
				u, err = s.Accounts.User(ctx, target.ID)
			}
		}
		return u, err
	}()
	if err != nil {
		return accounts.User{}, err
	}
	if err := s.noteChange(c, u, changedWhat(in)); err != nil {
		return accounts.User{}, err
	}
	return u, nil
}

// changed names the fields of an account change for the access log, never their values
// when they are secrets.
func changed(in userPatchInput) string {
	out := ""
	if in.Disabled != nil {
		if *in.Disabled {
			out += "disabled "
		} else {
			out += "enabled "
		}
	}
	if in.Role != nil {
		out += "role=" + *in.Role + " "
	}
	if in.Password != nil {
		out += "password "
	}
	if in.SecondFactor != nil {
		out += "second_factor removed "
	}
	return out
}

// changedWhat names a change for the organization's list of account changes.
func changedWhat(in userPatchInput) string {
	var what []string
	if in.Disabled != nil {
		what = append(what, map[bool]string{true: "disabled", false: "enabled"}[*in.Disabled])
	}
	if in.Role != nil {
		what = append(what, "role")
	}
	if in.Password != nil {
		what = append(what, "password")
	}
	if in.Lang != nil {
		what = append(what, "lang")
	}
	if in.SecondFactor != nil {
		what = append(what, "second_factor")
	}
	return strings.Join(what, " ")
}

// noteChange adds a change to u's organization's list of account changes; one made
// from outside the organization (by an admin) is a notice for its coordinators.
func (s *Server) noteChange(c *gin.Context, u accounts.User, what string) error {
	me := userOf(c)
	return s.Changes.Record(c.Request.Context(), changes.Change{
		Org: u.Org, By: me.Username, ByRole: string(me.Role), Account: u.Username, Role: string(u.Role), What: what,
		Notice: me.Org != u.Org || me.Role == accounts.RoleAdmin,
	})
}

// orgCode normalizes an organization code as the accounts store does, so that the
// authorization check compares the code the store will act on.
func orgCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
