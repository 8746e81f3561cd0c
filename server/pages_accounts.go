package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/validation"
)

// accountsPage is the data of the accounts page.
type accountsPage struct {
	Rows    []accountRow
	Orgs    []accounts.Org  // an admin's choice of organization; nil for a coordinator
	Roles   []accounts.Role // the roles the reader may create an account of
	Admin   bool
	Me      string // the reader's account id
	Result  *newSecret
	Changes []changes.Change // the organization's recent account changes (a coordinator's page)
}

// accountRow is one account with what the reader may do to it.
type accountRow struct {
	accounts.User
	CanManage  bool            // change its role, reset its password
	CanDisable bool            // disable or enable it
	NewRoles   []accounts.Role // the roles it may be given
}

// newSecret is a password shown once: generated for a new account or a reset.
type newSecret struct {
	Username, Password string
}

// accountActions are the changes a row of the accounts table offers.
var accountActions = []string{"disable", "enable", "role", "reset", "second_factor"}

// showAccounts lists the accounts the reader manages: her organization's, or every
// organization's for an admin (?org= narrows it).
func (s *Server) showAccounts(c *gin.Context) error {
	v := s.newView(c, "accounts.title")
	if d := c.Query("done"); d == "created" || slices.Contains(accountActions, d) {
		v.Notice = "accounts.done." + d
	}
	return s.renderAccounts(c, v, http.StatusOK, nil)
}

func (s *Server) renderAccounts(c *gin.Context, v *view, status int, res *newSecret) error {
	users, err := s.opListUsers(c, c.Query("org"))
	if err != nil {
		return err
	}
	me := userOf(c)
	data := &accountsPage{Admin: me.Role == accounts.RoleAdmin, Me: me.ID, Result: res}
	// The roles offered are those the policy lets the reader manage (an admin's
	// "first coordinator" is decided when the account is created).
	for _, r := range accounts.Roles {
		manage, err := s.hasPower(c, me.Org, r, powerManage)
		if err != nil {
			return err
		}
		first, err := s.hasPower(c, me.Org, r, powerFirst)
		if err != nil {
			return err
		}
		if manage || first {
			data.Roles = append(data.Roles, r)
		}
	}
	for _, u := range users {
		row := accountRow{User: u}
		if row.CanManage, err = s.hasPower(c, u.Org, u.Role, powerManage); err != nil {
			return err
		}
		if row.CanDisable, err = s.hasPower(c, u.Org, u.Role, powerDisable); err != nil {
			return err
		}
		row.CanDisable = row.CanDisable || row.CanManage
		for _, r := range accounts.Roles {
			if ok, err := s.hasPower(c, u.Org, r, powerManage); err != nil {
				return err
			} else if ok && row.CanManage {
				row.NewRoles = append(row.NewRoles, r)
			}
		}
		data.Rows = append(data.Rows, row)
	}
	if !data.Admin {
		if data.Changes, err = s.Changes.Recent(c.Request.Context(), me.Org, 20); err != nil {
			return err
		}
	}
	if data.Admin {
		if data.Orgs, err = s.opListOrgs(c); err != nil {
			return err
		}
	}
	v.Data = data
	s.render(c, status, "accounts", v)
	return nil
}

// createAccount takes the new-account form. A generated password is shown on the
// answer itself (201, never cached), once; otherwise the list is shown again.
func (s *Server) createAccount(c *gin.Context) error {
	v := s.newView(c, "accounts.title")
	in := userInput{Username: c.PostForm("username"), Role: c.PostForm("role"),
		Password: c.PostForm("password"), Lang: c.PostForm("lang")}
	if userOf(c).Role == accounts.RoleAdmin {
		in.Org = c.PostForm("org")
	}
	for _, f := range []string{"username", "role", "org", "lang"} {
		v.Form.Set(f, c.PostForm(f))
	}
	u, generated, err := s.opCreateUser(c, in)
	if err != nil {
		if st, ok := s.rejected(v, err, accountWords); ok {
			return s.renderAccounts(c, v, st, nil)
		}
		return err
	}
	if generated == "" {
		redirect(c, "/accounts?done=created")
		return nil
	}
	v.Notice, v.Form = "accounts.done.created", nil
	return s.renderAccounts(c, v, http.StatusCreated, &newSecret{Username: u.Username, Password: generated})
}

// changeAccount applies one action of a row: disable, enable, role or reset (a new
// generated password, shown once).
func (s *Server) changeAccount(c *gin.Context) error {
	v := s.newView(c, "accounts.title")
	v.Path = "/accounts" // where the language switch and the menu lead back to
	var in userPatchInput
	var generated string
	yes, no := true, false
	switch action := c.PostForm("action"); action {
	case "disable":
		in.Disabled = &yes
	case "enable":
		in.Disabled = &no
	case "role":
		r := c.PostForm("role")
		in.Role = &r
	case "second_factor":
		in.SecondFactor = &no
	case "reset":
		generated = accounts.GeneratePassword()
		in.Password = &generated
	default:
		return validation.Field("action", validation.UnknownAction)
	}
	u, err := s.opUpdateUser(c, c.Param("id"), in)
	if err != nil {
		if st, ok := s.rejected(v, err, accountWords); ok {
			return s.renderAccounts(c, v, st, nil)
		}
		return err
	}
	if generated != "" {
		v.Notice = "accounts.done.reset"
		return s.renderAccounts(c, v, http.StatusOK, &newSecret{Username: u.Username, Password: generated})
	}
	redirect(c, "/accounts?done="+c.PostForm("action"))
	return nil
}

// accountWords places a taken username beside the username field.
var accountWords = problemWords{field: renamed(map[string]string{"duplicate": "username"})}
