package server

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// sameOrigin refuses (errCrossSite) an unsafe page request that a browser says came
// from another site: a form on someone else's page that posts to the sign-in form
// (login CSRF), the sign-out or any other form. A browser that sends Fetch Metadata is
// believed on it: same-origin, or none for what the person did herself (a bookmark,
// the address bar). Otherwise the Origin it sends must be this server's own. A request
// with neither header comes from an old browser or from a program, not from a page of
// another site in a current browser; the session's CSRF token still guards every
// signed-in form.
func (s *Server) sameOrigin(c *gin.Context) error {
	if safeMethod(c.Request.Method) {
		return nil
	}
	if site := c.GetHeader("Sec-Fetch-Site"); site != "" {
		if site == "same-origin" || site == "none" {
			return nil
		}
		return errCrossSite
	}
	if origin := c.GetHeader("Origin"); origin != "" && !strings.EqualFold(origin, s.ownOrigin(c)) {
		return errCrossSite
	}
	return nil
}

// ownOrigin is this server's origin as the browser reached it: the scheme (https when
// overTLS says so, through a trusted proxy too) and the Host the request was sent to.
// A reverse proxy in front must pass the browser's Host on.
func (s *Server) ownOrigin(c *gin.Context) string {
	scheme := "http"
	if s.overTLS(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}
