package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"registro/accounts"
)

var wsNewPassword = regexp.MustCompile(`<code id="new-password">([^<]+)</code>`)

// wsPassword is the password a result page shows once.
func wsPassword(tb testing.TB, body string) string {
	tb.Helper()
	m := wsNewPassword.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no #new-password on the page:\n%s", body)
	}
	return m[1]
}

// TestPagesAccounts: a coordinator manages her organization's accounts through the
// forms, with the API's rules: no admin, not her own role, not another organization.
func TestPagesAccounts(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	me := ts.mustUser(t, "LIM", "coordina", accounts.RoleCoordinator)
	other := ts.mustUser(t, "CAL", "otra.org", accounts.RoleOutreach)
	w := ts.signedIn(t, "coordina", passwordOf("coordina"))

	resp, body := w.fetch(t, "/accounts")
	wantPage(t, "accounts", resp.StatusCode, body, http.StatusOK, `<table id="accounts"`, `<form id="new-account"`, "coordina", "Crear la cuenta")
	if strings.Contains(body, "otra.org") || strings.Contains(body, `value="admin"`) {
		t.Errorf("a coordinator sees another organization's account or the admin role")
	}

	resp, body = w.post(t, "/accounts", url.Values{"username": {"rosa.p"}, "role": {"outreach"}, "password": {""}})
	wantPage(t, "create outreach", resp.StatusCode, body, http.StatusCreated, "Anótela ahora", "rosa.p")
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the password page has Cache-Control %q", cc)
	}
	pw := wsPassword(t, body)
	rosa := ts.firstSignIn(t, "rosa.p", pw)
	if _, home := rosa.get(t, "/"); !strings.Contains(home, "rosa.p") {
		t.Errorf("the new account's home page lacks her name")
	}
	if _, again := w.get(t, "/accounts"); strings.Contains(again, pw) || strings.Contains(again, `id="new-password"`) {
		t.Errorf("the generated password is shown a second time")
	}
	if strings.Contains(ts.Logs.String(), pw) {
		t.Errorf("the generated password reached the server log")
	}

	resp, body = w.post(t, "/accounts", url.Values{"username": {"jefa"}, "role": {"admin"}})
	wantPage(t, "coordinator creates an admin", resp.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")
	resp, body = w.post(t, "/accounts", url.Values{"username": {"X!"}, "role": {"outreach"}, "password": {"corta"}})
	wantPage(t, "invalid account", resp.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-username"`, `value="X!"`,
		"Use de 3 a 40 letras", "al menos 10 caracteres")
	resp, body = w.post(t, "/accounts", url.Values{"username": {"rosa.p"}, "role": {"legal"}, "password": {"otra-clave-larga-1"}})
	wantPage(t, "taken username", resp.StatusCode, body, http.StatusConflict, "Ya existe")
	resp, body = w.post(t, "/accounts", url.Values{"csrf_token": {""}, "username": {"sin.token"}, "role": {"outreach"}})
	wantPage(t, "no CSRF token", resp.StatusCode, body, http.StatusForbidden, "El formulario venció")
	if _, err := ts.Accounts.User(context.Background(), "sin.token"); err == nil {
		t.Errorf("a form without its CSRF token created an account")
	}

	id := ts.userID(t, "rosa.p")
	resp, _ = w.post(t, "/accounts/"+id, url.Values{"action": {"disable"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accounts?done=disable" {
		t.Fatalf("disable: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body = w.get(t, "/accounts?done=disable"); !strings.Contains(body, "La cuenta se desactivó") || !strings.Contains(body, "Desactivada") {
		t.Errorf("no notice or state after disabling")
	}
	if err := ts.newWebSession(t).trySignIn(t, "rosa.p", pw); err == nil {
		t.Errorf("a disabled account signed in")
	}
	for _, f := range []url.Values{{"action": {"enable"}}, {"action": {"role"}, "role": {"legal"}}} {
		if resp, body := w.post(t, "/accounts/"+id, f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: %d\n%s", f, resp.StatusCode, body)
		}
	}
	if u, _ := ts.Accounts.User(context.Background(), id); u.Disabled || u.Role != accounts.RoleLegal {
		t.Errorf("after enable and role=legal: %+v", u)
	}
	resp, body = w.post(t, "/accounts/"+id, url.Values{"action": {"reset"}})
	wantPage(t, "reset password", resp.StatusCode, body, http.StatusOK, "La anterior ya no sirve")
	ts.firstSignIn(t, "rosa.p", wsPassword(t, body))

	resp, body = w.post(t, "/accounts/"+me.ID, url.Values{"action": {"disable"}})
	wantPage(t, "disable herself", resp.StatusCode, body, http.StatusUnprocessableEntity, "No puede desactivar su propia cuenta", `<table id="accounts"`)
	resp, body = w.post(t, "/accounts/"+id, url.Values{"action": {"role"}, "role": {"admin"}})
	wantPage(t, "make an admin", resp.StatusCode, body, http.StatusForbidden)
	resp, body = w.post(t, "/accounts/"+other.ID, url.Values{"action": {"disable"}})
	wantPage(t, "another organization's account", resp.StatusCode, body, http.StatusNotFound, "No encontrado")
	resp, body = w.fetch(t, "/orgs")
	wantPage(t, "coordinator on /orgs", resp.StatusCode, body, http.StatusForbidden, "Su rol no permite esto")

	w.post(t, "/lang", url.Values{"lang": {"en"}})
	resp, body = w.fetch(t, "/accounts")
	wantPage(t, "accounts in English", resp.StatusCode, body, http.StatusOK, "Create an account", "Existing accounts", "legal partner")
}

// userID is the id of an account, read from the store.
func (ts *testServer) userID(tb testing.TB, username string) string {
	tb.Helper()
	u, err := ts.Accounts.User(context.Background(), username)
	if err != nil {
		tb.Fatalf("user %s: %v", username, err)
	}
	return u.ID
}

// TestPagesOrgs: an admin creates an organization with its first coordinator, who can
// then sign in; a refused coordinator can be given again without a second organization.
func TestPagesOrgs(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "ADM")
	ts.mustUser(t, "ADM", "admin", accounts.RoleAdmin)
	w := ts.signedIn(t, "admin", passwordOf("admin"))

	resp, body := w.fetch(t, "/orgs")
	wantPage(t, "orgs", resp.StatusCode, body, http.StatusOK, `<form id="new-org"`, `<table id="orgs"`, "ADM")
	resp, body = w.post(t, "/orgs", url.Values{"code": {"cal"}, "name": {"Colectivo Callao"}, "coordinator": {"coord.cal"}})
	wantPage(t, "create an org", resp.StatusCode, body, http.StatusCreated, "La organización y su coordinadora se crearon", `data-org="CAL"`)
	coord := ts.firstSignIn(t, "coord.cal", wsPassword(t, body))
	if u, _ := ts.Accounts.User(context.Background(), "coord.cal"); u.Org != "CAL" || u.Role != accounts.RoleCoordinator {
		t.Errorf("first coordinator %+v", u)
	}
	if st, body := coord.get(t, "/accounts"); st != http.StatusOK || !strings.Contains(body, "coord.cal") {
		t.Errorf("the new coordinator's accounts page: %d", st)
	}

	resp, body = w.post(t, "/orgs", url.Values{"code": {"ARQ"}, "name": {"Arequipa"}})
	wantPage(t, "no coordinator", resp.StatusCode, body, http.StatusUnprocessableEntity, `href="#f-coordinator"`, "Este dato es obligatorio", `value="Arequipa"`)
	if _, err := ts.Accounts.Org(context.Background(), "ARQ"); err == nil {
		t.Errorf("an organization was created without its coordinator")
	}
	resp, body = w.post(t, "/orgs", url.Values{"code": {"ARQ"}, "name": {"Arequipa"}, "coordinator": {"coord.cal"}})
	wantPage(t, "coordinator name taken", resp.StatusCode, body, http.StatusConflict, "falta su coordinadora", `href="#f-coordinator"`, "Ya existe")
	resp, body = w.post(t, "/orgs", url.Values{"code": {"ARQ"}, "name": {"Arequipa"}, "coordinator": {"coord.arq"}, "password": {"clave-de-arequipa-26"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orgs?done=created" {
		t.Fatalf("finish the begun organization: %d\n%s", resp.StatusCode, body)
	}
	ts.firstSignIn(t, "coord.arq", "clave-de-arequipa-26")
	resp, body = w.post(t, "/orgs", url.Values{"code": {"CAL"}, "name": {"Colectivo Callao"}, "coordinator": {"otra.cal"}})
	wantPage(t, "code taken", resp.StatusCode, body, http.StatusConflict, `href="#f-code"`, "Ya existe")
	resp, body = w.post(t, "/orgs", url.Values{"code": {"1"}, "name": {""}, "coordinator": {"x.y"}})
	wantPage(t, "invalid org", resp.StatusCode, body, http.StatusUnprocessableEntity, "Use de 2 a 10 letras", `href="#f-name"`)

	resp, body = w.fetch(t, "/accounts")
	wantPage(t, "admin accounts", resp.StatusCode, body, http.StatusOK, `<select id="f-org" name="org"`, `value="CAL"`, `value="admin"`, "coord.arq", "coord.cal")
	// Separation of duties: the admin creates CAL's auditor, but neither its lawyers nor
	// a second coordinator, which are CAL's coordinators' to create.
	for _, role := range []string{"legal", "outreach", "advocate", "coordinator"} {
		resp, body = w.post(t, "/accounts", url.Values{"username": {role + ".cal"}, "role": {role}, "org": {"CAL"}, "password": {"clave-de-prueba-2026"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("admin creates a %s account in CAL: %d, want 403", role, resp.StatusCode)
		}
	}
	resp, body = w.post(t, "/accounts", url.Values{"username": {"auditora.cal"}, "role": {"auditor"}, "org": {"CAL"}, "password": {"clave-auditora-2026"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin creates an auditor in CAL: %d\n%s", resp.StatusCode, body)
	}
	if u, _ := ts.Accounts.User(context.Background(), "auditora.cal"); u.Org != "CAL" {
		t.Errorf("account created in %q, want CAL", u.Org)
	}
}

// TestPagesAccountsOffersOnlyAllowedChanges: a coordinator is offered no change to an
// administrator's or an auditor's account, nor to her own (that is "My account"), and
// every change to an outreach worker's; her role select has no default; the changes
// made to her organization's accounts are listed.
func TestPagesAccountsOffersOnlyAllowedChanges(t *testing.T) {
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	admin := ts.mustUser(t, "LIM", "jefa", accounts.RoleAdmin)
	me, w := ts.webUser(t, "LIM", "coord", accounts.RoleCoordinator)
	rosa := ts.mustUser(t, "LIM", "rosa", accounts.RoleOutreach)
	auditor := ts.mustUser(t, "LIM", "auditora", accounts.RoleAuditor)
	if resp, body := w.post(t, "/accounts/"+rosa.ID, url.Values{"action": {"disable"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable rosa: %d\n%s", resp.StatusCode, body)
	}
	st, body := w.get(t, "/accounts")
	wantPage(t, "accounts", st, body, http.StatusOK, "No puedes cambiar esta cuenta", "cámbiala en “Mi cuenta”",
		`<option value="" selected disabled>Elige un rol</option>`, "Cambios en las cuentas", "rosa, por coord: desactivada")
	row := func(u accounts.User) string {
		start := strings.Index(body, `data-user="`+u.Username+`"`)
		if start < 0 {
			t.Fatalf("no row for %s", u.Username)
		}
		end := strings.Index(body[start:], "</tr>")
		return body[start : start+end]
	}
	if r := row(admin); strings.Contains(r, "<form") {
		t.Error("the coordinator is offered changes to an administrator's account")
	}
	if r := row(auditor); strings.Contains(r, "<form") {
		t.Error("the coordinator is offered changes to her auditor's account")
	}
	if r := row(me); strings.Contains(r, "<form") {
		t.Error("her own row offers changes: they belong to her account page")
	}
	if r := row(rosa); !strings.Contains(r, `value="enable"`) || !strings.Contains(r, `value="role"`) || !strings.Contains(r, `value="reset"`) {
		t.Error("an outreach worker's row should offer every change")
	}
}
