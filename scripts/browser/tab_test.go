package browser

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds every single browser action: generous for a loaded 2-core
// machine, short enough that a missing element fails the test in seconds, not at the
// package timeout.
const stepTimeout = 20 * time.Second

// tab is the phone's browser tab on the running Registro.
type tab struct {
	ctx   context.Context
	base  string
	shots string // directory for screenshots, "" for none
	w     *watcher
	pages []pageReport
}

// pageReport is what was measured on one page load.
type pageReport struct {
	URL   string
	Bytes float64
	Reqs  int
}

func newTab(t *testing.T, ctx context.Context, base string) *tab {
	tb := &tab{ctx: ctx, base: base, shots: os.Getenv("REGISTRO_SCREENSHOTS"), w: newWatcher()}
	if err := chromedp.Listen(ctx, tb.w.handle); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	if tb.shots != "" {
		if err := os.MkdirAll(tb.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// do runs actions that load no new page.
func (tb *tab) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s on %s: %v", what, tb.location(), err)
	}
}

// open loads a page by its address and checks it; a status other than want fails
// the test (a wanted error status is no browser-log problem).
func (tb *tab) open(t *testing.T, path string, want int) {
	t.Helper()
	if want >= 400 {
		tb.w.expect(tb.base + path)
	}
	tb.w.begin()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	tb.loaded(t, int(resp.Status), want)
}

// follow runs an action that loads a new page (a click on a link or a form button),
// checks the page and fails unless its status is want.
func (tb *tab) follow(t *testing.T, what string, action chromedp.Action[chromedp.Void], want int) {
	t.Helper()
	tb.w.begin()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		t.Fatalf("%s on %s: %v", what, tb.location(), err)
	}
	tb.loaded(t, int(resp.Status), want)
}

// reload loads the page again, as a worker does when the connection came back.
func (tb *tab) reload(t *testing.T) {
	t.Helper()
	tb.w.begin()
	tb.do(t, "reload", chromedp.Reload())
	tb.loaded(t, 200, 200)
}

// location is the address of the page shown now.
func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown page)"
	}
	return loc
}

// path is the path of the page shown now.
func (tb *tab) path(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(tb.location())
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate on %s: %v\n%s", tb.location(), err, js)
	}
	return v
}

// shot saves a full-page screenshot as <name>.png when screenshots were asked for.
func (tb *tab) shot(t *testing.T, name string) {
	t.Helper()
	if tb.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, fullPage)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fullPage captures the whole page, not only the phone's screen: it clips to the
// content's size and lets Chromium render beyond the viewport.
func fullPage(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
	m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	size := m.CSSContentSize
	if size == nil {
		return nil, fmt.Errorf("no content size")
	}
	r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		CaptureBeyondViewport: ptr(true),
		FromSurface:           ptr(true),
		Clip:                  &page.Viewport{X: 0, Y: 0, Width: size.Width, Height: size.Height, Scale: 1},
	})
	return r.Data, err
}

func ptr[T any](v T) *T { return &v }
