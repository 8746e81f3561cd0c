package browser

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// A phone of the kind the outreach workers carry: 360×740 CSS pixels, density 2,
// touch screen, Chrome on Android.
const (
	phoneWidth  = 360
	phoneHeight = 740
	phoneScale  = 2
	phoneAgent  = "Mozilla/5.0 (Linux; Android 13; SM-A145M) AppleWebKit/537.36 " +
		"(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)

// findChromium returns the browser to drive: $CHROMIUM, else the usual names. With
// none it skips the test, or fails it when REGISTRO_BROWSER_REQUIRED=1 (CI).
func findChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser tests run in make test, not in the short tier (make check)")
	}
	names := []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	if c := os.Getenv("CHROMIUM"); c != "" {
		names = append([]string{c}, names...)
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := "no Chromium found (tried $CHROMIUM, /usr/bin/chromium, chromium-browser, google-chrome); " +
		"install it (Debian: apt-get install chromium) to run the browser tests"
	if os.Getenv("REGISTRO_BROWSER_REQUIRED") == "1" {
		t.Fatal(msg + "; REGISTRO_BROWSER_REQUIRED=1 makes this a failure")
	}
	t.Skip(msg)
	return ""
}

// startChromium starts a headless Chromium with a fresh profile and opens one tab at
// phone size. The flags keep it from reaching out to the network, which is closed
// here and where it would otherwise hang.
func startChromium(t *testing.T, path string) context.Context {
	t.Helper()
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(phoneWidth, phoneHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// Cleanups run last-registered first: the browser exits before its profile
	// directory is removed.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})

	// The first action starts the browser; it gets no timeout of its own, so the
	// browser lives as long as the test (chromedp binds it to this context).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(setup, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(phoneScale),
		chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("emulate a phone: %v", err)
	}
	if _, err := chromedp.Call(setup, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: phoneAgent, AcceptLanguage: "es-PE,es;q=0.9", Platform: "Linux armv8l"}); err != nil {
		t.Fatalf("set a phone's user agent: %v", err)
	}
	// Every page is weighed as on a first visit, so the cache is off.
	if _, err := chromedp.Call(setup, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatalf("disable the cache: %v", err)
	}
	return ctx
}
