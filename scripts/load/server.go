package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runEnv is everything a run works with: the server (started here, or reached by
// URL), its data directory, the accounts made at setup and the samplers.
type runEnv struct {
	o       config
	logf    func(string, ...any)
	run     string // short id naming this run's org, accounts and scratch database
	workDir string // temporary directory of the run, removed unless -keep
	dataDir string
	keyFile string
	bin     string
	base    string
	srv     *serverProc
	sampler *sampler
	api     *apiClient
	vocab   *vocab
	org     string
	admin   *account
	coord   *account
	workers []*account
}

// prepare builds or finds the binary, starts the server (unless -url), and creates
// the run's organization and accounts. The returned env is non-nil whenever something
// needs cleaning up, even with an error.
func prepare(ctx context.Context, o config, logf func(string, ...any)) (*runEnv, error) {
	env := &runEnv{o: o, logf: logf, run: strings.ToLower(rand.Text()[:6])}
	if o.url == "" {
		dir, err := os.MkdirTemp("", "registro-load-")
		if err != nil {
			return nil, err
		}
		env.workDir = dir
	}
	if o.url != "" {
		env.base = o.url
		env.dataDir = o.data
	} else {
		if err := env.startServer(ctx); err != nil {
			return env, err
		}
	}
	env.sampler = newSampler(env)
	env.api = newAPIClient(env.base, o.clients, o.timeout)
	env.api.logf = logf
	if err := env.setup(ctx); err != nil {
		return env, err
	}
	return env, nil
}

func (env *runEnv) startServer(ctx context.Context) error {
	o := env.o
	env.bin = o.bin
	if env.bin == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		env.bin = filepath.Join(env.workDir, "registro")
		env.logf("building ./cmd/registro")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", env.bin, "./cmd/registro")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/registro: %v\n%s", err, out)
		}
	} else if abs, err := filepath.Abs(env.bin); err == nil {
		env.bin = abs
	}
	secretsDir := env.workDir
	logPath := filepath.Join(env.workDir, "server.log")
	if o.data == "" {
		env.dataDir = filepath.Join(env.workDir, "data")
	} else {
		abs, err := filepath.Abs(o.data)
		if err != nil {
			return err
		}
		env.dataDir = abs
		// The key and the admin password live beside the data directory (never inside:
		// the server refuses that), so a kept directory can be loaded again.
		secretsDir = filepath.Dir(abs)
		logPath = abs + ".log"
	}
	prefix := filepath.Join(secretsDir, filepath.Base(env.dataDir))
	env.keyFile = prefix + ".kek"
	if o.adminPassword == "" {
		pwFile := prefix + ".admin"
		if b, err := os.ReadFile(pwFile); err == nil {
			env.o.adminPassword = strings.TrimSpace(string(b))
		} else {
			env.o.adminPassword = rand.Text()
			if err := os.WriteFile(pwFile, []byte(env.o.adminPassword+"\n"), 0o600); err != nil {
				return err
			}
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env.base = "http://" + addr
	set := map[string]string{
		"REGISTRO_ADDR":               addr,
		"REGISTRO_DATA_DIR":           env.dataDir,
		"REGISTRO_KEY_FILE":           env.keyFile,
		"REGISTRO_BOOTSTRAP_PASSWORD": env.o.adminPassword,
		"REGISTRO_SECURE_COOKIES":     "false",
		"REGISTRO_LOGIN_LIMIT":        "1000000",
		// A test installation: its accounts sign in with passwords alone.
		"REGISTRO_2FA":       "optional",
		"REGISTRO_LOG_LEVEL": o.logLevel,
	}
	var serverEnv []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; ours || k == "MONGODB_URI" || k == "REGISTRO_KEK" {
			continue
		}
		serverEnv = append(serverEnv, kv)
	}
	for k, v := range set {
		serverEnv = append(serverEnv, k+"="+v)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	env.srv = &serverProc{bin: env.bin, env: serverEnv, base: env.base, log: logFile, logPath: logPath}
	env.logf("starting %s serve on %s, data %s", env.bin, addr, env.dataDir)
	if err := env.srv.start(); err != nil {
		return err
	}
	return env.srv.waitReady(ctx, 2*time.Minute)
}

// storeSocket is the embedded store's unix socket, when there is one.
func (env *runEnv) storeSocket() string {
	if env.dataDir == "" {
		return ""
	}
	sock := filepath.Join(env.dataDir, "store.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&fs.ModeSocket == 0 {
		return ""
	}
	return sock
}

func (env *runEnv) srvUnexpectedExits() int {
	if env.srv == nil {
		return 0
	}
	return int(env.srv.unexpected.Load())
}

func (env *runEnv) cleanup() {
	if env.sampler != nil {
		env.sampler.close()
	}
	if env.srv != nil {
		if err := env.srv.stop(); err != nil {
			env.logf("stopping the server: %v", err)
		}
		env.srv.log.Close()
	}
	if env.workDir == "" {
		return
	}
	if env.o.keep {
		env.logf("kept %s (data, key file, admin password, server log)", env.workDir)
		return
	}
	if err := os.RemoveAll(env.workDir); err != nil {
		env.logf("removing %s: %v", env.workDir, err)
	}
}

// moduleRoot finds the directory of the go.mod of module registro, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module registro")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the registro module above the working directory: run from the repository or pass -bin")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverProc is a `registro serve` child process, restarted on the same address and
// data directory.
type serverProc struct {
	bin, base string
	env       []string
	log       *os.File
	logPath   string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	expected bool // the current process is being stopped or killed on purpose

	pid        atomic.Int64
	unexpected atomic.Int64
	hwmMu      sync.Mutex
	hwm        int64 // the largest VmHWM read from any process before it ended
	lastStop   time.Duration
}

func (s *serverProc) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	fmt.Fprintf(s.log, "---- load: starting the server at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.log, s.log
	// Its own process group, so a Ctrl-C at the terminal reaches only this tool, which
	// then stops the server itself; and killed with the tool if the tool dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s serve: %w", s.bin, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited, s.expected = cmd, exited, false
	s.pid.Store(int64(cmd.Process.Pid))
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		if !s.expected {
			s.unexpected.Add(1)
			fmt.Fprintf(s.log, "---- load: the server exited on its own: %v\n", err)
		}
		if s.cmd == cmd {
			s.cmd = nil
			s.pid.Store(0)
		}
		s.mu.Unlock()
		close(exited)
	}()
	return nil
}

// running returns the current process and its exit channel, marking its end as
// expected.
func (s *serverProc) take() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil, nil
	}
	s.expected = true
	return s.cmd, s.exited
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *serverProc) kill() error {
	cmd, exited := s.take()
	if cmd == nil {
		return errors.New("server not running")
	}
	s.noteHWM(cmd.Process.Pid)
	fmt.Fprintf(s.log, "---- load: SIGKILL at %s\n", time.Now().Format(time.RFC3339Nano))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-exited
	return nil
}

// stop asks the server to shut down (SIGTERM: it drains requests and closes the store)
// and kills it if it has not stopped within 45 seconds.
func (s *serverProc) stop() error {
	cmd, exited := s.take()
	if cmd == nil {
		return nil
	}
	s.noteHWM(cmd.Process.Pid)
	fmt.Fprintf(s.log, "---- load: SIGTERM at %s\n", time.Now().Format(time.RFC3339Nano))
	t0 := time.Now()
	defer func() { s.lastStop = time.Since(t0) }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-exited:
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("the server exited with status %d on SIGTERM (see %s)", code, s.logPath)
		}
		return nil
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return errors.New("the server did not stop within 45 s of SIGTERM: killed")
	}
}

func (s *serverProc) noteHWM(pid int) {
	if v := procStatus(pid, "VmHWM"); v > 0 {
		s.hwmMu.Lock()
		s.hwm = max(s.hwm, v)
		s.hwmMu.Unlock()
	}
}

func (s *serverProc) maxHWM() int64 {
	s.hwmMu.Lock()
	defer s.hwmMu.Unlock()
	if pid := int(s.pid.Load()); pid > 0 {
		s.hwm = max(s.hwm, procStatus(pid, "VmHWM"))
	}
	return s.hwm
}

// waitReady polls /readyz until it answers 200.
func (s *serverProc) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: 2 * time.Second}
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	for {
		resp, err := hc.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited while starting; the end of %s:\n%s", s.logPath, tail(s.logPath, 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server was not ready within %s; the end of %s:\n%s", limit, s.logPath, tail(s.logPath, 15))
		}
	}
}

// cli runs `registro ARGS...` with the server's environment (which needs the server
// stopped: the embedded store is locked by one process at a time).
func (s *serverProc) cli(args ...string) cliResult {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	r := cliResult{Command: "registro " + strings.Join(args, " "), OK: err == nil, Seconds: time.Since(t0).Seconds(),
		Output: strings.TrimSpace(string(out))}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

type cliResult struct {
	Command string  `json:"command"`
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"`
	Output  string  `json:"output"`
	Error   string  `json:"error,omitempty"`
}

// summary is the result on one line: "ok" or the last line of the output.
func (r cliResult) summary() string {
	last := r.Output
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if r.OK {
		return fmt.Sprintf("ok (%.1fs)", r.Seconds)
	}
	last = strings.TrimPrefix(last, "registro: ")
	if last == "" {
		last = r.Error
	}
	return "FAILED: " + last
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// procStatus reads a field of /proc/PID/status in bytes (0 when unknown).
func procStatus(pid int, field string) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		if len(fields) > 1 && fields[1] == "kB" {
			n *= 1024
		}
		return n
	}
	return 0
}

// walSize is the total size of the embedded store's SQLite write-ahead logs.
func walSize(dataDir string) int64 {
	if dataDir == "" {
		return 0
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "sqlite", "*-wal"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func dirSize(dir string) int64 {
	if dir == "" {
		return 0
	}
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// sampler polls the server's RSS and the WAL size every 200 ms, keeping the peaks of
// each phase.
type sampler struct {
	env   *runEnv
	mu    sync.Mutex
	phase string
	peaks map[string]*peak
	done  chan struct{}
	wg    sync.WaitGroup
}

type peak struct {
	RSS int64 `json:"rss_bytes"`
	WAL int64 `json:"wal_bytes"`
}

func newSampler(env *runEnv) *sampler {
	s := &sampler{env: env, peaks: map[string]*peak{"all": {}}, done: make(chan struct{})}
	s.wg.Add(1)
	go s.loop()
	return s
}

func (s *sampler) pid() int {
	if s.env.srv != nil {
		return int(s.env.srv.pid.Load())
	}
	return s.env.o.pid
}

func (s *sampler) loop() {
	defer s.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

func (s *sampler) sample() {
	rss := procStatus(s.pid(), "VmRSS")
	wal := walSize(s.env.dataDir)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range []string{"all", s.phase} {
		if name == "" {
			continue
		}
		p := s.peaks[name]
		if p == nil {
			p = &peak{}
			s.peaks[name] = p
		}
		p.RSS, p.WAL = max(p.RSS, rss), max(p.WAL, wal)
	}
}

func (s *sampler) setPhase(p string) {
	s.sample()
	s.mu.Lock()
	s.phase = p
	s.mu.Unlock()
}

func (s *sampler) get(phase string) peak {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.peaks[phase]; p != nil {
		return *p
	}
	return peak{}
}

// now is the latest RSS and WAL, for the progress line.
func (s *sampler) now() (rss, wal int64) {
	return procStatus(s.pid(), "VmRSS"), walSize(s.env.dataDir)
}

func (s *sampler) close() {
	select {
	case <-s.done:
	default:
		close(s.done)
		s.wg.Wait()
	}
}
