package server

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/accounts"
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
}

func (s *Server) renderLogin(c *gin.Context, status int, v *view) {
	token := rand.Text()
	http.SetCookie(c.Writer, &http.Cookie{Name: preCookie, Value: token, Path: "/login", MaxAge: 3600,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	v.CSRF = token
	s.render(c, status, "login", v)
}

// signIn takes the sign-in form; on success it goes to the page asked for first.
func (s *Server) signIn(c *gin.Context) error {
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
	_, _, u, err := s.opLogin(c, loginInput{Username: c.PostForm("username"), Password: c.PostForm("password")})
	if err != nil {
		code, body := status(err)
		if code >= 500 {
			return err
		}
		v.Data = loginPage{Problem: "login.problem." + body.Code}
		s.renderLogin(c, code, v)
		return nil
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: preCookie, Path: "/login", MaxAge: -1,
		Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if supportedLang(u.Lang) {
		s.setLangCookie(c, u.Lang)
	}
	redirect(c, orDefault(v.Form.Get("next"), "/"))
	return nil
}

// safeNext keeps a post-sign-in destination only when it is a path of this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}

// signOut ends the session; the page it leads to clears the browser's drafts.
func (s *Server) signOut(c *gin.Context) error {
	if err := s.opLogout(c); err != nil {
		return err
	}
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
	add(v.Can("stats", "read"), tile{Href: "/stats", Icon: "chart", Title: "home.stats", Text: "home.stats_text"})
	add(v.Can("accounts", "manage"), tile{Href: "/accounts", Icon: "people", Title: "home.accounts", Text: "home.accounts_text"})
	add(v.Can("orgs", "manage"), tile{Href: "/orgs", Icon: "building", Title: "home.orgs", Text: "home.orgs_text"})
	add(v.Can("audit", "read"), tile{Href: "/audit", Icon: "shield", Title: "home.audit", Text: "home.audit_text"})
	v.Data = tiles
	s.render(c, http.StatusOK, "home", v)
	return nil
}
