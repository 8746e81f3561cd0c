package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"registro/accounts"
)

// TestPasswordSetBySomeoneElse: an account whose password a coordinator set can do
// nothing but change it, over the API and on the pages; whoever knew the password it
// was given cannot use the account for anything else meanwhile, and after the change
// that password opens nothing.
func TestPasswordSetBySomeoneElse(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, coord := ts.mustUserToken(t, "LIM", "coord", accounts.RoleCoordinator)
	st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "rosa", "role": "outreach"})
	if st != http.StatusCreated {
		t.Fatalf("create rosa: %d %v", st, body)
	}
	given := body["password"].(string)
	token := ts.login(t, "rosa", given)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/cases"}, {http.MethodPost, "/api/v1/cases"}, {http.MethodGet, "/api/v1/me/sessions"},
		{http.MethodPost, "/api/v1/me/second-factor"}, {http.MethodGet, "/api/v1/vocabularies?x=1"},
	} {
		st, body := ts.do(t, r.method, r.path, token, ts.caseInput(nil))
		if r.path == "/api/v1/vocabularies?x=1" {
			if st != http.StatusOK {
				t.Errorf("the open vocabularies: %d", st)
			}
			continue
		}
		wantError(t, st, body, http.StatusForbidden, "password_change_required")
	}
	if st, body := ts.do(t, http.MethodGet, "/api/v1/me", token, nil); st != http.StatusOK || body["user"].(map[string]any)["must_change_password"] != true {
		t.Errorf("/me before the change: %d %v", st, body)
	}
	// The pages send her to her account page.
	w := ts.newWebSession(t)
	if err := w.trySignIn(t, "rosa", given); err == nil || !strings.Contains(err.Error(), "303") {
		t.Errorf("page sign-in with the given password: %v, want a redirect to the account page", err)
	}
	if res, _ := w.fetch(t, "/cases"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
		t.Errorf("/cases before the change: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/password", token, map[string]any{"current": "not it", "new": "mi propia frase de paso"})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/password", token, map[string]any{"current": given, "new": "password123!"})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	if st, body := ts.do(t, http.MethodPost, "/api/v1/me/password", token, map[string]any{"current": given, "new": "mi propia frase de paso"}); st != http.StatusNoContent {
		t.Fatalf("change: %d %v", st, body)
	}
	if st, body := ts.do(t, http.MethodGet, "/api/v1/cases", token, nil); st != http.StatusOK {
		t.Errorf("after the change, the same session lists cases: %d %v", st, body)
	}
	if res, _ := w.fetch(t, "/"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the page session opened with the given password survives the change: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if st, _, _ := ts.try(http.MethodPost, "/api/v1/login", "", map[string]string{"username": "rosa", "password": given}); st != http.StatusUnauthorized {
		t.Errorf("the given password after the change: %d", st)
	}
}

// TestSecondFactor: with second factors required, a coordinator's session can only set
// one up; once on, a sign-in needs a code, a code works once, and a recovery code
// works once instead of a code. (That a stranger hammering her username cannot keep
// her out is the accounts package's TestAttackerCannotKeepOwnerOut.)
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t).secondFactorRequired(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "coord", accounts.RoleCoordinator)
	login := func(code string) (int, map[string]any) {
		return ts.do(t, http.MethodPost, "/api/v1/login", "", map[string]string{"username": "coord", "password": passwordOf("coord"), "code": code})
	}
	st, body := login("")
	if st != http.StatusOK || body["user"].(map[string]any)["must_enrol_second_factor"] != true {
		t.Fatalf("first sign-in: %d %v", st, body)
	}
	token := body["token"].(string)
	st, body = ts.do(t, http.MethodGet, "/api/v1/cases", token, nil)
	wantError(t, st, body, http.StatusForbidden, "second_factor_enrolment_required")
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/second-factor", token, nil)
	if st != http.StatusCreated || body["secret"] == nil || !strings.HasPrefix(body["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("begin: %d %v", st, body)
	}
	secret := body["secret"].(string)
	code := func() string {
		c, err := totp.GenerateCode(secret, ts.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/second-factor/confirm", token, map[string]any{"code": "000000"})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/second-factor/confirm", token, map[string]any{"code": code()})
	if st != http.StatusOK {
		t.Fatalf("confirm: %d %v", st, body)
	}
	recovery := body["recovery_codes"].([]any)
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes", len(recovery))
	}
	if st, _ := ts.do(t, http.MethodGet, "/api/v1/cases", token, nil); st != http.StatusOK {
		t.Errorf("after enrolment: %d", st)
	}
	st, body = ts.do(t, http.MethodPost, "/api/v1/me/second-factor", token, nil)
	wantError(t, st, body, http.StatusConflict, "second_factor_active")

	ts.Clock.Advance(time.Minute) // the enrolment's code is spent
	st, body = login("")
	wantError(t, st, body, http.StatusUnauthorized, "second_factor_required")
	now := code()
	if st, body := login(now); st != http.StatusOK {
		t.Fatalf("sign-in with a code: %d %v", st, body)
	}
	st, body = login(now)
	wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials") // a code works once
	if st, body := login(recovery[0].(string)); st != http.StatusOK {
		t.Fatalf("sign-in with a recovery code: %d %v", st, body)
	}
	st, body = login(recovery[0].(string))
	wantError(t, st, body, http.StatusUnauthorized, "invalid_credentials")
}

// TestRemoveSecondFactor: a lost phone. Whoever manages the account removes its second
// factor (a coordinator for her team, another coordinator for a coordinator), never the
// admin for an account that reads cases, nor anyone her own; a password reset leaves
// it on; the owner then sets up a new one.
func TestRemoveSecondFactor(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "ADM")
	_, admin := ts.mustUserToken(t, "ADM", "jefa", accounts.RoleAdmin)
	_, eva := ts.mustUserToken(t, "LIM", "eva", accounts.RoleCoordinator)
	coco, cocoToken := ts.mustUserToken(t, "LIM", "coco", accounts.RoleCoordinator)
	st, body := ts.do(t, http.MethodPost, "/api/v1/me/second-factor", cocoToken, nil)
	if st != http.StatusCreated {
		t.Fatalf("begin: %d %v", st, body)
	}
	c, _ := totp.GenerateCode(body["secret"].(string), ts.Clock.Now())
	if st, body := ts.do(t, http.MethodPost, "/api/v1/me/second-factor/confirm", cocoToken, map[string]any{"code": c}); st != http.StatusOK {
		t.Fatalf("confirm: %d %v", st, body)
	}
	on := func() bool {
		u, err := ts.Accounts.User(context.Background(), coco.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.SecondFactor
	}
	st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+coco.ID, admin, map[string]any{"second_factor": false})
	wantError(t, st, body, http.StatusForbidden, "forbidden")
	st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+coco.ID, cocoToken, map[string]any{"second_factor": false})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	if st, body := ts.do(t, http.MethodPatch, "/api/v1/users/"+coco.ID, eva, map[string]any{"password": "una clave nueva para coco"}); st != http.StatusOK || !on() {
		t.Fatalf("a password reset: %d %v; second factor still on: %v", st, body, on())
	}
	st, body = ts.do(t, http.MethodPatch, "/api/v1/users/"+coco.ID, eva, map[string]any{"second_factor": true})
	wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
	if st, body := ts.do(t, http.MethodPatch, "/api/v1/users/"+coco.ID, eva, map[string]any{"second_factor": false}); st != http.StatusOK || on() {
		t.Fatalf("eva removes coco's second factor: %d %v; still on: %v", st, body, on())
	}
	entries := auditEntries(t, ts, "LIM", "user.update")
	if len(entries) == 0 || !strings.Contains(entries[0].Detail, "second_factor") {
		t.Errorf("the removal is not in the access log: %+v", entries)
	}
}
