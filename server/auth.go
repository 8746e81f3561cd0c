package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/authz"
	"registro/cases"
)

// cookieName carries the session token for the web pages; the __Host- prefix makes the
// browser refuse it unless it is Secure, host-only and for path /.
const (
	cookieName    = "__Host-registro"
	devCookieName = "registro"
	csrfHeader    = "X-CSRF-Token"
)

const (
	subjectKey = "subject"
	userKey    = "user"
	sessionKey = "session"
)

// authenticate admits a request with a valid session, from the Authorization header
// (API clients) or the session cookie (web pages, which must also present the CSRF
// token on every unsafe method). The user is reloaded on every request, so a disabled
// account or a changed role counts at once.
func (s *Server) authenticate(c *gin.Context) {
	if err := s.admit(c, false); err != nil {
		s.fail(c, err)
		return
	}
	c.Next()
}

// admit checks the request's session and sets its user, session and subject. Pages
// (cookieOnly) take no Authorization header.
func (s *Server) admit(c *gin.Context, cookieOnly bool) error {
	token, fromCookie := s.tokenOf(c)
	if cookieOnly {
		// Pages are for browsers: they take the session cookie only.
		token, fromCookie = "", true
		if v, err := c.Cookie(s.cookieName()); err == nil {
			token = v
		}
	}
	if token == "" {
		return errUnauthenticated
	}
	u, sess, err := s.Accounts.Authenticated(c.Request.Context(), token)
	if err != nil {
		return err
	}
	if fromCookie && !safeMethod(c.Request.Method) {
		got := c.GetHeader(csrfHeader)
		if got == "" {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
			got = c.PostForm("csrf_token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
			return errCSRF
		}
	}
	c.Set(userKey, u)
	c.Set(sessionKey, sess)
	c.Set(subjectKey, subjectFor(u))
	return nil
}

func subjectFor(u accounts.User) authz.Subject {
	return authz.Subject{UserID: u.ID, Org: u.Org, Role: string(u.Role)}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) tokenOf(c *gin.Context) (token string, fromCookie bool) {
	if h := c.GetHeader("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if v, err := c.Cookie(s.cookieName()); err == nil {
		return v, true
	}
	return "", false
}

func (s *Server) cookieName() string {
	if s.SecureCookies {
		return cookieName
	}
	return devCookieName
}

func subjectOf(c *gin.Context) (authz.Subject, bool) {
	v, ok := c.Get(subjectKey)
	if !ok {
		return authz.Subject{}, false
	}
	sub, ok := v.(authz.Subject)
	return sub, ok
}

func userOf(c *gin.Context) accounts.User {
	v, _ := c.Get(userKey)
	u, _ := v.(accounts.User)
	return u
}

func actorOf(c *gin.Context) cases.Actor {
	u := userOf(c)
	return cases.Actor{UserID: u.ID, Username: u.Username, Org: u.Org, Role: string(u.Role), Client: c.ClientIP()}
}
