package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"registro/accounts"
)

func TestPagesAccountOwnPassword(t *testing.T) {
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
		{"ErrCommon", passwordOf("rosa"), "password123!", "password123!", "new_password", "Es una de las contraseñas más usadas"},
		{"ErrRepeats", passwordOf("rosa"), "holaholahola", "holaholahola", "new_password", "Se repite a sí misma."},
		{"ErrContext", passwordOf("rosa"), "Rosa.Registro2026", "Rosa.Registro2026", "new_password", "Está hecha con su usuario"},
		{"ErrSameAsCurrent", passwordOf("rosa"), passwordOf("rosa"), passwordOf("rosa"), "new_password", "Debe ser distinta de la contraseña actual."},
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
	// The refused check is logged as the API logs it (its op is shared): invalid.
	refused := hasAuditEntry(entries, rosa.ID, rosa.ID, "invalid") || hasAuditEntry(entries, rosa.ID, rosa.ID, "failed")
	if !hasAuditEntry(entries, rosa.ID, rosa.ID, "ok") || !refused {
		t.Errorf("the access log lacks the change and the failed check: %+v", entries)
	}
	if strings.Contains(ts.Logs.String(), newPassword) {
		t.Error("the new password reached the server log")
	}
}

// TestPagesAccountOwnPasswordLockout: the current-password check counts like a
// sign-in, so the form cannot be used to guess a password on an unattended phone.
func TestPagesAccountOwnPasswordLockout(t *testing.T) {
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

// signInOnly signs in through the form and stops at its redirect, wherever it leads:
// an account that is not ready is sent to its own page rather than home.
func signInOnly(tb testing.TB, ts *testServer, username, password string) *webSession {
	tb.Helper()
	w := ts.newWebSession(tb)
	if st, _ := w.get(tb, "/login"); st != http.StatusOK {
		tb.Fatalf("GET /login: %d", st)
	}
	if res, body := w.post(tb, "/login", url.Values{"username": {username}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign-in of %s: %d\n%s", username, res.StatusCode, body)
	}
	return w
}

// TestPagesAccountMustChangePassword: after a reset by someone else, the account page
// opens with changing the password; changing it keeps this session, ends the others
// and lifts the flag.
func TestPagesAccountMustChangePassword(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	rosa := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	given := "contraseña dada por la coordinadora"
	if _, err := ts.Accounts.UpdateUser(ctx, rosa.ID, accounts.UserPatch{Password: &given}); err != nil {
		t.Fatal(err)
	}
	w := signInOnly(t, ts, "rosa", given)
	otherPhone := signInOnly(t, ts, "rosa", given)

	st, body := w.get(t, "/account")
	wantPage(t, "must change", st, body, http.StatusOK,
		"Elija ahora su propia contraseña: la que le dieron la vio otra persona.", `id="must-change"`)
	if i, j := strings.Index(body, `id="password"`), strings.Index(body, `id="account-username"`); i < 0 || i > j {
		t.Error("the password form does not come first")
	}
	for _, form := range []string{`id="begin-factor"`, `id="end-others"`} {
		if strings.Contains(body, form) {
			t.Errorf("the page offers %s before the password is her own", form)
		}
	}

	const mine = "mi casa tiene ventanas azules"
	res, _ := w.post(t, "/account/password", url.Values{"current_password": {given},
		"new_password": {mine}, "confirm_password": {mine}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=password" {
		t.Fatalf("change: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	st, body = w.get(t, "/account?done=password")
	wantPage(t, "after the change", st, body, http.StatusOK, "Su contraseña cambió", `id="begin-factor"`)
	if strings.Contains(body, `id="must-change"`) {
		t.Error("the notice stays after the change")
	}
	if u, err := ts.Accounts.User(ctx, "rosa"); err != nil || u.MustChangePassword {
		t.Errorf("MustChangePassword after the change: %v (%v)", u.MustChangePassword, err)
	}
	if st, _ := otherPhone.get(t, "/account"); st != http.StatusSeeOther {
		t.Errorf("the other session still works: %d", st)
	}
	if st, _ := w.get(t, "/"); st != http.StatusOK {
		t.Errorf("home after the change: %d", st)
	}
}

// secretOnPage is the TOTP secret the page shows for typing by hand, without spaces.
var secretOnPage = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7 ]+)</code>`)

// qrOnPage is the QR code's image.
var qrOnPage = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

// recoveryOnPage is one recovery code as the page shows it.
var recoveryOnPage = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)

func TestPagesAccountSecondFactorEnrol(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	rosa, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)

	st, body := w.get(t, "/account")
	wantPage(t, "before", st, body, http.StatusOK, "FreeOTP, Aegis o Google Authenticator", "No activado", `id="begin-factor"`)
	if strings.Contains(body, `id="factor-required"`) {
		t.Error("an outreach account is told she must have a second factor")
	}

	res, body := w.post(t, "/account/second-factor/confirm", url.Values{"code": {"123456"}})
	wantPage(t, "not begun", res.StatusCode, body, http.StatusUnprocessableEntity, `id="e-code"`, "El código QR venció")

	res, body = w.post(t, "/account/second-factor/begin", nil)
	wantPage(t, "begun", res.StatusCode, body, http.StatusOK, `id="confirm-factor"`, `id="totp-qr"`)
	qr := qrOnPage.FindStringSubmatch(html.UnescapeString(body)) // "+" is written &#43;
	if qr == nil {
		t.Fatal("no QR code as a data:image/png")
	}
	if png, err := base64.StdEncoding.DecodeString(qr[1]); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("the QR code is no PNG (%v)", err)
	}
	m := secretOnPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no secret to type by hand")
	}
	if !strings.Contains(m[1], " ") {
		t.Errorf("the secret %q is not grouped", m[1])
	}
	secret := strings.ReplaceAll(m[1], " ", "")

	right, err := totp.GenerateCode(secret, ts.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(right)
	wrong := fmt.Sprintf("%06d", (n+1)%1000000)
	res, body = w.post(t, "/account/second-factor/confirm", url.Values{"code": {wrong}})
	wantPage(t, "wrong code", res.StatusCode, body, http.StatusUnprocessableEntity,
		`id="e-code"`, "Ese código no es el correcto.", `id="confirm-factor"`)

	res, body = w.post(t, "/account/second-factor/confirm", url.Values{"code": {right}})
	wantPage(t, "confirmed", res.StatusCode, body, http.StatusCreated, "Sus códigos de recuperación", "Anótelos ahora", `id="factor-active"`)
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	codes := recoveryOnPage.FindAllStringSubmatch(body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}

	st, body = w.get(t, "/account")
	wantPage(t, "after", st, body, http.StatusOK, "Activo", "Le quedan 10 códigos de recuperación", "su coordinadora puede quitarlo")
	for _, gone := range []string{`id="begin-factor"`, `id="recovery-codes"`, codes[0][1]} {
		if strings.Contains(body, gone) {
			t.Errorf("the page still shows %s", gone)
		}
	}
	if u, err := ts.Accounts.User(context.Background(), "rosa"); err != nil || !u.SecondFactor {
		t.Errorf("SecondFactor after confirming: %v (%v)", u.SecondFactor, err)
	}

	// A session may not replace the factor: it may be stolen.
	res, body = w.post(t, "/account/second-factor/begin", nil)
	wantPage(t, "again", res.StatusCode, body, http.StatusConflict, `id="e-second_factor"`, "Ya tiene un segundo factor activo")
	if strings.Contains(body, `id="totp-qr"`) {
		t.Error("a second enrolment was begun")
	}

	entries := auditEntries(t, ts, "LIM", "user.second_factor")
	for _, outcome := range []string{"ok", "invalid", "denied"} {
		if !hasAuditEntry(entries, rosa.ID, rosa.ID, outcome) {
			t.Errorf("no %s entry in %+v", outcome, entries)
		}
	}
	for _, e := range entries {
		for _, c := range append([]string{secret, right, wrong}, codes[0][1]) {
			if strings.Contains(e.Detail, c) {
				t.Errorf("a code reached the access log: %q", e.Detail)
			}
		}
	}
	for _, c := range []string{secret, codes[0][1]} {
		if strings.Contains(ts.Logs.String(), c) {
			t.Error("a secret reached the server log")
		}
	}
}

// TestPagesAccountSecondFactorRequired: where the installation requires it, a role
// that needs a second factor is told so, and the page opens with it.
func TestPagesAccountSecondFactorRequired(t *testing.T) {
	ts := newTestServer(t).secondFactorRequired(t)
	ts.mustOrg(t, "LIM")
	ts.mustUser(t, "LIM", "coord", accounts.RoleCoordinator)
	ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)

	st, body := signInOnly(t, ts, "coord", passwordOf("coord")).get(t, "/account")
	wantPage(t, "coordinator", st, body, http.StatusOK, "Su rol lo necesita: hasta activarlo solo puede usar esta página.")
	if i, j := strings.Index(body, `id="second-factor"`), strings.Index(body, `id="account-username"`); i < 0 || i > j {
		t.Error("the second factor does not come first")
	}
	st, body = signInOnly(t, ts, "rosa", passwordOf("rosa")).get(t, "/account")
	wantPage(t, "outreach", st, body, http.StatusOK, `id="begin-factor"`)
	if strings.Contains(body, `id="factor-required"`) {
		t.Error("an outreach account is told she must have a second factor")
	}
}

func TestPagesAccountEndOtherSessions(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	rosa, w := ts.webUser(t, "LIM", "rosa", accounts.RoleOutreach)
	otherPhone := ts.signedIn(t, "rosa", passwordOf("rosa"))

	st, body := w.get(t, "/account")
	wantPage(t, "two sessions", st, body, http.StatusOK, "Sesiones abiertas", "esta sesión", "Cerrar las demás sesiones")
	if n := strings.Count(body, `<tr class="session`); n != 2 {
		t.Errorf("%d sessions listed, want 2", n)
	}
	if n := strings.Count(body, `current-session`); n != 1 {
		t.Errorf("%d sessions marked as this one, want 1", n)
	}

	res, _ := w.post(t, "/account/sessions/end-others", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account?done=sessions" {
		t.Fatalf("end others: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	st, body = w.get(t, "/account?done=sessions")
	wantPage(t, "after", st, body, http.StatusOK, "Se cerraron sus demás sesiones")
	if n := strings.Count(body, `<tr class="session`); n != 1 {
		t.Errorf("%d sessions listed, want 1", n)
	}
	if st, _ := otherPhone.get(t, "/account"); st != http.StatusSeeOther {
		t.Errorf("the other session still works: %d", st)
	}
	if !hasAuditEntry(auditEntries(t, ts, "LIM", "user.sessions"), rosa.ID, rosa.ID, "ok") {
		t.Error("the access log lacks the ending")
	}
}
