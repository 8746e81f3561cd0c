package server

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/accounts/changes"
)

// preCookie carries the sign-in form's CSRF token (a double-submit token: there is no
// session yet to hold one), so another site cannot sign a browser into an account.
const preCookie = "registro_pre"

// showLogin shows the sign-in form; ?lang=en|es switches the language of a browser
// that is not signed in.
func (s *Server) showLogin(c *gin.Context) error {
	if l := c.Query("lang"); supportedLang(l) {
		s.setLangCookie(c, l)
		c.Set(langOverride, l)
	}
	v := s.newView(c, "login.title")
	v.Form.Set("next", safeNext(c.Query("next")))
	if c.Query("bye") != "" {
		v.Notice = "login.signed_out"
		v.Data = loginPage{ClearDrafts: true}
	}
	s.renderLogin(c, http.StatusOK, v)
	return nil
}

type loginPage struct {
	ClearDrafts bool
	Problem     string // catalogue id
	NeedCode    bool   // the password was right and the account has a second factor
}

// deviceCookie keeps the device token a sign-in gave this browser: with it, the owner
// gets in while strangers who hammer her username from elsewhere are held back.
func (s *Server) deviceCookie() string {
	if s.SecureCookies {
		return "__Host-registro-device"
	}
	return "registro-device"
}

func (s *Server) renderLogin(c *gin.Context, status int, v *view) {
	token := rand.Text()
	http.SetCookie(c.Writer, &http.Cookie{Name: preCookie, Value: token, Path: "/login", MaxAge: 3600,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	v.CSRF = token
	s.render(c, status, "login", v)
}

// signIn takes the sign-in form; on success it sets the session cookie (the only
// place that does) and goes to the page asked for first. A form posted from another
// site is refused before anything else (sameOrigin): signing a browser into someone
// else's account would hand what its owner records next to that account.
func (s *Server) signIn(c *gin.Context) error {
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	v := s.newView(c, "login.title")
	v.Form.Set("username", c.PostForm("username"))
	v.Form.Set("next", safeNext(c.PostForm("next")))
	pre, _ := c.Cookie(preCookie)
	if pre == "" || subtle.ConstantTimeCompare([]byte(pre), []byte(c.PostForm("csrf_token"))) != 1 {
		v.Data = loginPage{Problem: "login.expired_form"}
		code, _ := status(errCSRF)
		s.renderLogin(c, code, v)
		return nil
	}
	device, _ := c.Cookie(s.deviceCookie())
	token, sess, u, grant, err := s.opLogin(c, loginInput{Username: c.PostForm("username"), Password: c.PostForm("password"),
		Code: c.PostForm("code"), Device: device})
	if err != nil {
		code, body := status(err)
		if code >= 500 {
			return err
		}
		v.Data = loginPage{Problem: "login.problem." + body.Code,
			NeedCode: errors.Is(err, accounts.ErrSecondFactorRequired) || c.PostForm("code") != ""}
		if th := (*accounts.ThrottledError)(nil); errors.As(err, &th) && th.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(int(th.RetryAfter.Seconds()+0.999)))
		}
		s.renderLogin(c, code, v)
		return nil
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	if grant.Device != "" {
		http.SetCookie(c.Writer, &http.Cookie{Name: s.deviceCookie(), Value: grant.Device, Path: "/", MaxAge: 90 * 24 * 3600,
			Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: preCookie, Path: "/login", MaxAge: -1,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if supportedLang(u.Lang) {
		s.setLangCookie(c, u.Lang)
	}
	// Someone else's password, or a role's second factor not yet set up: her own
	// page first (every other page sends her there until it is done).
	if u.MustChangePassword || s.Accounts.MustEnrolSecondFactor(u) {
		redirect(c, "/account")
		return nil
	}
	redirect(c, orDefault(v.Form.Get("next"), "/"))
	return nil
}

// signOut ends the session of the cookie and clears it; the page it leads to clears
// the browser's drafts.
func (s *Server) signOut(c *gin.Context) error {
	if err := s.opLogout(c, s.cookieToken(c)); err != nil {
		return err
	}
	s.setSessionCookie(c, "", time.Time{})
	s.dropPhoneKeys(c)
	redirect(c, "/login?bye=1")
	return nil
}

// switchLang remembers the signed-in user's language in her account.
func (s *Server) switchLang(c *gin.Context) error {
	l := c.PostForm("lang")
	if !supportedLang(l) {
		return &malformed{"lang: es or en"}
	}
	u := userOf(c)
	if _, err := s.Accounts.UpdateUser(c.Request.Context(), u.ID, accounts.UserPatch{Lang: &l}); err != nil {
		return err
	}
	s.setLangCookie(c, l)
	redirect(c, orDefault(safeNext(c.PostForm("back")), "/"))
	return nil
}

func (s *Server) setLangCookie(c *gin.Context, l string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// langOverride marks a language chosen in this very request, before its cookie exists.
const langOverride = "lang_override"

// tile is one large button of the home page.
type tile struct {
	Href, Icon, Title, Text string
	Primary                 bool
}

// showHome is the start page: large buttons for what the role does.
func (s *Server) showHome(c *gin.Context) error {
	v := s.newView(c, "home.title")
	var tiles []tile
	add := func(ok bool, t tile) {
		if ok {
			tiles = append(tiles, t)
		}
	}
	add(v.Can("case", "create"), tile{Href: "/cases/new", Icon: "plus", Title: "home.record", Text: "home.record_text", Primary: true})
	switch accounts.Role(v.Role()) {
	case accounts.RoleLegal:
		add(v.Can("case", "read"), tile{Href: "/cases", Icon: "folder", Title: "home.shared", Text: "home.shared_text"})
	case accounts.RoleOutreach:
		add(v.Can("case", "read"), tile{Href: "/cases", Icon: "folder", Title: "home.my_cases", Text: "home.my_cases_text"})
	default:
		add(v.Can("case", "read"), tile{Href: "/cases", Icon: "folder", Title: "home.org_cases", Text: "home.org_cases_text"})
	}
	add(v.Can("alert", "read"), tile{Href: "/alerts", Icon: "alert", Title: "home.alerts", Text: "home.alerts_text"})
	add(v.Can("stats", "read"), tile{Href: "/stats", Icon: "chart", Title: "home.stats", Text: "home.stats_text"})
	add(v.Can("accounts", "manage"), tile{Href: "/accounts", Icon: "people", Title: "home.accounts", Text: "home.accounts_text"})
	add(v.Can("orgs", "manage"), tile{Href: "/orgs", Icon: "building", Title: "home.orgs", Text: "home.orgs_text"})
	add(v.Can("audit", "read"), tile{Href: "/audit", Icon: "shield", Title: "home.audit", Text: "home.audit_text"})
	data := homePage{Tiles: tiles}
	if v.Can("alert", "read") {
		data.Alerts = &alertsPage{}
		if err := s.currentAlerts(c, v, data.Alerts); err != nil {
			return err
		}
	}
	// A coordinator sees her organization's account changes, and above them the ones
	// made from outside it (an admin, the server's shell) that she has not seen yet.
	if me := userOf(c); me.Role == accounts.RoleCoordinator {
		var err error
		if data.Notices, err = s.Changes.Unseen(c.Request.Context(), me.Org, me.ID); err != nil {
			return err
		}
		if data.Changes, err = s.Changes.Recent(c.Request.Context(), me.Org, 5); err != nil {
			return err
		}
		data.ShowChanges = true
	}
	v.Data = data
	s.render(c, http.StatusOK, "home", v)
	return nil
}

// homePage is the data of the home page.
type homePage struct {
	Tiles       []tile
	Notices     []changes.Change // account changes from outside the organization not yet seen
	Changes     []changes.Change // the organization's latest account changes
	ShowChanges bool
	// Alerts are the current community alerts, for the roles that read them.
	Alerts *alertsPage
}

// AlertList is the alerts the page shows.
func (h homePage) AlertList() *alertsPage { return h.Alerts }

// seeNotices records that the coordinator has seen the notices shown to her.
func (s *Server) seeNotices(c *gin.Context) error {
	me := userOf(c)
	if err := s.Changes.MarkSeen(c.Request.Context(), me.ID, s.Now()); err != nil {
		return err
	}
	redirect(c, "/")
	return nil
}
