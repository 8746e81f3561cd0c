package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/validation"
)

// opChangeOwnPassword changes the signed-in person's password after checking her
// current one. The check counts toward the lockout like a sign-in, so the form
// cannot be used to guess. A new password ends every session of the account (the
// accounts store's rule); this one is replaced by a fresh session, so she stays in.
func (s *Server) opChangeOwnPassword(c *gin.Context, current, next, confirm string) error {
	me := userOf(c)
	ctx := c.Request.Context()
	if _, err := s.Accounts.Authenticate(ctx, me.Username, current); err != nil {
		_ = s.record(c, "user.password", me.ID, outcomeLogin(err), "")
		if errors.Is(err, accounts.ErrBadCredentials) {
			return validation.Field("current_password", "wrong password")
		}
		return err
	}
	if next != confirm {
		return validation.Field("confirm_password", "does not match the new password")
	}
	u, err := s.Accounts.UpdateUser(ctx, me.ID, accounts.UserPatch{Password: &next})
	if err != nil {
		return err
	}
	if err := s.record(c, "user.password", u.ID, "ok", ""); err != nil {
		return err
	}
	token, sess, err := s.Accounts.CreateSession(ctx, u)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return nil
}

// showAccount is the signed-in person's own page: who she is, her language and her
// password.
func (s *Server) showAccount(c *gin.Context) error {
	v := s.newView(c, "account.title")
	if c.Query("done") == "password" {
		v.Notice = "account.done.password"
	}
	s.render(c, http.StatusOK, "account", v)
	return nil
}

// changePassword takes the password form; problems show beside their fields, and
// the typed passwords are never shown back.
func (s *Server) changePassword(c *gin.Context) error {
	err := s.opChangeOwnPassword(c, c.PostForm("current_password"), c.PostForm("new_password"), c.PostForm("confirm_password"))
	if err != nil {
		v := s.newView(c, "account.title")
		// The accounts store names the new password "password".
		words := problemWords{field: renamed(map[string]string{"password": "new_password"})}
		if st, ok := s.rejected(v, err, words); ok {
			s.render(c, st, "account", v)
			return nil
		}
		return err
	}
	redirect(c, "/account?done=password")
	return nil
}
