package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"registro/accounts"
)

// The gate of an account that is not ready: its password was set by someone else (a
// coordinator, an admin, the server's shell) and must be changed by its owner, or its
// role needs a second factor not set up yet. Until then its session reaches only what
// it takes to get ready, so that whoever knew the password given cannot use the
// account for anything else, and a role that needs a second factor never works
// without one.

// passwordRoutes are the routes (method and Gin pattern) an account that must change its
// password may use.
var passwordRoutes = map[string]bool{
	"GET /api/v1/me":           true,
	"POST /api/v1/logout":      true,
	"POST /api/v1/me/password": true,
	"GET /account":             true,
	"POST /account/password":   true,
	"POST /logout":             true,
	"POST /lang":               true,
}

// enrolRoutes are the further routes an account that must set up its second factor
// may use, once its password is its own.
var enrolRoutes = map[string]bool{
	"POST /api/v1/me/second-factor":         true,
	"POST /api/v1/me/second-factor/confirm": true,
	"POST /account/second-factor/begin":     true,
	"POST /account/second-factor/confirm":   true,
	"GET /api/v1/me/sessions":               true,
	"POST /api/v1/me/sessions/end-others":   true,
	"POST /account/sessions/end-others":     true,
}

// gate returns errMustChangePassword or errMustEnrol when u may not use this route yet.
func (s *Server) gate(c *gin.Context, u accounts.User) error {
	route := c.Request.Method + " " + c.FullPath()
	switch {
	case u.MustChangePassword && !passwordRoutes[route]:
		return errMustChangePassword
	case !u.MustChangePassword && s.Accounts.MustEnrolSecondFactor(u) && !passwordRoutes[route] && !enrolRoutes[route]:
		return errMustEnrol
	}
	return nil
}

// gatedPage sends a browser whose account is not ready to its own page, where the
// first thing it shows is what is missing.
func gatedPage(c *gin.Context, code string) bool {
	if code != "password_change_required" && code != "second_factor_enrolment_required" {
		return false
	}
	c.Redirect(http.StatusSeeOther, "/account")
	c.Abort()
	return true
}
