package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"registro/accounts"
)

// TestAccounts checks account management through the API: a coordinator manages the
// non-admin accounts of her organization only, and an admin creates organizations and
// their first coordinator.
func TestAccounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.mustOrg(t, "LIM")
	ts.mustOrg(t, "CAL")
	_, coord := ts.mustUserToken(t, "LIM", "coordinator", accounts.RoleCoordinator)
	_, admin := ts.mustUserToken(t, "LIM", "admin", accounts.RoleAdmin)
	_, outreach := ts.mustUserToken(t, "LIM", "outreach1", accounts.RoleOutreach)
	calUser := ts.mustUser(t, "CAL", "cal-outreach", accounts.RoleOutreach)
	ctx := context.Background()

	t.Run("CoordinatorCreatesOutreachWithGeneratedPassword", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "promotora3", "role": "outreach"})
		if st != http.StatusCreated {
			t.Fatalf("status %d, body %v", st, body)
		}
		u, _ := body["user"].(map[string]any)
		if u["org"] != "LIM" || u["role"] != "outreach" || u["username"] != "promotora3" {
			t.Errorf("created %v, want outreach promotora3 in LIM", u)
		}
		if _, leaked := u["password_hash"]; leaked {
			t.Errorf("the answer carries the password hash: %v", u)
		}
		password, _ := body["password"].(string)
		if len(password) != 19 || strings.Trim(password, "abcdefghijkmnopqrstuvwxyz-") != "" {
			t.Fatalf("generated password %q: want four groups of four lowercase letters, returned once", password)
		}
		// Set by someone else: the session it opens can only change it.
		token := ts.login(t, "promotora3", password)
		st, body = ts.do(t, http.MethodGet, "/api/v1/cases", token, nil)
		wantError(t, st, body, http.StatusForbidden, "password_change_required")
	})

	t.Run("OrgCodeInAnyCase", func(t *testing.T) {
		// Org codes are case-insensitive everywhere ("lim" typed in a form is LIM).
		st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "promotora4", "role": "outreach", "org": "lim"})
		if st != http.StatusCreated {
			t.Errorf("create in \"lim\": status %d, body %v", st, body)
		}
		st, body = ts.do(t, http.MethodGet, "/api/v1/users?org=lim", coord, nil)
		if st != http.StatusOK {
			t.Errorf("list ?org=lim: status %d, body %v", st, body)
		}
	})

	t.Run("DuplicateUsername", func(t *testing.T) {
		for _, name := range []string{"outreach1", "OUTREACH1"} {
			st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{
				"username": name, "role": "outreach", "password": "una-clave-larga-123"})
			wantError(t, st, body, http.StatusConflict, "duplicate")
		}
	})

	t.Run("InvalidAccount", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{
			"username": "A", "role": "outreach", "password": "short"})
		fields := wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed")
		for _, f := range []string{"username", "password"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("fields %v do not name %s", fields, f)
			}
		}
	})

	t.Run("CoordinatorCannotCreateAdmin", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "jefa", "role": "admin"})
		wantError(t, st, body, http.StatusForbidden, "forbidden")
	})

	t.Run("CoordinatorCannotCreateInAnotherOrg", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/users", coord, map[string]any{"username": "infiltrada", "role": "outreach", "org": "CAL"})
		wantError(t, st, body, http.StatusForbidden, "forbidden")
		if _, err := ts.Accounts.User(ctx, "infiltrada"); err == nil {
			t.Errorf("the account was created")
		}
	})

	t.Run("CoordinatorCannotSeeAnotherOrgsAccounts", func(t *testing.T) {
		for _, ref := range []string{"cal-outreach", calUser.ID} {
			st, body := ts.do(t, http.MethodPatch, "/api/v1/users/"+ref, coord, map[string]any{"disabled": true})
			wantError(t, st, body, http.StatusNotFound, "not_found")
		}
		st, body := ts.do(t, http.MethodPatch, "/api/v1/users/no-such-user", coord, map[string]any{"disabled": true})
		wantError(t, st, body, http.StatusNotFound, "not_found")
		if u, _ := ts.Accounts.User(ctx, "cal-outreach"); u.Disabled {
			t.Errorf("CAL's account was disabled by LIM's coordinator")
		}
		st, body = ts.do(t, http.MethodGet, "/api/v1/users", coord, nil)
		if st != http.StatusOK {
			t.Fatalf("list: status %d, body %v", st, body)
		}
		var names []string
		for _, u := range body["users"].([]any) {
			m := u.(map[string]any)
			names = append(names, m["username"].(string))
			if m["org"] != "LIM" {
				t.Errorf("LIM's coordinator sees %v", m)
			}
		}
		if !slices.Contains(names, "outreach1") || slices.Contains(names, "cal-outreach") {
			t.Errorf("usernames listed %v", names)
		}
		st, body = ts.do(t, http.MethodGet, "/api/v1/users?org=CAL", coord, nil)
		wantError(t, st, body, http.StatusForbidden, "forbidden")
	})

	t.Run("CoordinatorCannotPromoteToAdminOrTouchAdmin", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPatch, "/api/v1/users/outreach1", coord, map[string]any{"role": "admin"})
		wantError(t, st, body, http.StatusForbidden, "forbidden")
		st, body = ts.do(t, http.MethodPatch, "/api/v1/users/admin", coord, map[string]any{"disabled": true})
		wantError(t, st, body, http.StatusForbidden, "forbidden")
		if u, _ := ts.Accounts.User(ctx, "outreach1"); u.Role != accounts.RoleOutreach {
			t.Errorf("outreach1 has role %s", u.Role)
		}
		if u, _ := ts.Accounts.User(ctx, "admin"); u.Disabled {
			t.Errorf("the admin was disabled by a coordinator")
		}
		st, body = ts.do(t, http.MethodPatch, "/api/v1/users/coordinator", coord, map[string]any{"role": "outreach"})
		wantError(t, st, body, http.StatusUnprocessableEntity, "validation_failed") // not her own role
	})

	t.Run("OtherRolesCannotManage", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{
			{"POST", "/api/v1/users"}, {"GET", "/api/v1/users"}, {"PATCH", "/api/v1/users/promotora3"},
			{"POST", "/api/v1/orgs"}, {"GET", "/api/v1/orgs"},
		} {
			var body any
			switch r.path {
			case "/api/v1/users":
				body = map[string]any{"username": "nueva", "role": "outreach"}
			case "/api/v1/orgs":
				body = map[string]any{"code": "ARE", "name": "Arequipa"}
			default:
				body = map[string]any{"disabled": true}
			}
			if r.method == "GET" {
				body = nil
			}
			st, b := ts.do(t, r.method, r.path, outreach, body)
			wantError(t, st, b, http.StatusForbidden, "forbidden")
			if strings.HasSuffix(r.path, "orgs") {
				st, b = ts.do(t, r.method, r.path, coord, body)
				wantError(t, st, b, http.StatusForbidden, "forbidden")
			}
		}
	})

	t.Run("AdminCreatesOrgAndItsCoordinator", func(t *testing.T) {
		st, body := ts.do(t, http.MethodPost, "/api/v1/orgs", admin, map[string]any{"code": "CUS", "name": "Red de Cusco"})
		if st != http.StatusCreated || body["code"] != "CUS" {
			t.Fatalf("create org: status %d, body %v", st, body)
		}
		st, body = ts.do(t, http.MethodPost, "/api/v1/orgs", admin, map[string]any{"code": "cus", "name": "Otra"})
		wantError(t, st, body, http.StatusConflict, "duplicate")
		st, body = ts.do(t, http.MethodGet, "/api/v1/orgs", admin, nil)
		var codes []string
		for _, o := range body["orgs"].([]any) {
			codes = append(codes, o.(map[string]any)["code"].(string))
		}
		if st != http.StatusOK || !slices.Equal(codes, []string{"CAL", "CUS", "LIM"}) {
			t.Errorf("orgs: status %d, codes %v", st, codes)
		}
		st, body = ts.do(t, http.MethodPost, "/api/v1/users", admin, map[string]any{
			"username": "cus-coordinadora", "role": "coordinator", "org": "CUS", "password": "clave-de-cusco-2026"})
		if st != http.StatusCreated {
			t.Fatalf("create coordinator: status %d, body %v", st, body)
		}
		if _, given := body["password"]; given {
			t.Errorf("a password the admin chose is echoed back: %v", body)
		}
		st, body = ts.do(t, http.MethodPost, "/api/v1/login", "", loginBody("cus-coordinadora", "clave-de-cusco-2026"))
		u, _ := body["user"].(map[string]any)
		if st != http.StatusOK || u["org"] != "CUS" || u["role"] != "coordinator" {
			t.Errorf("login of the new coordinator: status %d, user %v", st, u)
		}
	})
}
