package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

// The pages' assets are embedded in the binary: no CDN, nothing fetched from
// elsewhere. Every CSS file under static/css is served as one app.css and every
// script under static/js as one app.js (in file-name order), so a page costs one
// request of each; names carry a content hash, so browsers keep them for a year.
//
//go:embed static
var staticFS embed.FS

type asset struct {
	body  []byte
	ctype string
}

type assets struct {
	byName   map[string]asset  // hashed name → content
	urls     map[string]string // logical name ("app.css") → /static/<hashed name>
	worker   []byte            // the service worker, naming the assets it keeps
	manifest []byte            // the web app manifest
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]asset{}, urls: map[string]string{}}
	for _, bundle := range []struct{ name, glob, ctype string }{
		{"app.css", "static/css/*.css", "text/css; charset=utf-8"},
		{"app.js", "static/js/*.js", "text/javascript; charset=utf-8"},
	} {
		files, err := fs.Glob(staticFS, bundle.glob)
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		var buf bytes.Buffer
		for _, f := range files {
			b, err := staticFS.ReadFile(f)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&buf, "/* %s */\n", path.Base(f))
			buf.Write(b)
			buf.WriteByte('\n')
		}
		a.add(bundle.name, buf.Bytes(), bundle.ctype)
	}
	others, err := fs.Glob(staticFS, "static/*.*")
	if err != nil {
		return nil, err
	}
	for _, f := range others {
		b, err := staticFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a.add(path.Base(f), b, contentType(f))
	}
	return a, a.addWorker()
}

// addWorker writes the asset addresses and their version into the service worker,
// so that a new build replaces what phones keep.
func (a *assets) addWorker() error {
	src, err := staticFS.ReadFile("static/sw/sw.js")
	if err != nil {
		return err
	}
	urls := make([]string, 0, len(a.urls))
	for _, u := range a.urls {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	list, err := json.Marshal(urls)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(list)
	a.worker = bytes.Replace(bytes.Replace(src, []byte("__ASSETS__"), list, 1),
		[]byte("__VERSION__"), []byte(hex.EncodeToString(sum[:6])), 1)
	a.manifest, err = json.Marshal(map[string]any{
		"name": "Registro", "short_name": "Registro", "lang": "es", "start_url": "/", "scope": "/",
		"display": "standalone", "background_color": "#ffffff", "theme_color": "#6b2c91",
		"icons": []map[string]string{{"src": a.urls["icon.svg"], "sizes": "any", "type": "image/svg+xml", "purpose": "any"}},
	})
	return err
}

// serveWorker serves the service worker from the root, so that it may keep the pages
// of the whole site; browsers check it on every visit.
func (s *Server) serveWorker(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", s.assets.worker)
}

func (s *Server) serveManifest(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/manifest+json", s.assets.manifest)
}

// showOffline is the page the service worker shows for any page asked for without
// signal; it is kept on the phone, so it shows nobody's data: the list of what waits
// is filled in by the page's script from the phone's own storage.
func (s *Server) showOffline(c *gin.Context) {
	v := s.newView(c, "offline.title")
	s.render(c, http.StatusOK, "offline", v)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".webmanifest":
		return "application/manifest+json"
	}
	return "application/octet-stream"
}

func (a *assets) add(name string, body []byte, ctype string) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
	a.byName[hashed] = asset{body: body, ctype: ctype}
	a.urls[name] = "/static/" + hashed
}

// url returns the address of a logical asset name; an unknown name is a template
// defect, shown as an empty link that the page tests catch.
func (a *assets) url(name string) string { return a.urls[name] }

func (s *Server) serveAsset(c *gin.Context) {
	as, ok := s.assets.byName[c.Param("name")]
	if !ok {
		s.failPage(c, errNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, as.ctype, as.body)
}
