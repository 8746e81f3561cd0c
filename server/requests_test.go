package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"registro/cases"
	"registro/validation"
)

// request is one HTTP call. Body is sent as is when it is []byte or string, and as
// JSON otherwise (nil: no body); a body goes with Content-Type: application/json.
// Header replaces what send sets (a key with no values removes it).
type request struct {
	method, path, token string
	body                any
	header              http.Header
	cookies             []*http.Cookie
}

// send makes the call and returns the response with its body read.
func (ts *testServer) send(r request) (*http.Response, []byte, error) {
	var rd io.Reader
	switch b := r.body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(r.method, ts.URL+r.path, rd)
	if err != nil {
		return nil, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, vs := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

// try is do without failing the test, for goroutines: it returns the status and the
// decoded JSON object (nil for an empty or non-object body).
func (ts *testServer) try(method, path, token string, body any) (int, map[string]any, error) {
	resp, raw, err := ts.send(request{method: method, path: path, token: token, body: body})
	if err != nil {
		return 0, nil, err
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return resp.StatusCode, m, nil
}

// do makes one call with a bearer token ("" for none) and returns the status and the
// decoded JSON object.
func (ts *testServer) do(tb testing.TB, method, path, token string, body any) (int, map[string]any) {
	tb.Helper()
	st, m, err := ts.try(method, path, token, body)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return st, m
}

// caseInput is a valid new case; change edits it before it is sent.
func (ts *testServer) caseInput(change func(map[string]any)) map[string]any {
	in := map[string]any{
		"incident": map[string]any{
			"date":           ts.Clock.Now().AddDate(0, 0, -20).Format(time.DateOnly),
			"date_precision": "day", "district": "150115", "place": "street",
		},
		"perpetrators": []string{"serenazgo", "police"},
		"violations":   []string{"physical"},
		"consent":      map[string]any{"record": true, "statistics": true, "legal_sharing": true},
		"narrative":    "Fue detenida en la vía pública sin motivo.",
	}
	if change != nil {
		change(in)
	}
	return in
}

// mustCreateCase records a case through the API and returns its id.
func (ts *testServer) mustCreateCase(tb testing.TB, token string, change func(map[string]any)) string {
	tb.Helper()
	st, body := ts.do(tb, http.MethodPost, "/api/v1/cases", token, ts.caseInput(change))
	if st != http.StatusCreated {
		tb.Fatalf("create case: status %d, body %v", st, body)
	}
	id, _ := body["id"].(string)
	if id == "" {
		tb.Fatalf("create case: no id in %v", body)
	}
	return id
}

// storedCase reads a case straight from the store, whoever may see it.
func (ts *testServer) storedCase(tb testing.TB, id string) *cases.Case {
	tb.Helper()
	k, err := ts.Cases.Case(context.Background(), id, func(*cases.Case) bool { return true })
	if err != nil {
		tb.Fatalf("store: case %s: %v", id, err)
	}
	return k
}

// version is the stored version of a case, or 1 for one that does not exist, so that
// an update body is valid whatever the case.
func (ts *testServer) version(id string) int64 {
	k, err := ts.Cases.Case(context.Background(), id, func(*cases.Case) bool { return true })
	if err != nil {
		return 1
	}
	return k.Version
}

// listIDs lists the cases the token may see and returns their ids.
func (ts *testServer) listIDs(tb testing.TB, token string) (int, []string) {
	tb.Helper()
	st, ids, err := ts.tryListIDs(token)
	if err != nil {
		tb.Fatal(err)
	}
	return st, ids
}

func (ts *testServer) tryListIDs(token string) (int, []string, error) {
	st, body, err := ts.try(http.MethodGet, "/api/v1/cases?limit=200", token, nil)
	if err != nil || st != http.StatusOK {
		return st, nil, err
	}
	list, ok := body["cases"].([]any)
	if !ok {
		return st, nil, fmt.Errorf("list: no cases array in %v", body)
	}
	ids := []string{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["id"].(string)
		ids = append(ids, id)
	}
	return st, ids, nil
}

// errorOf returns the code of an error body in the one error shape, failing the test
// when the body has another shape.
func errorOf(tb testing.TB, body map[string]any) (code, message string, fields map[string]any) {
	tb.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok || len(body) != 1 {
		tb.Fatalf("body %v is not {\"error\": {...}}", body)
	}
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	if code == "" || message == "" {
		tb.Fatalf("error %v lacks a code or a message", e)
	}
	fields, _ = e["fields"].(map[string]any)
	for k := range e {
		if k != "code" && k != "message" && k != "fields" && k != "problems" {
			tb.Errorf("error %v has an unexpected member %q", e, k)
		}
	}
	// Every field's problem is there twice: in English, and by code with its arguments.
	problems, _ := e["problems"].(map[string]any)
	if len(problems) != len(fields) {
		tb.Errorf("error %v: %d fields but %d problems", e, len(fields), len(problems))
	}
	for f, text := range fields {
		p, _ := problems[f].(map[string]any)
		c, _ := p["code"].(string)
		args, _ := p["args"].(map[string]any)
		english, known := validation.EnglishTemplate(validation.Code(c))
		if !known {
			tb.Errorf("error %v: field %s has no known problem code (%v)", e, f, problems[f])
			continue
		}
		for name := range args {
			if !strings.Contains(english, "."+name) {
				tb.Errorf("error %v: problem %s of %s has argument %s its text does not name", e, c, f, name)
			}
		}
		if s, _ := text.(string); s == "" {
			tb.Errorf("error %v: field %s without its English text", e, f)
		}
	}
	return code, message, fields
}

// wantError checks a response status and its error code.
func wantError(tb testing.TB, gotStatus int, body map[string]any, wantStatus int, wantCode string) map[string]any {
	tb.Helper()
	if gotStatus != wantStatus {
		tb.Fatalf("status %d, want %d (body %v)", gotStatus, wantStatus, body)
	}
	code, _, fields := errorOf(tb, body)
	if code != wantCode {
		tb.Errorf("error code %q, want %q (body %v)", code, wantCode, body)
	}
	return fields
}

// mustSend is send that fails the test on a transport error.
func mustSend(tb testing.TB, ts *testServer, r request) (*http.Response, []byte) {
	tb.Helper()
	resp, raw, err := ts.send(r)
	if err != nil {
		tb.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return resp, raw
}

// decodeObject decodes a JSON object body.
func decodeObject(tb testing.TB, raw []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("body is not a JSON object: %q", raw)
	}
	return m
}

// inParallel runs f(0), …, f(n-1) side by side (at most four at a time, argon2 hashes
// being memory-hungry) and fails the test with their errors.
func inParallel(tb testing.TB, n int, f func(i int) error) {
	tb.Helper()
	sem := make(chan struct{}, 4)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
}

// expect turns an unexpected answer into an error, for code running in goroutines.
func expect(what string, want, st int, body map[string]any, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if st != want {
		return fmt.Errorf("%s: status %d, want %d (body %v)", what, st, want, body)
	}
	return nil
}

// tryLogin is login for goroutines.
func (ts *testServer) tryLogin(username, password string) (string, error) {
	st, body, err := ts.try(http.MethodPost, "/api/v1/login", "", map[string]string{"username": username, "password": password})
	if err := expect("login "+username, http.StatusOK, st, body, err); err != nil {
		return "", err
	}
	token, _ := body["token"].(string)
	if token == "" {
		return "", fmt.Errorf("login %s: no token in %v", username, body)
	}
	return token, nil
}
