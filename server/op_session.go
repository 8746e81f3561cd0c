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
	// Code is the second factor: a TOTP code or a recovery code ("" when the account
	// has none, or until the answer asks for it).
	Code string `json:"code"`
	// Device is the device token an earlier sign-in gave this client: it lets the
	// owner in while strangers hammering her username are held back.
	Device string `json:"device"`
}

type userView struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	Org      string `json:"org"`
	Lang     string `json:"lang"`
	// MustChangePassword: the password was set by someone else; until it is changed the
	// session answers only POST /api/v1/me/password, GET /api/v1/me and logout.
	MustChangePassword bool `json:"must_change_password"`
	// SecondFactor: enrolled. MustEnrolSecondFactor: the role needs one and it is not
	// enrolled yet; until it is, the session answers only the enrolment and the above.
	SecondFactor          bool `json:"second_factor"`
	MustEnrolSecondFactor bool `json:"must_enrol_second_factor"`
}

func (s *Server) viewOf(u accounts.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: string(u.Role), Org: u.Org, Lang: u.Lang,
		MustChangePassword: u.MustChangePassword, SecondFactor: u.SecondFactor, MustEnrolSecondFactor: s.Accounts.MustEnrolSecondFactor(u)}
}

// opLogin checks the credentials and opens a session; it sets no cookie (only the
// pages' sign-in does, signIn). A failed sign-in goes into the log of the account's
// organization when the account exists.
func (s *Server) opLogin(c *gin.Context, in loginInput) (string, accounts.Session, accounts.User, accounts.Grant, error) {
	fail := func(err error) (string, accounts.Session, accounts.User, accounts.Grant, error) {
		return "", accounts.Session{}, accounts.User{}, accounts.Grant{}, err
	}
	if !s.limiter.allow(c.ClientIP()) {
		return fail(errRateLimited)
	}
	ctx := c.Request.Context()
	u, grant, err := s.Accounts.SignIn(ctx, accounts.Attempt{Username: in.Username, Password: in.Password,
		Code: in.Code, Client: c.ClientIP(), Device: in.Device})
	if err != nil {
		if known, lerr := s.Accounts.User(ctx, in.Username); lerr == nil {
			c.Set(userKey, accounts.User{Org: known.Org, Username: known.Username})
			detail := ""
			if errors.Is(err, accounts.ErrSecondFactorRequired) {
				detail = "second factor needed"
			}
			_ = s.record(c, "login", known.ID, outcomeLogin(err), detail)
		}
		return fail(err)
	}
	token, sess, err := s.Accounts.CreateSession(ctx, u)
	if err != nil {
		return fail(err)
	}
	c.Set(userKey, u)
	if err := s.record(c, "login", u.ID, "ok", ""); err != nil {
		return fail(err)
	}
	return token, sess, u, grant, nil
}

func outcomeLogin(err error) string {
	switch {
	case errors.Is(err, accounts.ErrThrottled):
		return "denied"
	}
	return "failed"
}

// setSessionCookie sets (or, with token "", clears) the pages' session cookie. Only
// the pages call it; the API never sets or reads the cookie.
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

// opLogout ends the session of token, the one that admitted the request.
func (s *Server) opLogout(c *gin.Context, token string) error {
	if err := s.Accounts.DeleteSession(c.Request.Context(), token); err != nil {
		return err
	}
	_ = s.record(c, "logout", userOf(c).ID, "ok", "")
	return nil
}
