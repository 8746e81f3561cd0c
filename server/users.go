package server

import (
	"crypto/rand"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/authz"
	"registro/validation"
)

type orgInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (s *Server) opCreateOrg(c *gin.Context, in orgInput) (accounts.Org, error) {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return accounts.Org{}, err
	}
	o, err := s.Accounts.CreateOrg(c.Request.Context(), in.Code, in.Name)
	if err != nil {
		_ = s.record(c, "org.create", in.Code, outcomeOf(err), "")
		return accounts.Org{}, err
	}
	return o, s.record(c, "org.create", o.Code, "ok", "")
}

func (s *Server) opListOrgs(c *gin.Context) ([]accounts.Org, error) {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return nil, err
	}
	return s.Accounts.Orgs(c.Request.Context())
}

func (s *Server) createOrg(c *gin.Context) error {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return err
	}
	var in orgInput
	if err := decode(c, &in); err != nil {
		return err
	}
	o, err := s.opCreateOrg(c, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, o)
	return nil
}

func (s *Server) listOrgs(c *gin.Context) error {
	orgs, err := s.opListOrgs(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"orgs": orgs})
	return nil
}

type userInput struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Org      string `json:"org"`
	Password string `json:"password"`
	Lang     string `json:"lang"`
}

// mayManage reports whether the caller may create or change an account of role in
// org: an admin anywhere; a coordinator only in her organization and never an admin.
func (s *Server) mayManage(c *gin.Context, org string, role accounts.Role) (authz.Subject, error) {
	sub, err := s.can(c, "accounts", "manage", org)
	if err != nil {
		return sub, err
	}
	if sub.Role != string(accounts.RoleAdmin) && role == accounts.RoleAdmin {
		s.record(c, "accounts.manage", "", "denied", "admin role")
		return sub, errForbidden
	}
	return sub, nil
}

// opCreateUser creates an account. Without a password one is generated and returned
// this once, to hand to the person by a safe channel.
func (s *Server) opCreateUser(c *gin.Context, in userInput) (_ accounts.User, generated string, _ error) {
	in.Org = orgCode(in.Org)
	if in.Org == "" {
		in.Org = userOf(c).Org
	}
	if _, err := s.mayManage(c, in.Org, accounts.Role(in.Role)); err != nil {
		return accounts.User{}, "", err
	}
	if in.Password == "" {
		generated = rand.Text()
		in.Password = generated
	}
	u, err := s.Accounts.CreateUser(c.Request.Context(), accounts.NewUser{
		Username: in.Username, Org: in.Org, Role: accounts.Role(in.Role), Password: in.Password, Lang: in.Lang,
	})
	if err != nil {
		_ = s.record(c, "user.create", "", outcomeOf(err), "")
		return accounts.User{}, "", err
	}
	if err := s.record(c, "user.create", u.ID, "ok", string(u.Role)); err != nil {
		return accounts.User{}, "", err
	}
	return u, generated, nil
}

func (s *Server) createUser(c *gin.Context) error {
	var in userInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, generated, err := s.opCreateUser(c, in)
	if err != nil {
		return err
	}
	body := gin.H{"user": u}
	if generated != "" {
		body["password"] = generated
	}
	c.JSON(http.StatusCreated, body)
	return nil
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

func (s *Server) listUsers(c *gin.Context) error {
	users, err := s.opListUsers(c, c.Query("org"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
	return nil
}

type userPatchInput struct {
	Disabled *bool   `json:"disabled"`
	Role     *string `json:"role"`
	Password *string `json:"password"`
	Lang     *string `json:"lang"`
}

// opUpdateUser changes the account named by id (its id or username).
func (s *Server) opUpdateUser(c *gin.Context, id string, in userPatchInput) (accounts.User, error) {
	ctx := c.Request.Context()
	target, err := s.Accounts.User(ctx, id)
	if err != nil {
		return accounts.User{}, err
	}
	// A coordinator cannot see another organization's accounts: they do not exist for her.
	if _, err := s.mayManage(c, target.Org, target.Role); err != nil {
		if err == errForbidden && userOf(c).Role != accounts.RoleAdmin && target.Org != userOf(c).Org {
			return accounts.User{}, errNotFound
		}
		return accounts.User{}, err
	}
	p := accounts.UserPatch{Disabled: in.Disabled, Password: in.Password, Lang: in.Lang}
	if in.Role != nil {
		r := accounts.Role(*in.Role)
		if _, err := s.mayManage(c, target.Org, r); err != nil {
			return accounts.User{}, err
		}
		p.Role = &r
	}
	if target.ID == userOf(c).ID && (in.Disabled != nil && *in.Disabled || in.Role != nil) {
		return accounts.User{}, validation.Field("id", "you cannot disable your own account or change your own role")
	}
	u, err := s.Accounts.UpdateUser(ctx, target.ID, p)
	if err != nil {
		_ = s.record(c, "user.update", target.ID, outcomeOf(err), "")
		return accounts.User{}, err
	}
	if err := s.record(c, "user.update", u.ID, "ok", changed(in)); err != nil {
		return accounts.User{}, err
	}
	return u, nil
}

func (s *Server) updateUser(c *gin.Context) error {
	var in userPatchInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := s.opUpdateUser(c, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
	return nil
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
	return out
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
