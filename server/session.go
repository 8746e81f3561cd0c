package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
)

type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type userView struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	Org      string `json:"org"`
	Lang     string `json:"lang"`
}

func viewOf(u accounts.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: string(u.Role), Org: u.Org, Lang: u.Lang}
}

// login signs in and answers the session token; the same token is set as an HttpOnly
// cookie for the web pages, whose form posts must carry the CSRF token returned here.
func (s *Server) login(c *gin.Context) error {
	if !s.limiter.allow(c.ClientIP()) {
		return errRateLimited
	}
	var in loginInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request.Context()
	u, err := s.Accounts.Authenticate(ctx, in.Username, in.Password)
	if err != nil {
		// A failed sign-in goes into the log of the account's organization when the
		// account exists; the username typed is kept only then.
		if known, lerr := s.Accounts.User(ctx, in.Username); lerr == nil {
			c.Set(userKey, accounts.User{Org: known.Org, Username: known.Username})
			_ = s.record(c, "login", known.ID, outcomeLogin(err), "")
		}
		return err
	}
	token, sess, err := s.Accounts.CreateSession(ctx, u)
	if err != nil {
		return err
	}
	c.Set(userKey, u)
	if err := s.record(c, "login", u.ID, "ok", ""); err != nil {
		return err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": sess.ExpiresAt, "csrf_token": sess.CSRF, "user": viewOf(u)})
	return nil
}

func outcomeLogin(err error) string {
	if errors.Is(err, accounts.ErrLocked) {
		return "denied"
	}
	return "failed"
}

func (s *Server) setSessionCookie(c *gin.Context, token string, expires time.Time) {
	maxAge := int(time.Until(expires).Seconds())
	if token == "" {
		maxAge = -1
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/", MaxAge: maxAge,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) logout(c *gin.Context) error {
	token, _ := s.tokenOf(c)
	if err := s.Accounts.DeleteSession(c.Request.Context(), token); err != nil {
		return err
	}
	_ = s.record(c, "logout", userOf(c).ID, "ok", "")
	s.setSessionCookie(c, "", time.Time{})
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) me(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"user": viewOf(userOf(c))})
	return nil
}
