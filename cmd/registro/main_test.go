package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// program is one run of the whole program on port 0.
type program struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
	out    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testEnv(dir string) map[string]string {
	return map[string]string{
		"REGISTRO_ADDR":               "127.0.0.1:0",
		"REGISTRO_DATA_DIR":           filepath.Join(dir, "data"),
		"REGISTRO_KEY_FILE":           filepath.Join(dir, "keys", "kek"),
		"REGISTRO_BOOTSTRAP_PASSWORD": "first-admin-password",
		"REGISTRO_LOG_LEVEL":          "info",
	}
}

// openEmbedded opens the program's app on a fresh embedded store and key file, skipping
// the test when MONGODB_URI points the store tests elsewhere. The caller closes it.
func openEmbedded(t testing.TB) (*app, map[string]string, func(string) string) {
	t.Helper()
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("uses the embedded store's data directory")
	}
	env := testEnv(t.TempDir())
	getenv := func(k string) string { return env[k] }
	a, err := open(context.Background(), getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return a, env, getenv
}

var listening = regexp.MustCompile(`listening on http://(\S+)`)

// start runs the program and waits until /healthz answers.
func start(t *testing.T, env map[string]string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &program{cancel: cancel, done: make(chan error, 1), out: &syncBuffer{}}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "MONGODB_URI" {
			return os.Getenv(k)
		}
		return ""
	}
	go func() {
		err := run(ctx, []string{"serve"}, getenv, strings.NewReader(""), pw, p.out)
		pw.CloseWithError(io.EOF)
		p.done <- err
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			p.addr = m[1]
			break
		}
	}
	if p.addr == "" {
		cancel()
		t.Fatalf("the program did not print its address; it returned %v; log:\n%s", <-p.done, p.out)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *program) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not stop")
	}
}

func (p *program) call(t *testing.T, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+p.addr+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// firstLogin signs in with a password someone else set and, as the session must first,
// changes it to own; it returns the session token, which stays open.
func (p *program) firstLogin(t *testing.T, user, given, own string) string {
	t.Helper()
	token := p.login(t, user, given)
	if code, out := p.call(t, "GET", "/api/v1/cases", token, nil); code != http.StatusForbidden {
		t.Fatalf("%s's first session reaches the cases before changing the password: %d %v", user, code, out)
	}
	if code, out := p.call(t, "POST", "/api/v1/me/password", token, map[string]string{"current": given, "new": own}); code != http.StatusNoContent {
		t.Fatalf("%s changes her password: %d %v", user, code, out)
	}
	return token
}

func (p *program) login(t *testing.T, user, password string) string {
	t.Helper()
	code, out := p.call(t, "POST", "/api/v1/login", "", map[string]string{"username": user, "password": password})
	if code != http.StatusOK {
		t.Fatalf("login %s: %d %v", user, code, out)
	}
	return out["token"].(string)
}

// TestEndToEnd runs the whole program twice on one data directory: a case recorded in
// the first run is read back, decrypted, in the second.
func TestEndToEnd(t *testing.T) {
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("the end-to-end test exercises the embedded store")
	}
	dir := t.TempDir()
	env := testEnv(dir)
	// The case below is of a quarter long over: the automatic publisher (tested on its
	// own in TestPublishDue) must not race the shell's publication.
	env["REGISTRO_RELEASE_DELAY"] = "36500"
	// Second factors have their own tests (server.TestSecondFactor); here the program's
	// persistence is the point.
	env["REGISTRO_2FA"] = "optional"
	p := start(t, env)

	admin := p.firstLogin(t, "admin", "first-admin-password", "la frase propia de la administradora")
	code, out := p.call(t, "POST", "/api/v1/users", admin, map[string]string{
		"username": "rosa", "role": "coordinator", "org": "LIM", "password": "coordinadora-segura"})
	if code != http.StatusCreated {
		t.Fatalf("create coordinator: %d %v", code, out)
	}
	rosa := p.firstLogin(t, "rosa", "coordinadora-segura", "la frase propia de rosa")
	code, out = p.call(t, "POST", "/api/v1/cases", rosa, map[string]any{
		"uic":          "MAJO1585",
		"incident":     map[string]string{"date": "2026-05-14", "date_precision": "day", "district": "150115", "place": "street"},
		"perpetrators": []string{"serenazgo", "police"},
		"violations":   []string{"physical", "confiscation"},
		"consent":      map[string]bool{"record": true, "statistics": true, "legal_sharing": true},
		"narrative":    "Me quitaron los condones en la avenida.",
		"response":     map[string]any{"reported_to": []string{"none"}, "referrals": []string{"legal"}, "status": "open"},
	})
	if code != http.StatusCreated || out["ref"] != "LIM-2026-00001" || out["uic"] != nil {
		t.Fatalf("create case: %d %v", code, out)
	}
	id := out["id"].(string)

	// A second process on the same data directory is refused with a clear message.
	second := make(chan error, 1)
	go func() {
		second <- run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	}()
	select {
	case err := <-second:
		if err == nil || !strings.Contains(err.Error(), "in use by another Registro process") {
			t.Fatalf("second process on the same data directory: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a second process on the same data directory did not stop")
	}
	p.stop(t)

	// With the server stopped, the maintenance commands find everything consistent.
	getenv := func(k string) string { return env[k] }
	for _, cmd := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "agree with the cases"},
		{[]string{"keys", "rotate"}, "Rewrapped 1 case keys and 1 organization keys"},
		{[]string{"reindex"}, "0 list documents fixed"},
		{[]string{"audit", "verify"}, "LIM: ok"},
		{[]string{"stats", "-org", "LIM", "-quarter", "2026-Q2", "-by", "perpetrator", "-lang", "en"}, "INTERNAL USE: DO NOT PUBLISH"},
		{[]string{"stats", "publish", "-org", "LIM", "-period", "2026-Q2"}, "Published Q2 2026 (April–June) of LIM, version 1"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), cmd.args, getenv, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), cmd.want) {
			t.Fatalf("registro %v: %v; printed %q, want %q", cmd.args, err, out.String(), cmd.want)
		}
	}

	p = start(t, env)
	defer p.stop(t)
	rosa = p.login(t, "rosa", "la frase propia de rosa")
	code, out = p.call(t, "GET", "/api/v1/cases/"+id, rosa, nil)
	if code != http.StatusOK || out["narrative"] != "Me quitaron los condones en la avenida." {
		t.Fatalf("read after restart: %d %v", code, out)
	}
	code, out = p.call(t, "GET", "/api/v1/cases", rosa, nil)
	if list, _ := out["cases"].([]any); code != http.StatusOK || len(list) != 1 {
		t.Fatalf("list after restart: %d %v", code, out)
	}
	// The release published from the shell is the one the server serves.
	code, out = p.call(t, "GET", "/api/v1/stats/releases", rosa, nil)
	if list, _ := out["releases"].([]any); code != http.StatusOK || len(list) != 1 || list[0].(map[string]any)["published_by"] != "cli" {
		t.Fatalf("releases after restart: %d %v", code, out)
	}
	code, out = p.call(t, "GET", "/api/v1/stats?source=release&quarter=2026-Q2", rosa, nil)
	if code != http.StatusOK || out["release"] == nil {
		t.Fatalf("the released quarter: %d %v", code, out)
	}
	if strings.Contains(p.out.String(), "first-admin-password") || strings.Contains(p.out.String(), "condones") {
		t.Fatal("the log holds a password or a narrative")
	}
}

func TestRunCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "registro ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "registro serve") {
		t.Fatalf("help: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"OK", map[string]string{}, ""},
		{"ErrLogLevel", map[string]string{"REGISTRO_LOG_LEVEL": "loud"}, "REGISTRO_LOG_LEVEL"},
		{"ErrKeyInsideData", map[string]string{"REGISTRO_DATA_DIR": "/srv/d", "REGISTRO_KEY_FILE": "/srv/d/kek"}, "outside REGISTRO_DATA_DIR"},
		{"ErrURI", map[string]string{"MONGODB_URI": "http://x"}, "MONGODB_URI"},
		{"ErrAddr", map[string]string{"REGISTRO_ADDR": "8080"}, "REGISTRO_ADDR"},
		{"ErrIdle", map[string]string{"REGISTRO_SESSION_IDLE": "soon"}, "REGISTRO_SESSION_IDLE"},
		{"OKReleaseDelayDays", map[string]string{"REGISTRO_RELEASE_DELAY": "30"}, ""},
		{"OKReleaseDelayDuration", map[string]string{"REGISTRO_RELEASE_DELAY": "360h"}, ""},
		{"ErrReleaseDelay", map[string]string{"REGISTRO_RELEASE_DELAY": "two weeks"}, "REGISTRO_RELEASE_DELAY"},
		{"ErrReleaseDelayNegative", map[string]string{"REGISTRO_RELEASE_DELAY": "-1"}, "REGISTRO_RELEASE_DELAY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
	for env, want := range map[string]time.Duration{"": 15 * 24 * time.Hour, "7": 7 * 24 * time.Hour, "36h": 36 * time.Hour} {
		c, err := loadConfig(func(k string) string { return map[string]string{"REGISTRO_RELEASE_DELAY": env}[k] })
		if err != nil || c.ReleaseDelay != want {
			t.Errorf("REGISTRO_RELEASE_DELAY=%q: %v, %v; want %v", env, c.ReleaseDelay, err, want)
		}
	}
	c, _ := loadConfig(func(k string) string {
		return map[string]string{"MONGODB_URI": "mongodb://u:secretpw@h:27017", "REGISTRO_KEK": "k1:AAAA"}[k]
	})
	var b bytes.Buffer
	testLogger(&b).Info("x", "config", c)
	if strings.Contains(b.String(), "secretpw") || strings.Contains(b.String(), "AAAA") {
		t.Fatalf("config log shows a secret: %s", b.String())
	}
}

func testLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
