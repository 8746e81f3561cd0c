// Package server is Registro's HTTP layer: routes, middleware, the one error mapper,
// and handlers that parse, authorize, call the domain and render. Only this package
// knows Gin.
package server

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/accounts/changes"
	"registro/alerts"
	"registro/audit"
	"registro/authz"
	"registro/cases"
	"registro/database"
	"registro/stats/releases"
	"registro/vocabulary"
)

// Deps are what the server needs, wired in cmd/registro.
type Deps struct {
	Logger   *slog.Logger
	DB       *database.DB
	Cases    *cases.Store
	Accounts *accounts.Store
	Authz    *authz.Authorizer
	Audit    *audit.Log
	Releases *releases.Store // the statistics releases advocates see
	// Alerts are the organizations' community alerts; nil keeps them in DB, checked
	// against the cases' vocabulary.
	Alerts *alerts.Store
	// Changes is the organizations' short record of account changes; nil keeps it in
	// DB's "account_changes".
	Changes *changes.Store
	// SecureCookies marks session cookies Secure with the __Host- prefix; off only for
	// plain-HTTP development on localhost.
	SecureCookies bool
	// LoginLimit is how many sign-in attempts one client address may make per minute.
	LoginLimit int
	// TrustedProxies are the reverse proxies (IP addresses or CIDRs) whose
	// X-Forwarded-For and X-Real-IP headers name the client. Nil trusts none: the
	// client address is the connection's, which no header can forge.
	TrustedProxies []string
	// Synonyms turn the words of an imported registry into vocabulary codes; nil means
	// the built-in table.
	Synonyms *vocabulary.Synonyms
	// PhoneKey (32 bytes, from the key file) roots the keys that seal what a phone keeps
	// of unsent work; nil draws one for this process, so that what phones kept cannot be
	// read after a restart.
	PhoneKey []byte
	// PhoneKeep is how long a phone keeps unsent work before destroying it; 0 is 72 h.
	PhoneKeep time.Duration
	// TempDir holds the sealed uploads and reports of imports; "" is the system's.
	TempDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server holds the dependencies of the handlers.
type Server struct {
	Deps
	log     *slog.Logger
	limiter *limiter
	cat     *catalogue
	pages   pages
	assets  *assets
	proxies []*net.IPNet // the trusted reverse proxies, for X-Forwarded-Proto
	imports importJobs   // the page's imports running or recent on this server
}

// New returns the HTTP handler of the API and the web pages. It fails only when the
// embedded templates, texts or assets are defective, which the tests catch.
func New(d Deps) (http.Handler, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Changes == nil && d.DB != nil {
		d.Changes = changes.NewStore(d.DB.Database, d.Now)
	}
	if d.Alerts == nil && d.DB != nil && d.Cases != nil {
		d.Alerts = alerts.NewStore(d.DB.Database, d.Cases.Vocabulary(), d.Now)
	}
	if d.LoginLimit == 0 {
		d.LoginLimit = 10
	}
	if len(d.PhoneKey) == 0 {
		d.PhoneKey = make([]byte, 32)
		_, _ = rand.Read(d.PhoneKey)
	}
	if d.PhoneKeep <= 0 {
		d.PhoneKeep = 72 * time.Hour
	}
	if d.Synonyms == nil && d.Cases != nil {
		// The embedded table is checked by the tests; an error here is a build defect.
		syn, err := vocabulary.BaselineSynonyms(d.Cases.Vocabulary())
		if err != nil {
			return nil, fmt.Errorf("built-in synonyms: %w", err)
		}
		d.Synonyms = syn
	}
	s := &Server{Deps: d, log: d.Logger, limiter: newLimiter(d.LoginLimit, time.Minute, d.Now),
		proxies: parseProxies(d.TrustedProxies)}
	var err error
	missing := func(lang, id string) {
		d.Logger.Error("catalogue text missing", slog.String("lang", lang), slog.String("id", id))
	}
	if s.cat, err = newCatalogue(missing); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(s.assets); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	r.HandleMethodNotAllowed = true
	// Gin trusts forwarding headers from anyone by default, which would let a client
	// pick the address that the sign-in limit and the access log see.
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Logger.Error("invalid trusted proxies: trusting none", slog.String("error", err.Error()))
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(s.requestID, s.logRequests, s.recover, s.securityHeaders, compress())
	s.routes(r)
	r.NoRoute(func(c *gin.Context) { s.failFor(c, errNotFound) })
	r.NoMethod(func(c *gin.Context) { s.failFor(c, errMethod) })
	return r, nil
}

// failFor answers an unrouted request as the API does under /api/ and as a page
// elsewhere.
func (s *Server) failFor(c *gin.Context, err error) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		s.fail(c, err)
		return
	}
	s.failPage(c, err)
}
