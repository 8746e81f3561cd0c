package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"registro/accounts"
	"registro/cases"
)

// phoneCookies returns the day keys a page handed to the browser of w, and its
// phone id (which the page's scripts never see).
func phoneCookies(t *testing.T, w *webSession) (keys map[string]string, phone string, keysCookie *http.Cookie) {
	t.Helper()
	u, _ := url.Parse(w.ts.URL)
	keys = map[string]string{}
	for _, c := range w.client.Jar.Cookies(u) {
		switch c.Name {
		case "registro-keys":
			keysCookie = c
			for _, k := range strings.Split(c.Value, "~") {
				day, key, ok := strings.Cut(k, ".")
				if !ok || len(day) != 8 || len(key) != 43 {
					t.Fatalf("a day key %q is not day.base64url(32 bytes)", k)
				}
				keys[day] = key
			}
		case "registro-phone":
			phone = c.Value
		}
	}
	return keys, phone, keysCookie
}

// TestPhoneKeys: the keys that seal what a phone keeps. The attacker holds a phone
// after the session ended (its cookies as the browser keeps them), another phone of
// the same account, and another account on the same phone; none of them gets the
// keys of that account on that phone.
func TestPhoneKeys(t *testing.T) {
	ts := newTestServer(t)
	// Noon UTC, so that the days below do not depend on when the test runs.
	now := ts.Clock.Now()
	ts.Clock.Advance(time.Date(now.Year(), now.Month(), now.Day()+1, 12, 0, 0, 0, time.UTC).Sub(now))
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	ts.mustUser(t, "LIM", "carmen", accounts.RoleOutreach)

	signedOut := ts.newWebSession(t)
	signedOut.get(t, "/login")
	if keys, _, _ := phoneCookies(t, signedOut); len(keys) != 0 {
		t.Fatalf("the sign-in page handed %d keys to nobody", len(keys))
	}

	phone := ts.signedIn(t, "rosa", passwordOf("rosa"))
	if st, _ := phone.get(t, "/cases/new"); st != http.StatusOK {
		t.Fatalf("/cases/new: %d", st)
	}
	keys, id, _ := phoneCookies(t, phone)
	if len(keys) != 4 || id == "" {
		t.Fatalf("%d day keys and phone id %q; want 4 (today and the 3 days before, for 72 hours) and an id", len(keys), id)
	}
	today := ts.Clock.Now().UTC().Format("20060102")
	if keys[today] == "" {
		t.Fatalf("no key for today %s: %v", today, keys)
	}
	// The cookie ends with the session: after the idle timeout (the test server's is
	// 30 days), as the session would.
	res, _ := phone.fetch(t, "/cases/new")
	idle := ts.Accounts.IdleTimeout()
	for _, c := range res.Cookies() {
		if c.Name == "registro-keys" && (c.MaxAge <= 0 || c.MaxAge > int(idle.Seconds()) || c.HttpOnly) {
			t.Errorf("keys cookie MaxAge %d HttpOnly %v; want at most the idle timeout %s, readable by the page", c.MaxAge, c.HttpOnly, idle)
		}
		if c.Name == "registro-phone" {
			t.Error("the phone id was given again to a phone that has one")
		}
	}

	// The same account on the same phone after signing in again: the same keys.
	phone.post(t, "/logout", url.Values{})
	if k, _, _ := phoneCookies(t, phone); len(k) != 0 {
		t.Fatalf("after signing out the browser still holds %d keys", len(k))
	}
	phone.signIn(t, "rosa", passwordOf("rosa"))
	again, idAgain, _ := phoneCookies(t, phone)
	if idAgain != id || again[today] != keys[today] {
		t.Fatalf("signed in again on the same phone: phone %q key %q; want %q and the same key", idAgain, again[today], id)
	}

	// Another phone of the same account, another account on this phone: other keys.
	other := ts.signedIn(t, "rosa", passwordOf("rosa"))
	if k, otherID, _ := phoneCookies(t, other); otherID == id || k[today] == keys[today] {
		t.Errorf("another phone got the first phone's id or key")
	}
	phone.post(t, "/logout", url.Values{})
	phone.signIn(t, "carmen", passwordOf("carmen"))
	if k, _, _ := phoneCookies(t, phone); k[today] == keys[today] {
		t.Errorf("another account on the same phone got rosa's key")
	}

	// Three days on, the oldest key is no longer handed out.
	ts.Clock.Advance(73 * time.Hour)
	phone.post(t, "/logout", url.Values{})
	phone.signIn(t, "rosa", passwordOf("rosa"))
	later, _, _ := phoneCookies(t, phone)
	if later[today] == "" || len(later) != 4 {
		t.Errorf("73 hours on: %d keys, today's (%s) present %v; want 4 with it", len(later), today, later[today] != "")
	}
	ts.Clock.Advance(24 * time.Hour)
	phone.post(t, "/logout", url.Values{})
	phone.signIn(t, "rosa", passwordOf("rosa"))
	if late, _, _ := phoneCookies(t, phone); late[today] != "" {
		t.Errorf("97 hours on, the key of %s is still handed out", today)
	}
}

// TestPhoneSend: the record form sent by the page's script (a send kept on the phone)
// gets JSON: the reference, the same case for the same idempotency key from another
// phone, and a refusal in the API's error shape naming the fields.
func TestPhoneSend(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	_, page := b.get(t, "/cases/new")
	form := b.fullIncident(recordInputValue(page, "idempotency_key"))
	send := func(w *webSession, f url.Values) (int, map[string]any) { return postJSON(t, w, "/cases/new", f) }
	st, first := send(b, form)
	if st != http.StatusCreated || first["ref"] == nil || first["id"] == nil {
		t.Fatalf("send: %d %v", st, first)
	}
	second := ts.signedIn(t, "rosa", passwordOf("rosa"))
	second.get(t, "/")
	if st, again := send(second, form); st != http.StatusCreated || again["id"] != first["id"] {
		t.Fatalf("the same send from another phone: %d %v; want case %v again", st, again, first["id"])
	}
	bad := cloneValues(form)
	bad.Set("idempotency_key", "otra-clave-de-prueba-123456")
	bad.Set("uic_mother", "1")
	bad.Del("place")
	st, refused := send(b, bad)
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("a send with problems: %d %v", st, refused)
	}
	body, _ := json.Marshal(refused)
	for _, field := range []string{"uic_mother", "incident.place"} {
		if !strings.Contains(string(body), `"`+field+`"`) {
			t.Errorf("the refusal does not name %s: %s", field, body)
		}
	}
	// A follow-up kept on the phone, sent twice (the first answer lost): one.
	caseID, _ := first["id"].(string)
	note := url.Values{"note": {"La acompañamos a la comisaría."}, "followup_key": {"seguimiento-del-telefono-1"}}
	req := func(f url.Values) (int, map[string]any) { return postJSON(t, b, "/cases/"+caseID+"/followups", f) }
	for range 2 {
		if st, out := req(note); st != http.StatusCreated || out["ref"] != first["ref"] {
			t.Fatalf("follow-up send: %d %v", st, out)
		}
	}
	k, err := ts.Cases.Case(t.Context(), caseID, func(*cases.Case) bool { return true })
	if err != nil || len(k.Followups) != 1 {
		t.Fatalf("%d follow-ups after the same one was sent twice (%v), want 1", len(k.Followups), err)
	}
	if st, out := req(url.Values{"note": {""}, "followup_key": {"otro"}}); st != http.StatusUnprocessableEntity {
		t.Errorf("an empty follow-up: %d %v", st, out)
	}
	if strings.Contains(ts.Logs.String(), form.Get("narrative")) {
		t.Error("the narrative reached the log")
	}
}

// postJSON sends a page's form as the page's script does (asking for JSON) and
// returns the status and the answer.
func postJSON(t *testing.T, w *webSession, path string, f url.Values) (int, map[string]any) {
	t.Helper()
	f = cloneValues(f)
	f.Set("csrf_token", w.csrf)
	req, _ := http.NewRequest(http.MethodPost, w.ts.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := w.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s: the answer is not JSON (%d): %v", path, res.StatusCode, err)
	}
	return res.StatusCode, out
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestOfflineAssets: the service worker is served from the root with the assets it
// keeps; the offline page holds nobody's data even when asked for signed in.
func TestOfflineAssets(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	res, sw := b.fetch(t, "/sw.js")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
		res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("/sw.js: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if strings.Contains(sw, "__ASSETS__") || !strings.Contains(sw, "/static/app.") {
		t.Error("the service worker does not name the assets it keeps")
	}
	st, offline := b.get(t, "/offline")
	if st != http.StatusOK || !strings.Contains(offline, "Sin conexión") || !strings.Contains(offline, `id="phone-queue-list"`) {
		t.Fatalf("/offline: %d", st)
	}
	for _, private := range []string{"rosa", "data-user", b.csrf} {
		if strings.Contains(offline, private) {
			t.Errorf("the offline page, kept on phones, holds %q", private)
		}
	}
	res, man := b.fetch(t, "/manifest.webmanifest")
	var m map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(man), &m) != nil || m["start_url"] != "/" {
		t.Errorf("manifest: %d %s", res.StatusCode, man)
	}
}

// TestFirstVisitWeight: a phone's first visit, the service worker's own downloads
// included (it keeps the assets, the offline page and the manifest), weighs under
// 100 KB as transferred (gzip), counting every asset twice as if the browser's cache
// gave the worker nothing.
func TestFirstVisitWeight(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	b := ts.signedIn(t, "rosa", passwordOf("rosa"))
	weigh := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(withCookies(b, req))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		n, _ := io.Copy(io.Discard, res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		return int(n)
	}
	_, home := b.get(t, "/cases/new")
	assets := regexp.MustCompile(`/static/[a-z]+\.[0-9a-f]+\.(css|js|svg)`).FindAllString(home, -1)
	_, sw := b.get(t, "/sw.js")
	kept := regexp.MustCompile(`/static/[a-z]+\.[0-9a-f]+\.(css|js|svg)`).FindAllString(sw, -1)
	total := weigh("/cases/new") + weigh("/sw.js") + weigh("/offline") + weigh("/manifest.webmanifest")
	seen := map[string]bool{}
	for _, a := range assets {
		if !seen[a] {
			seen[a] = true
			total += weigh(a)
		}
	}
	for _, a := range kept {
		total += weigh(a)
	}
	t.Logf("first visit of the record form with the service worker: %.1f KB", float64(total)/1024)
	if total >= 100*1024 {
		t.Errorf("the first visit weighs %.1f KB, over the 100 KB budget", float64(total)/1024)
	}
}

func withCookies(w *webSession, req *http.Request) *http.Request {
	for _, c := range w.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return req
}
