package server

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/validation"
)

// accountRoutes are the forms of the signed-in person's own page besides GET /account
// and POST /account/password: her second factor and her sessions.
func (s *Server) accountRoutes(web *gin.RouterGroup) {
	web.POST("/account/second-factor/begin", s.page(s.beginSecondFactorPage))
	web.POST("/account/second-factor/confirm", s.page(s.confirmSecondFactorPage))
	web.POST("/account/sessions/end-others", s.page(s.endOtherSessionsPage))
}

// accountPage is what the own account page shows besides who she is.
type accountPage struct {
	// MustChange: someone else set her password; the page opens with changing it.
	MustChange bool
	Factor     factorState
	Sessions   []accounts.SessionInfo
}

// factorState is her second factor as the page shows it.
type factorState struct {
	Enrolled bool
	Required bool // her role needs one under the installation's rule
	Left     int  // recovery codes not used yet
	// RemovedBy is the catalogue id that says who can remove it when she loses her phone.
	RemovedBy string
	// QR and Secret are a new secret just begun, for the app: the QR code as a data:
	// address and the secret in groups of 4 for typing by hand.
	QR     template.URL
	Secret string
	// Pending shows the form for the app's first code: after beginning, or after a
	// wrong code.
	Pending  bool
	Recovery []string // the recovery codes, shown once, right after confirming
}

// FactorFirst puts the second factor before the rest of the page while it is being
// set up, or while her role needs one she has not got.
func (p *accountPage) FactorFirst() bool {
	f := p.Factor
	return f.Pending || f.Recovery != nil || (f.Required && !f.Enrolled)
}

// showAccount is the signed-in person's own page: who she is, her language, her
// password, her second factor and her sessions.
func (s *Server) showAccount(c *gin.Context) error {
	v := s.newView(c, "account.title")
	switch c.Query("done") {
	case "password":
		v.Notice = "account.done.password"
	case "sessions":
		v.Notice = "account.done.sessions"
	}
	return s.renderAccount(c, http.StatusOK, v, nil)
}

// renderAccount renders the account page with status code; edit adds what the request
// just did (a secret begun, the recovery codes).
func (s *Server) renderAccount(c *gin.Context, code int, v *view, edit func(*accountPage)) error {
	me := userOf(c)
	ctx := c.Request.Context()
	p := &accountPage{MustChange: me.MustChangePassword, Factor: factorState{
		Enrolled: me.SecondFactor, Required: s.Accounts.SecondFactorRequired(me.Role)}}
	if edit != nil {
		edit(p)
	}
	var err error
	if p.Factor.Enrolled {
		p.Factor.RemovedBy = factorRemover(me.Role)
		if p.Factor.Left, err = s.Accounts.RecoveryCodesLeft(ctx, me.ID); err != nil {
			return err
		}
	}
	if p.Sessions, err = s.Accounts.Sessions(ctx, me.ID, s.cookieToken(c)); err != nil {
		return err
	}
	v.Data = p
	s.render(c, code, "account", v)
	return nil
}

// changePassword takes the password form. The session of this page stays open and
// her others end; problems show beside their fields, and the typed passwords are never
// shown back. The confirmation is checked first: a typing slip costs no try.
func (s *Server) changePassword(c *gin.Context) error {
	v := s.newView(c, "account.title")
	next := c.PostForm("new_password")
	err := validation.Field("confirm_password", validation.PasswordMismatch)
	if next == c.PostForm("confirm_password") {
		err = s.opOwnPassword(c, c.PostForm("current_password"), next, s.cookieToken(c))
	}
	switch {
	case err == nil:
		redirect(c, "/account?done=password")
		return nil
	case errors.Is(err, accounts.ErrThrottled):
		code, _ := status(err)
		v.Errors = map[string]string{"current_password": v.T("account.problem.throttled")}
		return s.renderAccount(c, code, v, nil)
	}
	// The accounts store names the passwords "current" and "new".
	words := problemWords{field: renamed(map[string]string{"current": "current_password", "new": "new_password"})}
	if code, ok := s.rejected(v, err, words); ok {
		return s.renderAccount(c, code, v, nil)
	}
	return err
}

// beginSecondFactorPage starts setting up her authenticator app: the page shows the
// new secret as a QR code and as text, and asks for the app's first code. Nothing is
// logged yet: the account changes only when a code confirms it.
func (s *Server) beginSecondFactorPage(c *gin.Context) error {
	v := s.newView(c, "account.title")
	e, err := s.opBeginSecondFactor(c)
	if err != nil {
		return s.refuseFactor(c, v, err)
	}
	return s.renderAccount(c, http.StatusOK, v, func(p *accountPage) {
		p.Factor.Pending = true
		p.Factor.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.PNG))
		p.Factor.Secret = inFours(e.Secret)
	})
}

// confirmSecondFactorPage puts the app in use once its code is right, and shows the
// recovery codes this one time (201; no page is ever cached).
func (s *Server) confirmSecondFactorPage(c *gin.Context) error {
	v := s.newView(c, "account.title")
	recovery, err := s.opConfirmSecondFactor(c, strings.TrimSpace(c.PostForm("code")))
	if err != nil {
		return s.refuseFactor(c, v, err)
	}
	v.Notice = "account.done.second_factor"
	return s.renderAccount(c, http.StatusCreated, v, func(p *accountPage) {
		p.Factor.Enrolled, p.Factor.Recovery = true, recovery
	})
}

// refuseFactor shows a refused step of the second factor on the page: a wrong code
// beside its field (with the form again), an active one as the section's problem.
func (s *Server) refuseFactor(c *gin.Context, v *view, err error) error {
	if errors.Is(err, errFactorActive) {
		code, _ := status(err)
		v.Errors = map[string]string{"second_factor": v.T("account.problem.factor_active")}
		return s.renderAccount(c, code, v, nil)
	}
	if code, ok := s.rejected(v, err, problemWords{}); ok {
		return s.renderAccount(c, code, v, func(p *accountPage) { p.Factor.Pending = true })
	}
	return err
}

// endOtherSessionsPage signs her out everywhere but on this page's session.
func (s *Server) endOtherSessionsPage(c *gin.Context) error {
	if _, err := s.opEndOtherSessions(c, s.cookieToken(c)); err != nil {
		return err
	}
	redirect(c, "/account?done=sessions")
	return nil
}

// factorRemover names who removes a lost second factor: the coordinator for the
// accounts she manages, the server's command line for the others.
func factorRemover(r accounts.Role) string {
	switch r {
	case accounts.RoleOutreach, accounts.RoleLegal, accounts.RoleAdvocate:
		return "account.factor_remove"
	}
	return "account.factor_remove_shell"
}

// inFours groups a TOTP secret for typing by hand: "ABCD EFGH …".
func inFours(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
