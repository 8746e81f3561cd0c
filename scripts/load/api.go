package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// apiClient speaks to Registro's JSON API over keep-alive connections shared by all
// clients.
type apiClient struct {
	base    string
	hc      *http.Client
	timeout time.Duration
	logf    func(string, ...any)
	limited sync.Once
}

func newAPIClient(base string, clients int, timeout time.Duration) *apiClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2*clients + 16,
		MaxIdleConnsPerHost: 2*clients + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &apiClient{base: base, hc: &http.Client{Transport: tr}, timeout: timeout}
}

// result is one request's outcome: a status and body, or a transport error.
type result struct {
	status int
	body   []byte
	header http.Header
	err    error
	dur    time.Duration
}

// key names the outcome in the error tables: the HTTP status, or "conn" for a broken
// or refused connection and "timeout" for a request over -timeout.
func (r result) key() string {
	if r.err != nil {
		var ne net.Error
		if errors.Is(r.err, context.DeadlineExceeded) || errors.As(r.err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "conn"
	}
	return strconv.Itoa(r.status)
}

func (r result) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	b := r.body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(b))
}

// do sends one request; hdr holds header name and value pairs.
func (a *apiClient) do(ctx context.Context, method, path, token string, body []byte, hdr ...string) result {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return result{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	t0 := time.Now()
	resp, err := a.hc.Do(req)
	if err != nil {
		return result{err: err, dur: time.Since(t0)}
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := result{status: resp.StatusCode, body: b, header: resp.Header, err: err, dur: time.Since(t0)}
	return r
}

// account is a signed-in user; its token is renewed when the server forgets it.
type account struct {
	username, password string
	mu                 sync.Mutex
	token              string
}

func (acc *account) current() string {
	acc.mu.Lock()
	defer acc.mu.Unlock()
	return acc.token
}

// renew signs in again unless another client already did since stale was read.
func (acc *account) renew(ctx context.Context, api *apiClient, stale string) error {
	acc.mu.Lock()
	defer acc.mu.Unlock()
	if acc.token != stale {
		return nil
	}
	return acc.loginLocked(ctx, api, 30*time.Second)
}

func (acc *account) login(ctx context.Context, api *apiClient, patience time.Duration) error {
	acc.mu.Lock()
	defer acc.mu.Unlock()
	return acc.loginLocked(ctx, api, patience)
}

// loginLocked signs in, waiting out the sign-in rate limit (429) and a server that is
// not answering, for up to patience.
func (acc *account) loginLocked(ctx context.Context, api *apiClient, patience time.Duration) error {
	body, _ := json.Marshal(map[string]string{"username": acc.username, "password": acc.password})
	deadline := time.Now().Add(patience)
	for {
		r := api.do(ctx, http.MethodPost, "/api/v1/login", "", body)
		if r.err == nil && r.status == http.StatusOK {
			var out struct {
				Token string `json:"token"`
				User  struct {
					MustChangePassword bool `json:"must_change_password"`
				} `json:"user"`
			}
			if err := json.Unmarshal(r.body, &out); err != nil || out.Token == "" {
				return fmt.Errorf("sign in as %s: no token in %s", acc.username, r)
			}
			acc.token = out.Token
			if out.User.MustChangePassword {
				// A password someone else set (the admin's printed one, or one the run
				// set): its first session must replace it, as a person's would.
				return acc.ownPassword(ctx, api)
			}
			return nil
		}
		retry := r.err != nil || r.status == http.StatusTooManyRequests || r.status >= 500
		if !retry || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("sign in as %s: %s", acc.username, r)
		}
		wait := 200 * time.Millisecond
		if r.status == http.StatusTooManyRequests {
			wait = 5 * time.Second
			if api.logf != nil {
				api.limited.Do(func() {
					api.logf("sign-in is rate-limited (429, REGISTRO_LOGIN_LIMIT per minute per address): waiting it out")
				})
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// ownPassword replaces a password someone else set with the account's own; the
// session stays open.
func (acc *account) ownPassword(ctx context.Context, api *apiClient) error {
	own := "own-" + strings.ToLower(rand.Text())
	body, _ := json.Marshal(map[string]string{"current": acc.password, "new": own})
	r := api.do(ctx, http.MethodPost, "/api/v1/me/password", acc.token, body)
	if r.err != nil || r.status != http.StatusNoContent {
		return fmt.Errorf("%s chooses her own password: %s", acc.username, r)
	}
	acc.password = own
	return nil
}

// setup reads the vocabularies and, as admin, creates the run's organization (unless
// -org), its coordinator and the worker accounts, and signs them all in.
func (env *runEnv) setup(ctx context.Context) error {
	o := env.o
	r := env.api.do(ctx, http.MethodGet, "/api/v1/vocabularies", "", nil)
	if r.err != nil || r.status != http.StatusOK {
		return fmt.Errorf("GET /api/v1/vocabularies: %s", r)
	}
	v, err := parseVocab(r.body)
	if err != nil {
		return err
	}
	env.vocab = v

	env.admin = &account{username: o.adminUser, password: env.o.adminPassword}
	if env.admin.password == "" {
		return errors.New("the admin password is needed with -url: -admin-password or $REGISTRO_LOAD_ADMIN_PASSWORD")
	}
	if err := env.admin.login(ctx, env.api, 3*time.Minute); err != nil {
		return err
	}
	// The admin creates the organization and its first coordinator; the coordinator
	// creates her workers (an admin never creates accounts that read cases).
	token := env.admin.current()
	post := func(path string, body any) error {
		b, _ := json.Marshal(body)
		r := env.api.do(ctx, http.MethodPost, path, token, b)
		if r.err != nil || r.status != http.StatusCreated {
			return fmt.Errorf("POST %s: %s", path, r)
		}
		return nil
	}
	if o.org != "" {
		env.org = strings.ToUpper(o.org)
	} else {
		env.org = "LD" + upperLetters(6)
		if err := post("/api/v1/orgs", map[string]string{"code": env.org, "name": "Load test " + env.run}); err != nil {
			return err
		}
	}
	newAccount := func(name, role string) (*account, error) {
		acc := &account{username: name, password: rand.Text()}
		return acc, post("/api/v1/users", map[string]string{"username": name, "role": role, "org": env.org, "password": acc.password})
	}
	if env.coord, err = newAccount("load-"+env.run+"-coord", "coordinator"); err != nil {
		return fmt.Errorf("%w (with -org, the organization must not have a coordinator yet)", err)
	}
	if err := env.coord.login(ctx, env.api, 3*time.Minute); err != nil {
		return err
	}
	token = env.coord.current()
	for i := range o.users {
		w, err := newAccount(fmt.Sprintf("load-%s-w%03d", env.run, i+1), "outreach")
		if err != nil {
			return err
		}
		env.workers = append(env.workers, w)
	}
	env.logf("setup: organization %s, coordinator %s and %d outreach workers created; signing in", env.org, env.coord.username, len(env.workers))
	all := env.workers
	errs := make(chan error, len(all))
	sem := make(chan struct{}, 4)
	for _, acc := range all {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- acc.login(ctx, env.api, 3*time.Minute)
		}()
	}
	for range all {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

func upperLetters(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = 'A' + b[i]%26
	}
	return string(b)
}
