package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-contrib/gzip"
	"github.com/gin-gonic/gin"
)

const requestIDKey = "request_id"

func (s *Server) requestID(c *gin.Context) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// logRequests logs one line per request: the route pattern (never the raw path, which
// can hold case ids and query filters), status, duration and the acting user's id.
// Bodies, tokens and query strings are never logged.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []any{
		slog.String("request_id", requestID(c)),
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
	}
	if sub, ok := subjectOf(c); ok {
		attrs = append(attrs, slog.String("user_id", sub.UserID))
	}
	s.log.InfoContext(c.Request.Context(), "request", attrs...)
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.fail(c, fmt.Errorf("panic: %v", r))
		}
	}()
	c.Next()
}

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	if s.overTLS(c) {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 while the database answers and, on the embedded store, its disk
// keeps the configured free space (database.Options.MinFree); 503 otherwise, so that a
// load balancer or supervisor stops sending work before writes start failing.
func (s *Server) readyz(c *gin.Context) {
	if err := s.DB.Ping(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.DB.CheckSpace(); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// contentSecurityPolicy allows only Registro's own scripts, styles and images: no
// inline script, no third party, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'"

// compress gzips answers for clients that accept it: pages, assets and JSON shrink
// five- to tenfold on the slow connections the outreach workers have.
func compress() gin.HandlerFunc {
	return gzip.Gzip(gzip.DefaultCompression)
}

// overTLS reports whether the browser reached Registro over HTTPS: directly, or
// through one of the trusted reverse proxies that terminates TLS and says so in
// X-Forwarded-Proto. Nobody else's header counts.
func (s *Server) overTLS(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	if c.GetHeader("X-Forwarded-Proto") != "https" || len(s.proxies) == 0 {
		return false
	}
	ip := net.ParseIP(c.RemoteIP())
	for _, n := range s.proxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// parseProxies reads the trusted proxies (addresses or CIDRs) as networks.
func parseProxies(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			}
			continue
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}
