package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"registro/accounts"
)

func TestPagesOwnPassword(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	rosa, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	otherPhone := ts.signedIn(t, "rosa", passwordOf("rosa"))

	st, body := w.get(t, "/account")
	wantPage(t, "own account", st, body, http.StatusOK, "Mi cuenta", "rosa", "promotora", "Cambiar mi contraseña")
	if !strings.Contains(body, `href="/account"`) {
		t.Error("the header does not link to the own account page")
	}

	const newPassword = "la luna sale por el cerro"
	for _, tc := range []struct {
		name                   string
		current, next, confirm string
		field, problem         string
	}{
		{"ErrWrongCurrent", "not my password", newPassword, newPassword, "current_password", "La contraseña actual no es correcta."},
		{"ErrMismatch", passwordOf("rosa"), newPassword, newPassword + "!", "confirm_password", "No es igual a la contraseña nueva."},
		{"ErrTooShort", passwordOf("rosa"), "corta", "corta", "new_password", "Debe tener al menos 10 caracteres."},
		{"ErrUsername", passwordOf("rosa"), "rosa", "rosa", "new_password", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := w.post(t, "/account/password", url.Values{"current_password": {tc.current},
				"new_password": {tc.next}, "confirm_password": {tc.confirm}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			if !strings.Contains(body, `id="e-`+tc.field+`"`) || !strings.Contains(body, tc.problem) {
				t.Errorf("no problem %q beside %s", tc.problem, tc.field)
			}
			for _, typed := range []string{tc.current, tc.next} {
				if strings.Contains(body, `value="`+typed+`"`) {
					t.Errorf("a typed password is shown back")
				}
			}
		})
	}
	if res, _ := w.post(t, "/account/password", url.Values{"csrf_token": {"forged"}, "current_password": {passwordOf("rosa")},
		"new_password": {newPassword}, "confirm_password": {newPassword}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d, want 403", res.StatusCode)
	}

	res, _ := w.post(t, "/account/password", url.Values{"current_password": {passwordOf("rosa")},
		"new_password": {newPassword}, "confirm_password": {newPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=password" {
		t.Fatalf("change: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// She stays signed in on this phone; her other sessions end; only the new password works.
	st, body = w.get(t, "/account?done=password")
	wantPage(t, "after the change", st, body, http.StatusOK, "Su contraseña cambió")
	if st, _ := otherPhone.get(t, "/"); st != http.StatusSeeOther {
		t.Errorf("the other phone's session still works after the change: %d", st)
	}
	if err := ts.newWebSession(t).trySignIn(t, "rosa", passwordOf("rosa")); err == nil {
		t.Error("the old password still signs in")
	}
	ts.signedIn(t, "rosa", newPassword)

	entries := auditEntries(t, ts, "LIM", "user.password")
	if !hasAuditEntry(entries, rosa.ID, rosa.ID, "ok") || !hasAuditEntry(entries, rosa.ID, rosa.ID, "failed") {
		t.Errorf("the access log lacks the change and the failed check: %+v", entries)
	}
	if strings.Contains(ts.Logs.String(), newPassword) {
		t.Error("the new password reached the server log")
	}
}

// TestPagesOwnPasswordLockout: the current-password check counts like a sign-in, so
// the form cannot be used to guess a password on an unattended phone.
func TestPagesOwnPasswordLockout(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	_, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	for i := range 5 {
		res, _ := w.post(t, "/account/password", url.Values{"current_password": {"guess"},
			"new_password": {"otra contraseña larga"}, "confirm_password": {"otra contraseña larga"}})
		// The fifth failure locks the account, as at sign-in.
		if want := map[bool]int{true: http.StatusTooManyRequests, false: http.StatusUnprocessableEntity}[i == 4]; res.StatusCode != want {
			t.Fatalf("guess %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	res, body := w.post(t, "/account/password", url.Values{"current_password": {passwordOf("rosa")},
		"new_password": {"otra contraseña larga"}, "confirm_password": {"otra contraseña larga"}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Demasiados intentos") {
		t.Fatalf("after five wrong guesses: %d, want 429", res.StatusCode)
	}
}
