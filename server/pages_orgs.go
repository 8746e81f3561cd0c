package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/validation"
)

// orgsPage is the data of the organizations page.
type orgsPage struct {
	Orgs   []accounts.Org
	Result *newSecret
}

// showOrgs lists the organizations, for an admin.
func (s *Server) showOrgs(c *gin.Context) error {
	v := s.newView(c, "orgs.title")
	if c.Query("done") == "created" {
		v.Notice = "orgs.done.created"
	}
	return s.renderOrgs(c, v, http.StatusOK, nil)
}

func (s *Server) renderOrgs(c *gin.Context, v *view, status int, res *newSecret) error {
	orgs, err := s.opListOrgs(c)
	if err != nil {
		return err
	}
	v.Data = &orgsPage{Orgs: orgs, Result: res}
	s.render(c, status, "orgs", v)
	return nil
}

// createOrgAndCoordinator creates an organization and its first coordinator, the two
// operations of the API in turn. When the coordinator is refused after the
// organization was created, the form comes back with her problem; sending it again
// with the same code and name finishes the job, since an organization that has no
// account yet is taken as the one begun before.
func (s *Server) createOrgAndCoordinator(c *gin.Context) error {
	v := s.newView(c, "orgs.title")
	for _, f := range []string{"code", "name", "coordinator"} {
		v.Form.Set(f, c.PostForm(f))
	}
	orgs, err := s.opListOrgs(c) // only an admin gets further
	if err != nil {
		return err
	}
	in := orgInput{Code: c.PostForm("code"), Name: c.PostForm("name")}
	coordinator := strings.TrimSpace(c.PostForm("coordinator"))
	if coordinator == "" {
		st, _ := s.rejected(v, validation.Field("coordinator", validation.Required), problemWords{})
		return s.renderOrgs(c, v, st, nil)
	}
	begun, err := s.begunOrg(c, orgs, in)
	if err != nil {
		return err
	}
	if !begun {
		if _, err := s.opCreateOrg(c, in); err != nil {
			if st, ok := s.rejected(v, err, problemWords{field: renamed(map[string]string{"duplicate": "code"})}); ok {
				return s.renderOrgs(c, v, st, nil)
			}
			return err
		}
	}
	u, generated, err := s.opCreateUser(c, userInput{Username: coordinator, Role: string(accounts.RoleCoordinator),
		Org: in.Code, Password: c.PostForm("password")})
	if err != nil {
		rename := renamed(map[string]string{"username": "coordinator", "duplicate": "coordinator"})
		if st, ok := s.rejected(v, err, problemWords{field: rename}); ok {
			v.Notice = "orgs.created_without_coordinator"
			return s.renderOrgs(c, v, st, nil)
		}
		return err
	}
	if generated == "" {
		redirect(c, "/orgs?done=created")
		return nil
	}
	v.Notice, v.Form = "orgs.done.created", nil
	return s.renderOrgs(c, v, http.StatusCreated, &newSecret{Username: u.Username, Password: generated})
}

// begunOrg reports whether in names an organization created earlier, with the same
// name, that still has no account: one whose first coordinator was refused.
func (s *Server) begunOrg(c *gin.Context, orgs []accounts.Org, in orgInput) (bool, error) {
	for _, o := range orgs {
		if o.Code == orgCode(in.Code) && strings.EqualFold(o.Name, strings.TrimSpace(in.Name)) {
			users, err := s.opListUsers(c, o.Code)
			return err == nil && len(users) == 0, err
		}
	}
	return false, nil
}
