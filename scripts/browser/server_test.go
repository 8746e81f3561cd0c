package browser

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// registro is the real program, started as `make run` starts it: `registro serve` on
// a fresh data directory, default settings (secure cookies included), the first
// admin password generated and printed once.
type registro struct {
	base          string // http://127.0.0.1:port
	adminPassword string
	cmd           *exec.Cmd
	log           *syncBuffer // its stderr: the structured log
	exited        chan error
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

var (
	listeningLine = regexp.MustCompile(`Registro is listening on (http://\S+)`)
	passwordLine  = regexp.MustCompile(`First sign-in: username "admin", password ("(?:[^"\\]|\\.)*")`)
)

// buildRegistro compiles ./cmd/registro of this module into a temporary directory.
func buildRegistro(t *testing.T) string {
	t.Helper()
	root := "../.."
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		root = filepath.Dir(strings.TrimSpace(string(out)))
	}
	bin := filepath.Join(t.TempDir(), "registro")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/registro")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/registro: %v\n%s", err, out)
	}
	return bin
}

// startRegistro runs the program and waits until /healthz answers; it is stopped with
// SIGTERM when the test ends. settings are more REGISTRO_ variables ("NAME=value").
func startRegistro(t *testing.T, bin string, settings ...string) *registro {
	t.Helper()
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		// The browser tests always use the embedded store and this test's settings.
		if !strings.HasPrefix(kv, "REGISTRO_") && !strings.HasPrefix(kv, "MONGODB_URI=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"REGISTRO_ADDR=127.0.0.1:0",
		"REGISTRO_DATA_DIR="+filepath.Join(dir, "data"),
		"REGISTRO_KEY_FILE="+filepath.Join(t.TempDir(), "keys", "kek"),
		// Every sign-in of the story comes from 127.0.0.1: more than the default ten
		// a minute, which would refuse the later ones on a fast machine.
		"REGISTRO_LOGIN_LIMIT=1000",
		// A training installation: second factors optional, so the story's people sign
		// in with passwords (the server's tests cover second factors end to end).
		"REGISTRO_2FA=optional",
	)
	env = append(env, settings...)
	r := &registro{log: &syncBuffer{}, exited: make(chan error, 1)}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = env
	r.cmd.Stderr = r.log
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start registro: %v", err)
	}
	ready := make(chan struct{})
	go r.readStdout(stdout, ready)
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() { r.stop(t) })

	select {
	case <-ready:
	case err := <-r.exited:
		r.exited <- err
		t.Fatalf("registro stopped before listening: %v\nlog:\n%s", err, r.log)
	case <-time.After(90 * time.Second):
		t.Fatalf("registro did not print its address within 90s; log:\n%s", r.log)
	}
	if r.adminPassword == "" {
		t.Fatal("registro did not print the first admin password")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readStdout picks the admin password and the address out of what the program prints
// on the terminal, then drains the rest.
func (r *registro) readStdout(stdout interface{ Read([]byte) (int, error) }, ready chan<- struct{}) {
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := passwordLine.FindStringSubmatch(lines.Text()); m != nil {
			r.adminPassword, _ = strconv.Unquote(m[1])
		}
		if m := listeningLine.FindStringSubmatch(lines.Text()); m != nil {
			r.base = strings.TrimRight(m[1], "/")
			close(ready)
			break
		}
	}
	for lines.Scan() {
	}
}

// stop asks the program to shut down as a service manager would, and expects a clean
// exit.
func (r *registro) stop(t *testing.T) {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		if err != nil {
			t.Errorf("registro did not exit cleanly on SIGTERM: %v\nlog:\n%s", err, r.log)
		}
	case <-time.After(45 * time.Second):
		_ = r.cmd.Process.Kill()
		t.Errorf("registro did not stop within 45s of SIGTERM")
	}
}
