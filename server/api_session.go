package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// login signs in and answers the session token for the Authorization header. It sets
// no cookie: the API never reads one, so a page of another site that makes a browser
// post here (the body must be JSON, which needs a preflight that is never granted)
// leaves that browser signed out. csrf_token is the session's token for pages, kept
// in the answer for older clients; the API itself needs none.
func (s *Server) login(c *gin.Context) error {
	var in loginInput
	if err := decode(c, &in); err != nil {
		return err
	}
	token, sess, u, grant, err := s.opLogin(c, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": sess.ExpiresAt, "csrf_token": sess.CSRF, "user": s.viewOf(u),
		"device": grant.Device})
	return nil
}

// logout ends the session of the bearer token; there is no cookie to clear.
func (s *Server) logout(c *gin.Context) error {
	if err := s.opLogout(c, bearerToken(c)); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) me(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"user": s.viewOf(userOf(c))})
	return nil
}
