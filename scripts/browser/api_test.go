package browser

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// apiCall sends body (nil: none) as JSON with the bearer token ("" for none) and
// returns the status and the JSON object answered.
func apiCall(t *testing.T, base, method, path, token string, body []byte) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// apiSignIn signs in over the API and returns the token.
func apiSignIn(t *testing.T, base, user, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	st, out := apiCall(t, base, http.MethodPost, "/api/v1/login", "", b)
	token, _ := out["token"].(string)
	if st != http.StatusOK || token == "" {
		t.Fatalf("sign-in of %s over the API: %d %v", user, st, out)
	}
	return token
}

// apiOwnPassword signs in with a password someone else set and replaces it with the
// same password's owner-chosen twin, own, as every first session must before anything
// else; it returns a session token that reaches everything the role may.
func apiOwnPassword(t *testing.T, base, user, given, own string) string {
	t.Helper()
	token := apiSignIn(t, base, user, given)
	b, _ := json.Marshal(map[string]string{"current": given, "new": own})
	if st, out := apiCall(t, base, http.MethodPost, "/api/v1/me/password", token, b); st != http.StatusNoContent {
		t.Fatalf("%s chooses her password over the API: %d %v", user, st, out)
	}
	return token
}

// signIns counts the successful sign-ins of the account id in its organization's
// access log, as its auditor reads it over the API.
func signIns(t *testing.T, base, auditorToken, id string) int {
	t.Helper()
	st, out := apiCall(t, base, http.MethodGet, "/api/v1/audit?action=login&limit=500&object="+url.QueryEscape(id), auditorToken, nil)
	entries, ok := out["entries"].([]any)
	if st != http.StatusOK || !ok {
		t.Fatalf("the access log over the API: %d %v", st, out)
	}
	n := 0
	for _, e := range entries {
		e, _ := e.(map[string]any)
		if e["object"] == id && e["action"] == "login" && e["outcome"] == "ok" {
			n++
		}
	}
	return n
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInFormToken fetches the sign-in form as the attacker's server would and returns
// its token, which is also the value of its registro_pre cookie.
func signInFormToken(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := csrfInput.FindSubmatch(page)
	var pre string
	for _, c := range resp.Cookies() {
		if c.Name == "registro_pre" {
			pre = c.Value
		}
	}
	if m == nil || pre == "" || string(m[1]) != pre {
		t.Fatalf("sign-in form: token %q, cookie %q; want the same value in both", m, pre)
	}
	return pre
}
