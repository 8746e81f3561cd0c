package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/cases"
	"registro/validation"
)

// sharePage is the data of the page that shares a case with a legal partner.
type sharePage struct {
	Case     *cases.Case
	Partners []accounts.User // the organization's enabled legal accounts
	Grants   []grantRow
	MinDate  string // today in Lima: a share ends at the end of a day, not before today
	From     string // page a revoked share goes back to
}

// shareDays is how long a share lasts unless the coordinator picks another day.
const shareDays = 90

// showShareCase shows who the case is shared with and the form to share it.
func (s *Server) showShareCase(c *gin.Context) error {
	v := s.newView(c, "cases.share_title")
	v.Notice = doneNotice(c.Query("done"))
	v.Form.Set("expires", s.Now().In(limaTime).AddDate(0, 0, shareDays).Format(time.DateOnly))
	return s.renderShare(c, http.StatusOK, v)
}

// renderShare checks the right to share before the case is read, then shows the page.
func (s *Server) renderShare(c *gin.Context, status int, v *view) error {
	k, err := s.caseForForm(c, "share")
	if err != nil {
		return err
	}
	users, err := s.opListUsers(c, "")
	if err != nil {
		return err
	}
	data := sharePage{Case: k, Grants: s.grantRows(k), MinDate: s.Now().In(limaTime).Format(time.DateOnly), From: "share"}
	for _, u := range users {
		if u.Role == accounts.RoleLegal && !u.Disabled {
			data.Partners = append(data.Partners, u)
		}
	}
	v.Data = data
	s.render(c, status, "case_share", v)
	return nil
}

// shareCase grants the chosen legal partner access until the end of the chosen day,
// Lima time.
func (s *Server) shareCase(c *gin.Context) error {
	id := c.Param("id")
	in := grantInput{User: c.PostForm("user")}
	day, perr := time.ParseInLocation(time.DateOnly, c.PostForm("expires"), limaTime)
	var err error
	if perr != nil {
		err = validation.Field("expires", validation.DateFormat)
		if _, _, serr := s.scopes(c, "case", "share"); serr != nil {
			return serr
		}
	} else {
		in.ExpiresAt = day.Add(24*time.Hour - time.Second).Format(time.RFC3339)
		if _, err = s.opGrantCase(c, id, in); err == nil {
			redirect(c, "/cases/"+id+"/share?done=shared#grants")
			return nil
		}
	}
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return err
	}
	v := s.newView(c, "cases.share_title")
	v.Form.Set("user", in.User)
	v.Form.Set("expires", c.PostForm("expires"))
	st, _ := s.rejected(v, err, s.caseWords())
	return s.renderShare(c, st, v)
}

// revokeCaseGrant ends a share at once and goes back to the page it was asked from.
func (s *Server) revokeCaseGrant(c *gin.Context) error {
	id := c.Param("id")
	if err := s.opRevokeGrant(c, id, c.Param("user")); err != nil {
		return err
	}
	if c.PostForm("from") == "share" {
		redirect(c, "/cases/"+id+"/share?done=revoked#grants")
		return nil
	}
	redirect(c, "/cases/"+id+"?done=revoked#grants")
	return nil
}
