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

// opLogin checks the credentials, opens a session and sets its cookie. A failed
// sign-in goes into the log of the account's organization when the account exists.
func (s *Server) opLogin(c *gin.Context, in loginInput) (string, accounts.Session, accounts.User, error) {
	if !s.limiter.allow(c.ClientIP()) {
		return "", accounts.Session{}, accounts.User{}, errRateLimited
	}
	ctx := c.Request.Context()
	u, err := s.Accounts.Authenticate(ctx, in.Username, in.Password)
	if err != nil {
		if known, lerr := s.Accounts.User(ctx, in.Username); lerr == nil {
			c.Set(userKey, accounts.User{Org: known.Org, Username: known.Username})
			_ = s.record(c, "login", known.ID, outcomeLogin(err), "")
		}
		return "", accounts.Session{}, accounts.User{}, err
	}
	token, sess, err := s.Accounts.CreateSession(ctx, u)
	if err != nil {
		return "", accounts.Session{}, accounts.User{}, err
	}
	c.Set(userKey, u)
	if err := s.record(c, "login", u.ID, "ok", ""); err != nil {
		return "", accounts.Session{}, accounts.User{}, err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return token, sess, u, nil
}

// login signs in and answers the session token; the same token is set as an HttpOnly
// cookie for the web pages, whose form posts must carry the CSRF token returned here.
func (s *Server) login(c *gin.Context) error {
	var in loginInput
	if err := decode(c, &in); err != nil {
		return err
	}
	token, sess, u, err := s.opLogin(c, in)
	if err != nil {
		return err
	}
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

// opLogout ends the session of the request and clears its cookie.
func (s *Server) opLogout(c *gin.Context) error {
	token, _ := s.tokenOf(c)
	if err := s.Accounts.DeleteSession(c.Request.Context(), token); err != nil {
		return err
	}
	_ = s.record(c, "logout", userOf(c).ID, "ok", "")
	s.setSessionCookie(c, "", time.Time{})
	return nil
}

func (s *Server) logout(c *gin.Context) error {
	if err := s.opLogout(c); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) me(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"user": viewOf(userOf(c))})
	return nil
}
