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

// authenticate admits an API request with a valid session in its Authorization
// header. The API never reads the browser's cookie: a page of another site can make a
// browser send its cookie, never an Authorization header. An unsafe request with a
// body must send JSON (jsonBody). The user is reloaded on every request, so a disabled
// account or a changed role counts at once.
func (s *Server) authenticate(c *gin.Context) {
	err := s.admit(c, false)
	if err == nil && !safeMethod(c.Request.Method) {
		err = jsonBody(c)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Next()
}

// admit checks the request's session and sets its user, session and subject. The API
// takes the bearer token only (errUnauthenticated without it). Pages take the session
// cookie only, and on unsafe methods first refuse a request from another site
// (errCrossSite), then one without the session's CSRF token (errCSRF).
func (s *Server) admit(c *gin.Context, page bool) error {
	token := bearerToken(c)
	if page {
		if err := s.sameOrigin(c); err != nil {
			return err
		}
		token = s.cookieToken(c)
	}
	if token == "" {
		return errUnauthenticated
	}
	u, sess, err := s.Accounts.Authenticated(c.Request.Context(), token)
	if err != nil {
		return err
	}
	if page && !safeMethod(c.Request.Method) {
		got := c.GetHeader(csrfHeader)
		if got == "" && isMultipart(c) {
			got = multipartToken(c)
		} else if got == "" {
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
	return s.gate(c, u)
}

func subjectFor(u accounts.User) authz.Subject {
	return authz.Subject{UserID: u.ID, Org: u.Org, Role: string(u.Role)}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// bearerToken is the session token of an API request, "" without an Authorization
// header of the form "Bearer <token>".
func bearerToken(c *gin.Context) string {
	t, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(t)
}

// cookieToken is the session token of a page request, "" without the session cookie.
func (s *Server) cookieToken(c *gin.Context) string {
	v, err := c.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return v
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

// sessionOf is the session that admitted the request, and whether there is one.
func sessionOf(c *gin.Context) (accounts.Session, bool) {
	v, _ := c.Get(sessionKey)
	sess, ok := v.(accounts.Session)
	return sess, ok
}

func actorOf(c *gin.Context) cases.Actor {
	u := userOf(c)
	return cases.Actor{UserID: u.ID, Username: u.Username, Org: u.Org, Role: string(u.Role), Client: c.ClientIP()}
}
