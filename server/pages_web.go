package server

import (
	"bytes"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/alerts"
	"registro/validation"
	"registro/vocabulary"
)

//go:embed templates
var templateFS embed.FS

// limaTime is Peru's time (UTC−5, no daylight saving), in which pages show times.
var limaTime = time.FixedZone("PET", -5*60*60)

// pages holds one parsed template set per page: the layout, the shared partials and
// the page's own file, which defines "content".
type pages map[string]*template.Template

func loadPages(a *assets) (pages, error) {
	funcs := template.FuncMap{
		"asset": a.url,
		"has":   func(list []string, v string) bool { return slices.Contains(list, v) },
		// fields splits a space-separated list of codes, e.g. an account change's "what".
		"fields": strings.Fields,
		// changeOf pairs an account change with the page's view, for the partial that
		// writes one line of it.
		"changeOf": func(v *view, c changes.Change) struct {
			V *view
			C changes.Change
		} {
			return struct {
				V *view
				C changes.Change
			}{v, c}
		},
	}
	// alertOf pairs an alert with the page's view for the partial that shows it; link
	// adds a link to the alert's own page.
	funcs["alertOf"] = func(v *view, a alertCard, link bool) alertCardData {
		return alertCardData{V: v, A: a, Link: link, Fields: alerts.DescriptionFields}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials/*.html", f)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		p[name] = t
	}
	return p, nil
}

// view is what every page template receives. Its methods give the templates the
// catalogue and the vocabulary in the reader's language.
type view struct {
	Lang   string
	User   *accounts.User // nil when signed out
	CSRF   string
	Title  string // catalogue id of the page title
	Path   string
	Form   url.Values        // values to show again after a rejected form
	Errors map[string]string // field → problem, translated
	Notice string            // catalogue id of a one-line confirmation
	// Refresh reloads the page after so many seconds (a running job's progress), 0 never.
	Refresh int
	Data    any
	s       *Server
}

// T returns catalogue text id in the page's language; args are name/value pairs.
func (v *view) T(id string, args ...any) string { return v.s.cat.text(v.Lang, id, args...) }

// Label returns the label of a vocabulary code in the page's language.
func (v *view) Label(list, code string) string {
	if code == "" {
		return ""
	}
	return v.s.Cases.Vocabulary().Label(vocabulary.List(list), code, v.Lang)
}

// Labels joins the labels of several codes.
func (v *view) Labels(list string, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = v.Label(list, c)
	}
	return strings.Join(out, ", ")
}

// Terms returns a vocabulary list.
func (v *view) Terms(list string) []vocabulary.Term {
	return v.s.Cases.Vocabulary().Terms(vocabulary.List(list))
}

// Val is a field's value as the form last sent it.
func (v *view) Val(field string) string { return v.Form.Get(field) }

// NewKey is a fresh idempotency key for a form that may be sent more than once.
func (v *view) NewKey() string { return rand.Text() }

// Vals are a multi-valued field's values as the form last sent them.
func (v *view) Vals(field string) []string { return v.Form[field] }

// Err is the problem with a field, or "".
func (v *view) Err(field string) string { return v.Errors[field] }

// Date shows a time as a date in Lima; Time with the hour.
func (v *view) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(limaTime).Format("2006-01-02")
}

func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(limaTime).Format("2006-01-02 15:04")
}

// Icon is an icon of the embedded sprite, hidden from screen readers: the words
// beside it say the same.
func (v *view) Icon(name string) template.HTML {
	return template.HTML(`<svg class="icon" aria-hidden="true" focusable="false"><use href="` +
		template.HTMLEscapeString(v.s.assets.url("icons.svg")+"#"+name) + `"></use></svg>`)
}

// Role is the signed-in user's role, "" when signed out.
func (v *view) Role() string {
	if v.User == nil {
		return ""
	}
	return string(v.User.Role)
}

// Can reports whether the signed-in user's role may do action on resource in her
// organization in any scope: the navigation shows only what she may use.
func (v *view) Can(resource, action string) bool {
	if v.User == nil {
		return false
	}
	sub := subjectFor(*v.User)
	scopes, err := v.s.Authz.Scopes(sub, resource, action)
	return err == nil && len(scopes) > 0
}

// PhoneKeysCookie names the cookie of the day keys, for the page's scripts.
func (v *view) PhoneKeysCookie() string { return v.s.phoneKeysCookie() }

// PhoneKeepHours is how long a phone keeps unsent work.
func (v *view) PhoneKeepHours() int { return int(v.s.PhoneKeep.Hours()) }

// newView starts the data of a page for the request.
func (s *Server) newView(c *gin.Context, title string) *view {
	v := &view{Lang: s.pageLang(c), Title: title, Path: c.Request.URL.Path, s: s, Form: url.Values{}}
	if u, ok := c.Get(userKey); ok {
		if uu, ok := u.(accounts.User); ok && uu.ID != "" {
			v.User = &uu
		}
	}
	if sess, ok := sessionOf(c); ok {
		v.CSRF = sess.CSRF
	}
	return v
}

// pageLang is the language of the page: the account's choice when signed in, else
// the lang cookie, else Spanish.
func (s *Server) pageLang(c *gin.Context) string {
	if l := c.GetString(langOverride); l != "" {
		return l
	}
	if v, ok := c.Get(userKey); ok {
		if u, ok := v.(accounts.User); ok && supportedLang(u.Lang) {
			return u.Lang
		}
	}
	if l, err := c.Cookie(langCookie); err == nil && supportedLang(l) {
		return l
	}
	return "es"
}

const langCookie = "registro_lang"

// render writes a page. The page is rendered into a buffer first, so a template
// failure becomes a clean error page rather than half a page.
func (s *Server) render(c *gin.Context, code int, name string, v *view) {
	t, ok := s.pages[name]
	if !ok {
		s.failPage(c, fmt.Errorf("no page template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		// Not the error page: it is rendered the same way and could fail again.
		err = fmt.Errorf("render page %s: %w", name, err)
		code, body := status(err)
		s.logFailure(c, code, err)
		c.Data(code, "text/plain; charset=utf-8", []byte(body.Message))
		c.Abort()
		return
	}
	s.handPhoneKeys(c)
	c.Data(code, "text/html; charset=utf-8", buf.Bytes())
}

// page adapts a page handler that returns an error to Gin.
func (s *Server) page(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.failPage(c, err)
		}
	}
}

// failPage answers an error as a page in the reader's language, with the same status
// as the API would give. A signed-out reader asking for a page is sent to sign in.
func (s *Server) failPage(c *gin.Context, err error) {
	code, body := status(err)
	s.logFailure(c, code, err)
	if gatedPage(c, body.Code) {
		return
	}
	if code == http.StatusUnauthorized && body.Code == "unauthenticated" && safeMethod(c.Request.Method) {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	v := s.newView(c, "error.title")
	v.Errors = s.problems(v.Lang, err)
	v.Data = errorPage{Status: code, Code: body.Code, Next: safeNext(c.Request.URL.Path)}
	s.render(c, code, "error", v)
	c.Abort()
}

type errorPage struct {
	Status int
	Code   string
	Next   string // where signing in again leads: the page whose form was refused
}

// problems translates the fields of a validation error for a page, nil otherwise.
func (s *Server) problems(lang string, err error) map[string]string {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return nil
	}
	return s.wordProblems(lang, ve, problemWords{})
}

// problemWords says how a page words the problems of its form. field gives the form's
// name for a field of the domain ("" keeps the domain's); word gives the text of a
// problem at a form field ("" lets the catalogue word it).
type problemWords struct {
	field func(domain string) string
	word  func(lang, field string, p validation.Problem) string
}

// renamed maps some domain fields to the form's and keeps the others.
func renamed(names map[string]string) func(string) string {
	return func(f string) string { return names[f] }
}

// rejected puts the problems of a refused form on the page, to show the form again,
// and returns the status the error mapper gives err. ok is false when err is not
// about what the form holds: the caller answers it with the error page. A duplicate
// is a problem of the form's field "duplicate" (named by words.field).
func (s *Server) rejected(v *view, err error, words problemWords) (code int, ok bool) {
	var ve *validation.Error
	switch {
	case errors.Is(err, accounts.ErrDuplicate):
		ve = &validation.Error{}
		ve.Add("duplicate", validation.AlreadyTaken)
	case !errors.As(err, &ve):
		return 0, false
	}
	v.Errors = s.wordProblems(v.Lang, ve, words)
	code, _ = status(err)
	return code, true
}

// wordProblems words every problem of ve at its form field; two problems landing on
// one field are both said.
func (s *Server) wordProblems(lang string, ve *validation.Error, words problemWords) map[string]string {
	out := map[string]string{}
	for f, p := range ve.Fields {
		if words.field != nil {
			if name := words.field(f); name != "" {
				f = name
			}
		}
		text := ""
		if words.word != nil {
			text = words.word(lang, f, p)
		}
		if text == "" {
			text = s.cat.problem(lang, p)
		}
		if prev, dup := out[f]; dup && prev != text {
			text = prev + " " + text
		}
		out[f] = text
	}
	return out
}

// webAuthenticate admits page requests with a valid session cookie; unsafe methods
// must carry the session's CSRF token in the form (or header).
func (s *Server) webAuthenticate(c *gin.Context) {
	if err := s.admit(c, true); err != nil {
		s.failPage(c, err)
		return
	}
	c.Next()
}

// redirect answers a form post with 303 See Other, so a reload does not post again.
func redirect(c *gin.Context, to string) { c.Redirect(http.StatusSeeOther, to) }
