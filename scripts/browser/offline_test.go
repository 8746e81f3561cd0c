package browser

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The attacker of TestOfflineQueue holds the phone at every step: its localStorage,
// sessionStorage, IndexedDB and the service worker's caches, read by the test after
// each step (storageJS). None of them may ever hold the story, the contact or her
// code in clear.
const (
	offlineStory   = "Sin señal: el serenazgo le quitó la mercadería en la esquina del mercado."
	offlineContact = "987650321"
)

// storageJS is everything the phone keeps for Registro's origin, as text.
const storageJS = `(async function () {
  var out = [];
  for (var i = 0; i < localStorage.length; i++) out.push(localStorage.key(i) + "=" + localStorage.getItem(localStorage.key(i)));
  for (var j = 0; j < sessionStorage.length; j++) out.push(sessionStorage.key(j) + "=" + sessionStorage.getItem(sessionStorage.key(j)));
  if (indexedDB.databases) (await indexedDB.databases()).forEach(function (d) { out.push("indexeddb " + d.name); });
  for (const name of await caches.keys()) {
    const c = await caches.open(name);
    for (const req of await c.keys()) { const r = await c.match(req); out.push(name + " " + req.url + "\n" + await r.text()); }
  }
  return out.join("\n");
})()`

// queueJS counts the sends waiting on the phone.
const queueJS = `Object.keys(localStorage).filter(function (k) { return k.indexOf("registro:queue:") === 0; }).length`

// noSecretsKept fails the test for anything of the survivor kept readable.
func noSecretsKept(t *testing.T, tb *tab, step string) {
	t.Helper()
	kept := eval[string](t, tb, storageJS)
	for _, secret := range []string{offlineStory, "serenazgo le quit", offlineContact, `"OF"`, `"FL"`, "uic_mother=", `value="OF"`} {
		if strings.Contains(kept, secret) {
			t.Errorf("%s: the phone keeps %q readable", step, secret)
		}
	}
}

// setNetwork cuts or restores the phone's connection: the relay to Registro, and the
// browser's own idea of it (navigator.onLine, the online event, the service worker).
func setNetwork(t *testing.T, tb *tab, sig *signal, online bool) {
	t.Helper()
	offline := !online
	if online {
		sig.set("up")
	} else {
		sig.set("cut")
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &offline,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatalf("emulate the network: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatalf("override the network state: %v", err)
	}
	// What failed while the signal was gone is no problem of the page.
	tb.w.take()
}

// keptForm waits until the service worker controls the page and keeps the record form.
func keptForm(t *testing.T, tb *tab) {
	t.Helper()
	tb.waitFor(t, "the service worker controls the page", `navigator.serviceWorker.controller !== null`)
	deadline := time.Now().Add(stepTimeout)
	for !eval[bool](t, tb, `caches.open("registro-pages").then(function (c) { return c.match("/cases/new"); }).then(function (r) { return !!r; })`) {
		if time.Now().After(deadline) {
			t.Fatal("the service worker did not keep the record form")
		}
		tb.open(t, "/cases/new", 200)
		time.Sleep(100 * time.Millisecond)
	}
}

// installable checks what Lighthouse's installability audits looked at: a manifest
// that parses without errors, with a name, a start URL inside the scope, a standalone
// display and an icon (the service worker that controls the page, and the start URL
// answering without signal, are checked by the steps of TestOfflineQueue).
func installable(t *testing.T, tb *tab) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	m, err := chromedp.Call(ctx, page.GetAppManifest, page.GetAppManifestParams{})
	if err != nil {
		t.Fatalf("read the manifest: %v", err)
	}
	for _, e := range m.Errors {
		t.Errorf("manifest: %s (line %d)", e.Message, e.Line)
	}
	var man struct {
		Name     string
		StartURL string `json:"start_url"`
		Scope    string
		Display  string
		Icons    []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal([]byte(m.Data), &man); err != nil || !strings.HasSuffix(m.URL, "/manifest.webmanifest") {
		t.Fatalf("the manifest %s does not parse: %v", m.URL, err)
	}
	if man.Name == "" || man.StartURL != "/" || man.Scope != "/" || man.Display != "standalone" || len(man.Icons) == 0 {
		t.Errorf("manifest %+v: want a name, start_url and scope /, standalone display, an icon", man)
	}
}

// recordOffline fills in the record form (already open) and sends it; it expects the
// send to stay on the phone.
func recordOffline(t *testing.T, s *story, district string) {
	t.Helper()
	tb := s.tab
	s.answerSteps(t, incident{uic: [4]string{"OF", "FL", "09", "93"}, month: limaMonth(), search: "Comas", district: district,
		place: "street", perpetrators: []string{"serenazgo"}, violations: []string{"confiscation"}, narrative: offlineStory}, false)
	tb.fillIn(t, "form#record", "contact", offlineContact)
	tb.do(t, "send the form", chromedp.Click(chromedp.CSS("#record-submit")))
	tb.waitFor(t, "the case is kept to be sent later", `!document.getElementById("record-queued").hidden`)
}

// sentRef waits until the page says a kept send went, and returns its reference.
func sentRef(t *testing.T, tb *tab) string {
	t.Helper()
	tb.waitFor(t, "the page says the kept send went", `document.getElementById("phone-status").textContent.indexOf("Enviado: ") >= 0`)
	txt := tb.text(t, "#phone-status")
	i := strings.Index(txt, "Enviado: ")
	ref := strings.TrimSuffix(strings.Fields(txt[i+len("Enviado: "):])[0], ".")
	if !refPattern.MatchString(ref) {
		t.Fatalf("the status shows %q, want a reference", txt)
	}
	return ref
}

// TestOfflineQueue: a coordinator records where the signal drops, on a phone whose
// connection the test cuts, restores and makes drop answers, and on a second phone
// that holds a copy of the first one's storage.
func TestOfflineQueue(t *testing.T) {
	chromium := findChromium(t)
	srv := startRegistro(t, buildRegistro(t))
	sig := newSignal(t, srv.base)
	tb := newTab(t, startChromium(t, chromium), sig.base)
	s := &story{srv: srv, tab: tb, passwords: map[string]string{"admin": srv.adminPassword}}
	t.Cleanup(func() { tb.checkProblems(t) })
	adminCreatesCoordinator(t, s)
	s.signIn(t, "coord")
	token := apiSignIn(t, srv.base, "coord", s.passwords["coord"])
	count := func() int {
		t.Helper()
		st, out := apiCall(t, srv.base, http.MethodGet, "/api/v1/cases?limit=100", token, nil)
		if st != http.StatusOK {
			t.Fatalf("list cases: %d %v", st, out)
		}
		list, _ := out["cases"].([]any)
		return len(list)
	}

	// (1) The form opens without signal, from the phone, after a reload.
	tb.open(t, "/cases/new", 200)
	keptForm(t, tb)
	installable(t, tb)
	setNetwork(t, tb, sig, false)
	tb.reload(t)
	if !tb.exists(t, "form#record") {
		t.Fatalf("without signal, a reload of the form shows: %s", tb.summary(t))
	}
	key := eval[string](t, tb, `document.querySelector("form#record").elements.idempotency_key.value`)
	recordOffline(t, s, "150110")
	noSecretsKept(t, tb, "a case queued without signal")
	if n := eval[int](t, tb, queueJS); n != 1 {
		t.Fatalf("%d sends wait on the phone, want 1", n)
	}
	tb.shot(t, "40-offline-queued")

	// (2) A second phone holding a copy of the first one's storage, signed in as the
	// same coordinator, can neither read nor send the copy.
	queued := eval[map[string]string](t, tb, `(function () { var o = {}; Object.keys(localStorage).forEach(function (k) {
  if (k.indexOf("registro:queue:") === 0) o[k] = localStorage.getItem(k); }); return o; })()`)
	sig2 := newSignal(t, srv.base)
	tb2 := newTab(t, startChromium(t, chromium), sig2.base)
	s2 := &story{srv: srv, tab: tb2, passwords: s.passwords}
	s2.signIn(t, "coord")
	for k, v := range queued {
		eval[bool](t, tb2, `(localStorage.setItem(`+js(k)+`, `+js(v)+`), true)`)
	}
	tb2.open(t, "/", 200)
	tb2.waitFor(t, "the copy is found unreadable", `document.getElementById("phone-status").textContent.indexOf("no se pueden abrir") >= 0`)
	if n := count(); n != 0 {
		t.Fatalf("the second phone sent the first one's copy: %d cases", n)
	}

	// (3) The signal returns while the form is open: the case goes by itself, once.
	setNetwork(t, tb, sig, true)
	ref := sentRef(t, tb)
	if n := count(); n != 1 {
		t.Fatalf("%d cases after the kept send went, want 1", n)
	}
	if n := eval[int](t, tb, queueJS); n != 0 {
		t.Errorf("%d sends still wait after going", n)
	}
	noSecretsKept(t, tb, "the kept send went")
	tb.shot(t, "41-offline-sent")

	// (4) The second phone sends the same case again (same answers, same key): the
	// same case, nothing new.
	tb2.open(t, "/cases/new", 200)
	s2.answerSteps(t, incident{uic: [4]string{"OF", "FL", "09", "93"}, month: limaMonth(), search: "Comas", district: "150110",
		place: "street", perpetrators: []string{"serenazgo"}, violations: []string{"confiscation"}, narrative: offlineStory}, false)
	tb2.fillIn(t, "form#record", "contact", offlineContact)
	eval[bool](t, tb2, `(document.querySelector("form#record").elements.idempotency_key.value = `+js(key)+`, true)`)
	tb2.follow(t, "send the same case from the second phone", chromedp.Click(chromedp.CSS("#record-submit")), 200)
	if got := tb2.text(t, "#case-ref"); got != ref {
		t.Errorf("the same send from the second phone shows %q, want the first case %q", got, ref)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d cases after the second phone sent the same case, want 1", n)
	}

	// (5) The signal goes while a case is on its way: the server records it, the phone
	// never hears back and keeps it; sent again on the next page, it is the same case.
	tb.open(t, "/cases/new", 200)
	sig.set("drop")
	recordOffline(t, s, "150110")
	if n := count(); n != 2 {
		t.Fatalf("%d cases after a send whose answer was lost, want 2", n)
	}
	sig.set("up")
	tb.w.take()
	tb.open(t, "/cases", 200)
	sentRef(t, tb)
	if n := count(); n != 2 {
		t.Fatalf("%d cases after the lost answer's send went again, want 2", n)
	}

	// (5b) A follow-up written on the case's page when the signal goes: kept, then
	// sent by itself once, when the signal returns.
	st, out := apiCall(t, srv.base, http.MethodGet, "/api/v1/cases?limit=1", token, nil)
	list, _ := out["cases"].([]any)
	if st != http.StatusOK || len(list) == 0 {
		t.Fatalf("list cases: %d %v", st, out)
	}
	caseID, _ := list[0].(map[string]any)["id"].(string)
	tb.open(t, "/cases/"+caseID, 200)
	setNetwork(t, tb, sig, false)
	tb.fillIn(t, "form#followup", "note", "Seguimiento sin señal: la acompañamos a la comisaría.")
	tb.do(t, "send the follow-up", chromedp.Click(chromedp.CSS("form#followup button[type=submit]")))
	tb.waitFor(t, "the follow-up is kept to be sent later", `!document.getElementById("followup-queued").hidden`)
	noSecretsKept(t, tb, "a follow-up queued without signal")
	if kept := eval[string](t, tb, storageJS); strings.Contains(kept, "la acompañamos a la comisar") {
		t.Error("the phone keeps the follow-up's note readable")
	}
	setNetwork(t, tb, sig, true)
	sentRef(t, tb)
	tb.reload(t)
	if n := eval[int](t, tb, `document.querySelectorAll("#followups li").length`); n != 1 {
		t.Errorf("the case shows %d follow-ups after the kept one went, want 1", n)
	}

	// (6) Without signal any other page is the offline page, in Spanish, listing what
	// waits; a queue waiting when the session ends is sent after she signs in again.
	setNetwork(t, tb, sig, false)
	tb.open(t, "/cases/new", 200)
	recordOffline(t, s, "150110")
	tb.open(t, "/", 200)
	if h := tb.text(t, "h1"); !strings.Contains(h, "Sin conexión") {
		t.Fatalf("without signal the start page shows %q, want the offline page", h)
	}
	tb.open(t, "/cases", 200)
	if h := tb.text(t, "h1"); !strings.Contains(h, "Sin conexión") {
		t.Fatalf("without signal /cases shows %q, want the offline page", h)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("#phone-queue-list li").length`); n != 1 {
		t.Errorf("the offline page lists %d kept sends, want 1", n)
	}
	tb.shot(t, "42-offline-page")
	axe := axeSource(t)
	checkAxe(t, tb, axe, "the offline page")
	tb.open(t, "/cases/new", 200)
	checkAxe(t, tb, axe, "the record form kept offline")
	tb.open(t, "/cases", 200)
	for _, name := range []string{"registro", "registro-keys"} {
		if _, err := chromedp.Call(tb.ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: name, URL: sig.base + "/"}); err != nil {
			t.Fatal(err)
		}
	}
	noSecretsKept(t, tb, "the session ended with a send waiting")
	setNetwork(t, tb, sig, true)
	s.signIn(t, "coord")
	sentRef(t, tb)
	if n := count(); n != 3 {
		t.Fatalf("%d cases after the queue of an ended session went, want 3", n)
	}

	// (7) A send kept longer than 72 hours is destroyed, with a notice.
	setNetwork(t, tb, sig, false)
	tb.open(t, "/cases/new", 200)
	recordOffline(t, s, "150110")
	eval[bool](t, tb, `(Object.keys(localStorage).forEach(function (k) {
  if (k.indexOf("registro:queue:") !== 0) return;
  var e = JSON.parse(localStorage.getItem(k)); e.saved = Date.now() - 73 * 3600 * 1000; localStorage.setItem(k, JSON.stringify(e));
}), true)`)
	tb.reload(t)
	if n := eval[int](t, tb, queueJS); n != 0 {
		t.Errorf("a send kept 73 hours is still on the phone")
	}
	if got := tb.text(t, "#phone-destroyed"); !strings.Contains(got, "Se destruyeron 1") {
		t.Errorf("the notice of the destroyed send says %q", got)
	}
	setNetwork(t, tb, sig, true)
	if n := count(); n != 3 {
		t.Errorf("%d cases after a destroyed send, want 3", n)
	}

	// (8) Two cases kept without a place are refused when the signal returns: they
	// stay on the phone, marked. Signing out with them waiting asks first; declined,
	// nothing is lost. One is opened: the form comes back with the problem marked and
	// the answers kept. Signing out, accepted, destroys the other.
	setNetwork(t, tb, sig, false)
	for range 2 {
		tb.open(t, "/cases/new", 200)
		s.answerSteps(t, incident{uic: [4]string{"OF", "FL", "09", "93"}, month: limaMonth(), search: "Comas", district: "150110",
			place: "street", perpetrators: []string{"serenazgo"}, violations: []string{"confiscation"}, narrative: offlineStory}, false)
		eval[bool](t, tb, `(document.querySelectorAll('form#record input[name="place"]').forEach(function (r) { r.checked = false; }), true)`)
		tb.do(t, "send the form without a place", chromedp.Click(chromedp.CSS("#record-submit")))
		tb.waitFor(t, "the case is kept to be sent later", `!document.getElementById("record-queued").hidden`)
	}
	tb.w.expect(sig.base + "/cases/new") // refused: 422, on purpose
	setNetwork(t, tb, sig, true)
	tb.waitFor(t, "both kept sends are refused", `document.querySelectorAll("#phone-status button").length === 2`)
	if n := count(); n != 3 {
		t.Fatalf("%d cases after two refused sends, want 3", n)
	}
	var accept atomic.Bool
	var asked atomic.Int32
	_ = chromedp.Listen(tb.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			asked.Add(1)
			go func() {
				_, _ = chromedp.Call(tb.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept.Load()})
			}()
		}
	})
	tb.do(t, "sign out, then decline", chromedp.Click(chromedp.CSS(`form[data-signout] button`)))
	deadline := time.Now().Add(stepTimeout)
	for asked.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if asked.Load() != 1 {
		t.Fatalf("signing out with sends waiting asked %d times, want once", asked.Load())
	}
	time.Sleep(300 * time.Millisecond)
	if p, n := tb.path(t), eval[int](t, tb, queueJS); p != "/cases/new" || n != 2 {
		t.Fatalf("declining the sign-out left %s with %d sends, want /cases/new with 2", p, n)
	}
	tb.follow(t, "open a refused send", chromedp.Click(chromedp.CSS("#phone-status button")), 422)
	if got := eval[[]string](t, tb, `Array.prototype.map.call(document.querySelectorAll("#problems li a"), function (a) { return a.getAttribute("href"); })`); len(got) != 1 || got[0] != "#f-place" {
		t.Errorf("the refused send comes back with problems %v, want the place only", got)
	}
	if v := eval[string](t, tb, fieldJS("narrative", "")); v != offlineStory {
		t.Errorf("the refused send comes back with the story %q", v)
	}
	if n := eval[int](t, tb, queueJS); n != 1 {
		t.Errorf("%d sends wait after one was opened, want 1", n)
	}
	accept.Store(true)
	tb.follow(t, "sign out, and accept", chromedp.Click(chromedp.CSS(`form[data-signout] button`)), 200)
	if p, n := tb.path(t), eval[int](t, tb, queueJS); p != "/login" || n != 0 {
		t.Errorf("signing out led to %s with %d sends kept, want /login with none", p, n)
	}
	if n := count(); n != 3 {
		t.Errorf("%d cases at the end, want 3", n)
	}
	if strings.Contains(srv.log.String(), offlineStory) || strings.Contains(srv.log.String(), offlineContact) {
		t.Error("the server's log holds the story or the contact")
	}
}
