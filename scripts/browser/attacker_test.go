package browser

import (
	"context"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// attackPage is the attacker's page: it posts its one form as soon as it has loaded,
// as a page a worker is lured to would.
var attackPage = template.Must(template.New("attack").Parse(`<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Oferta</title><link rel="icon" href="data:,"></head>
<body><h1>Cargando…</h1>
<form method="post" action="{{.Action}}"{{if .Enctype}} enctype="{{.Enctype}}"{{end}}>
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
</form>
<script>addEventListener("load", function () { setTimeout(function () { document.forms[0].submit(); }, 0); });</script>
</body></html>`))

type attackForm struct {
	Action, Enctype string
	Fields          []struct{ Name, Value string }
}

// attackerSite serves the attacker's pages on localhost, another site than
// Registro's 127.0.0.1 for the browser, and returns its base address.
func attackerSite(t *testing.T, forms map[string]attackForm) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := forms[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNoContent) // the favicon, and anything else
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := attackPage.Execute(w, f); err != nil {
			t.Errorf("attack page: %v", err)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	return "http://localhost:" + port
}

// plantCookie gives the browser the sign-in form's cookie for Registro with the
// token the attacker holds, SameSite=None so that it goes with a cross-site post:
// what a page of a sibling domain could set, which a page of another site cannot.
func plantCookie(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	secure := true
	if _, err := chromedp.Call(cctx, network.SetCookie, network.SetCookieParams{
		Name: "registro_pre", Value: token, URL: base + "/login", Path: "/login",
		Secure: &secure, SameSite: network.CookieSameSiteNone,
	}); err != nil {
		t.Fatalf("plant the sign-in form's cookie: %v", err)
	}
	for _, c := range cookies(t, ctx) {
		if c.Name == "registro_pre" && c.Value == token {
			return
		}
	}
	t.Fatal("the planted sign-in form cookie is not in the browser: attack (b) would test nothing")
}

// cookies returns every cookie the browser holds.
func cookies(t *testing.T, ctx context.Context) []*network.Cookie {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(cctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatalf("read the browser's cookies: %v", err)
	}
	return res.Cookies
}

// documents records the status of every page (HTML document or not) the tab loads.
type documents struct {
	mu     sync.Mutex
	status map[string]int64 // URL → status of its latest load
}

func watchDocuments(t *testing.T, ctx context.Context) *documents {
	t.Helper()
	d := &documents{status: map[string]int64{}}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Type == network.ResourceTypeDocument {
			d.mu.Lock()
			d.status[e.Response.URL] = e.Response.Status
			d.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return d
}

// land opens the attacker's page, lets its form go, and waits until the tab shows
// Registro's answer at target; it returns that answer's status. The tab is not
// weighed or checked as Registro's pages are: a page that is no HTML (the API's JSON
// answer) has the browser fetch /favicon.ico, a request the browser may leave
// unreported when the tab moves on.
func (d *documents) land(t *testing.T, tb *tab, page, target string) int {
	t.Helper()
	d.mu.Lock()
	delete(d.status, target)
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("open the attacker's page %s: %v", page, err)
	}
	deadline := time.Now().Add(stepTimeout)
	for {
		d.mu.Lock()
		st, ok := d.status[target]
		d.mu.Unlock()
		if ok && tb.location() == target {
			if ready := eval[string](t, tb, `document.readyState`); ready == "complete" {
				return int(st)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attacker's page %s did not land on %s within %s (tab shows %s)", page, target, stepTimeout, tb.location())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
